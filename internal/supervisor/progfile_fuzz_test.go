package supervisor

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// progFuzzBase is a hand-written file for the fuzzers to edit.
const progFuzzBase = "; written by hand\n[program:fz]\nCOMMAND : /bin/false ; old\nEnvironment=A=1,\n  B=2\n" +
	"stdout_logfile = /var/log/x.log #c\nx_note=kept\n\n[group:g]\nprograms=fz\n"

var progFuzzEnv = progMapEnv(map[string]string{"HOME": "/root", "PCT": "50%", "SPACE": "a b"})

// progFuzzSetSeeds are the tricky cases of the fixtures, as (key, value).
var progFuzzSetSeeds = [][2]string{
	{"command", "/bin/true"}, {"command", "/bin/true\n[program:x]"}, {"command", "a\rb"}, {"command", "a\x00b"},
	{"command", "/bin/echo hi ; rm -rf /"}, {"command", "/bin/echo hi # x"}, {"command", "/bin/sh -c 'a;b#c'"},
	{"command", ";x"}, {"command", "#x"}, {"command", "100%"}, {"command", "%"}, {"command", "%%"}, {"command", "%(program_name)s"},
	{"command", "%(ENV_HOME)s/x"}, {"command", "%(ENV_SECRTE)s"}, {"command", "%(foo)s"}, {"command", "%("}, {"command", "%%(program_name)s"},
	{"command", "%(program_name)"}, {"command", " lead"}, {"command", "trail "}, {"command", "x\u00a0;y"}, {"command", strings.Repeat("x", 10240)},
	{"command", "Grüße 世界"}, {"command", "[program:x]"}, {"comand", "/bin/true"}, {"COMMAND", "/bin/true"},
	{"stdout_logfile", "/var/log/100%.log"}, {"stdout_logfile", "/var/log/%(ENV_PCT)s.log"}, {"stderr_logfile", "/var/log/%(process_num)02d.log"},
	{"environment", `A=1,B="x y"`}, {"environment", `A=x#y`}, {"environment", `A="x`}, {"environment", ""}, {"environment", `A="100%"`},
	{"numprocs", "3"}, {"autostart", "maybe"}, {"autorestart", "unexpected"}, {"stopsignal", "TERM"}, {"exitcodes", "0,2"}, {"umask", "022"},
	{"stdout_logfile_maxbytes", "50MB"}, {"process_name", "%(program_name)s_%(process_num)02d"}, {"x_note", "y"},
}

// FuzzProgramFileSet: any key and value is either refused with a
// user-facing error, leaving the file as it was, or written to a file that
// reads back with exactly one [program:fz] section whose value for the key
// is the input, every other key and section unchanged.
func FuzzProgramFileSet(f *testing.F) {
	for _, s := range progFuzzSetSeeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		for _, base := range []string{"", progFuzzBase} {
			pf := NewProgramFile("fz")
			if base != "" {
				var err error
				if pf, err = ParseProgramFile("fz", []byte(base)); err != nil {
					t.Fatal(err)
				}
			}
			before, beforeDoc := pf.Bytes(), pf.doc.effective()
			if err := pf.Set(key, value, progFuzzEnv); err != nil {
				var ue *ops.Error
				if !errors.As(err, &ue) || ue.Status != ops.StatusInvalid {
					t.Fatalf("Set(%q, %q): %v is not a user-facing error", key, value, err)
				}
				if !bytes.Equal(pf.Bytes(), before) {
					t.Fatalf("Set(%q, %q) failed but changed the file", key, value)
				}
				continue
			}
			again, err := ParseProgramFile("fz", pf.Bytes())
			if err != nil {
				t.Fatalf("Set(%q, %q) wrote a file that does not read back: %v\n%s", key, value, err, pf.Bytes())
			}
			if got, _ := again.Get(key); got != value {
				t.Fatalf("Set(%q, %q) reads back as %q\n%s", key, value, got, pf.Bytes())
			}
			k := strings.ToLower(key)
			after := again.doc.effective()
			delete(after["program:fz"], k)
			delete(beforeDoc["program:fz"], k)
			if !progEqualDocs(before, beforeDoc, after) {
				t.Fatalf("Set(%q, %q) changed other keys: %q -> %q", key, value, beforeDoc, after)
			}
		}
	})
}

func progEqualDocs(_ []byte, a, b map[string]map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for s, m := range a {
		if !progEqualMaps(m, b[s]) {
			return false
		}
	}
	return true
}

// FuzzParseProgramFile: any text either fails to parse or parses and writes
// back byte for byte; an edit of it then changes only its key.
func FuzzParseProgramFile(f *testing.F) {
	for _, s := range []string{progFuzzBase, "[program:fz]\n", "[program:fz]\ncommand=x\r\n  y\r\n", "[program:fz]\ncommand=a\n\n  b\n  ; c\n   d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		pf, err := ParseProgramFile("fz", []byte(data))
		if err != nil {
			return
		}
		if string(pf.Bytes()) != data {
			t.Fatalf("Bytes() changed an untouched file")
		}
		before := pf.doc.effective()
		if err := pf.Set("autostart", "false", nil); err != nil {
			return // refused: the file is too odd to edit safely
		}
		after, h := pf.doc.effective(), pf.prog.header
		if after[h]["autostart"] != "false" {
			t.Fatalf("autostart not set")
		}
		before[h]["autostart"] = "false"
		if !progEqualDocs(nil, before, after) {
			t.Fatalf("edit changed other keys: %q -> %q", before, after)
		}
	})
}
