package phpfpm

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dumpConf describes a parsed file one line per line, for fixtures.
func dumpConf(f *confFile) string {
	var b strings.Builder
	for _, l := range f.lines {
		switch l.kind {
		case lineBlank:
			b.WriteString("blank\n")
		case lineComment:
			b.WriteString("comment\n")
		case lineSection:
			fmt.Fprintf(&b, "section %s\n", l.section)
		case lineDirective:
			fmt.Fprintf(&b, "directive %s %s = %q\n", l.section, l.key, l.value)
		}
	}
	return b.String()
}

// TestParseConfFixtures reads testdata/conf/*.txt: a file, then a line
// "----- want" and the dump of its lines, or "----- error" and the start of
// the error.
func TestParseConfFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/conf/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, want, isErr := strings.Cut(string(data), "----- want\n")
			if !isErr {
				input, want, _ = strings.Cut(string(data), "----- error\n")
			}
			isErr = !isErr
			f, err := parseConf([]byte(input))
			if isErr {
				if err == nil || !strings.HasPrefix(err.Error(), strings.TrimSpace(want)) {
					t.Fatalf("err = %v, want one starting %q", err, strings.TrimSpace(want))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := dumpConf(f); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			if string(f.bytes()) != input {
				t.Errorf("bytes() changed the file")
			}
		})
	}
}

func TestParseConfLineBreaks(t *testing.T) {
	tests := []struct {
		name, input string
		wantErr     string
	}{
		{"crlf", "[a]\r\nuser = nobody\r\n\r\n; c\r\nlast = 1", ""},
		{"no final newline", "[a]\nuser = nobody", ""},
		{"empty", "", ""},
		{"cr inside a line", "[a]\nuser = no\rbody\n", "line 2"},
		{"nul", "[a]\nuser = no\x00body\n", "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseConf([]byte(tt.input))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(f.bytes()) != tt.input {
				t.Errorf("bytes() = %q", f.bytes())
			}
			if tt.input != "" && f.directives("a")["user"] != "nobody" {
				t.Errorf("directives = %v", f.directives("a"))
			}
		})
	}
}

func TestEncodeValue(t *testing.T) {
	tests := []struct {
		value, want, wantErr string
	}{
		{"dynamic", "dynamic", ""},
		{"/run/php/php8.2-api-fpm.sock", "/run/php/php8.2-api-fpm.sock", ""},
		{"127.0.0.1:9000", "127.0.0.1:9000", ""},
		{"0660", "0660", ""},
		{"www-data", "www-data", ""},
		{"256M", "256M", ""},
		{"", `""`, ""},
		{"yes", `"yes"`, ""},
		{"Off", `"Off"`, ""},
		{"null", `"null"`, ""},
		{"E_ALL", `"E_ALL"`, ""},
		{"PHP_VERSION", `"PHP_VERSION"`, ""},
		{"a;b", `"a;b"`, ""},
		{`a"b\c`, `"a\"b\\c"`, ""},
		{"${HOME}", `"\${HOME}"`, ""},
		{"$pool", `"\$pool"`, ""},
		{"a b", `"a b"`, ""},
		{"[global]", `"[global]"`, ""},
		{"x\nuser = root", "", "line break"},
		{"a\rb", "", "line break"},
		{"a\x00b", "", "NUL"},
		{"\xff", "", "UTF-8"},
		{strings.Repeat("x", maxValueLen+1), "", "longer"},
	}
	for _, tt := range tests {
		got, err := encodeValue(tt.value)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("encodeValue(%q) err = %v, want %q", tt.value, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("encodeValue(%q) = %q, %v; want %q", tt.value, got, err, tt.want)
			continue
		}
		if back, err := decodeValue(" " + got); err != nil || back != tt.value {
			t.Errorf("decodeValue(%q) = %q, %v; want %q", got, back, err, tt.value)
		}
	}
}
