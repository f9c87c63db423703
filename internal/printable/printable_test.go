package printable

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"plain text and tables", "name  state\nweb   RUNNING\tpid 1 ✓", "name  state\nweb   RUNNING\tpid 1 ✓"},
		{"OSC 52 sets the clipboard", "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07", `\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07`},
		{"CSI redraws a line", "[failed] x\x1b[2K\rok", `[failed] x\x1b[2K\x0dok`},
		{"backspace and DEL", "a\bb\x7f", `a\x08b\x7f`},
		{"C1 CSI as a character", "a\u009b31mb", `a\x9b31mb`},
		{"a byte that is not UTF-8", "a\x9bb", "a\ufffdb"},
		{"U+FFFD itself is kept", "a\ufffdb", "a\ufffdb"},
		{"bidi override", "ok \u202eliaf", `ok \u202eliaf`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := String(c.in); got != c.want {
				t.Fatalf("String(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

// TestJSON: what JSON returns is the same value to a parser, and holds
// nothing String would escape.
func TestJSON(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"plain", `{"status":"ok","message":"web RUNNING ✓"}`, `{"status":"ok","message":"web RUNNING ✓"}`},
		{"DEL and C1 in a string", "{\"m\":\"a\x7fb\u009b31m\"}", `{"m":"a\u007fb\u009b31m"}`},
		{"bidi override", "{\"m\":\"ok \u202eliaf\"}", `{"m":"ok \u202eliaf"}`},
		{"a key", "{\"k\u202e\":1}", `{"k\u202e":1}`},
		{"escaped quote before the mark", "{\"m\":\"\\\"\u202e\"}", `{"m":"\"\u202e"}`},
		{"escaped backslash before a quote", "{\"m\":\"\\\\\",\"n\":\"\x7f\"}", `{"m":"\\","n":"\u007f"}`},
		{"CR between tokens", "{\"m\":1,\r\n\"n\":2}", "{\"m\":1, \n\"n\":2}"},
		{"a byte that is not UTF-8", "{\"m\":\"a\x9bb\"}", `{"m":"a\ufffdb"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := JSON(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("JSON(%q) = %q, want %q", c.in, got, c.want)
			}
			if strings.ContainsFunc(got, unprintable) {
				t.Fatalf("JSON(%q) = %q still holds what a terminal acts on", c.in, got)
			}
			var a, b any
			if err := json.Unmarshal([]byte(c.in), &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(got), &b); err != nil {
				t.Fatalf("JSON(%q) = %q is not JSON: %v", c.in, got, err)
			}
			if aj, bj := mustMarshal(t, a), mustMarshal(t, b); aj != bj {
				t.Fatalf("JSON(%q) changed the value: %s, now %s", c.in, aj, bj)
			}
		})
	}
	if _, err := JSON("{\"m\":\"a\nb\"}"); err == nil {
		t.Fatal("a raw line feed in a string is not JSON, but was taken")
	}
	if _, err := JSON("\x1b]52;c;ZXZpbA==\x07"); err == nil {
		t.Fatal("an escape sequence was taken for JSON")
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
