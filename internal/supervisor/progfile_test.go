package supervisor

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// A fixture in testdata/progfile/*.txt has up to three parts:
//
//	[the program file as it is on disk     (without it: NewProgramFile)
//	=====]                                  (a line of '=')
//	operations, one a line
//	-----                                   (a line of '-')
//	the expected file, "error: <part of the message>" or "ok"
//
// Operations: name NAME (before any other), env VAR=value, set key=value,
// setq key "Go-quoted value", setlong key LENGTH, unset key, get key=value,
// getq key "Go-quoted value", validate, default NUMPROCS LOGDIR COMMAND.
// Lines starting with # are comments.
type progFixture struct {
	file     *string
	ops      []string
	expected string
}

func readProgFixture(t *testing.T, path string) progFixture {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fx progFixture
	lines := strings.SplitAfter(string(data), "\n")
	start := 0
	for i, l := range lines {
		if progIsRule(l, '=') {
			file := strings.Join(lines[:i], "")
			fx.file, start = &file, i+1
			break
		}
	}
	for i := start; i < len(lines); i++ {
		if progIsRule(lines[i], '-') {
			fx.expected = strings.Join(lines[i+1:], "")
			return fx
		}
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "#") {
			fx.ops = append(fx.ops, l)
		}
	}
	t.Fatalf("%s: no line of ----- before the expected output", path)
	return fx
}

func progIsRule(line string, c byte) bool {
	l := strings.TrimRight(line, "\n")
	return len(l) >= 4 && strings.Trim(l, string(c)) == ""
}

// progFixtureHost is the host the fixtures validate against.
var progFixtureHost = HostChecks{
	UserExists: func(u string) bool { return u == "root" || u == "www-data" || u == "0" },
	DirExists: func(d string) bool {
		switch d {
		case "/", "/tmp", "/var/log", "/var/log/poolvisor", "/srv/app":
			return true
		}
		return false
	},
}

func progMapEnv(m map[string]string) ExpansionEnv {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

func runProgFixture(t *testing.T, fx progFixture) (*ProgramFile, error) {
	t.Helper()
	name := "demo"
	envVars := map[string]string{}
	env := progMapEnv(envVars)
	var f *ProgramFile
	load := func() error {
		if f != nil {
			return nil
		}
		if fx.file == nil {
			f = NewProgramFile(name)
			return nil
		}
		var err error
		f, err = ParseProgramFile(name, []byte(*fx.file))
		return err
	}
	for _, op := range fx.ops {
		verb, arg, _ := strings.Cut(op, " ")
		switch verb {
		case "name":
			name = arg
			continue
		case "env":
			k, v, _ := strings.Cut(arg, "=")
			envVars[k] = v
			continue
		case "default":
			parts := strings.SplitN(arg, " ", 3)
			n, _ := strconv.Atoi(parts[0])
			var err error
			if f, err = DefaultProgram(name, parts[2], parts[1], n, env); err != nil {
				return nil, err
			}
			continue
		}
		if err := load(); err != nil {
			return nil, err
		}
		var err error
		switch verb {
		case "set":
			k, v, _ := strings.Cut(arg, "=")
			err = f.Set(k, v, env)
		case "setq", "getq":
			k, q, _ := strings.Cut(arg, " ")
			v, uerr := strconv.Unquote(q)
			if uerr != nil {
				t.Fatalf("%s: %v", op, uerr)
			}
			if verb == "setq" {
				err = f.Set(k, v, env)
			} else if got, _ := f.Get(k); got != v {
				t.Errorf("%s: Get(%q) = %q", op, k, got)
			}
		case "setlong":
			k, n, _ := strings.Cut(arg, " ")
			size, _ := strconv.Atoi(n)
			err = f.Set(k, "/bin/echo "+strings.Repeat("x", size-10), env)
		case "unset":
			err = f.Unset(arg)
		case "get":
			k, v, _ := strings.Cut(arg, "=")
			if got, ok := f.Get(k); got != v || !ok {
				t.Errorf("%s: Get(%q) = %q, %v", op, k, got, ok)
			}
		case "validate":
			checks := progFixtureHost
			checks.Env = env
			err = ValidateProgram(f, checks)
		default:
			t.Fatalf("unknown operation %q", op)
		}
		if err != nil {
			return nil, err
		}
	}
	return f, load()
}

func TestProgramFileFixtures(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "progfile", "*.txt"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			fx := readProgFixture(t, path)
			f, err := runProgFixture(t, fx)
			if want, ok := strings.CutPrefix(fx.expected, "error: "); ok {
				want = strings.TrimSpace(want)
				var ue *ops.Error
				switch {
				case err == nil:
					t.Fatalf("no error, want one containing %q; file:\n%s", want, f.Bytes())
				case !errors.As(err, &ue) || ue.Status != ops.StatusInvalid:
					t.Fatalf("error %v is not an invalid-input error", err)
				case !strings.Contains(err.Error(), want):
					t.Fatalf("error %q does not contain %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if strings.TrimSpace(fx.expected) == "ok" {
				return
			}
			if got := string(f.Bytes()); got != fx.expected {
				t.Errorf("file differs\n--- got:\n%s--- want:\n%s", got, fx.expected)
			}
			// Whatever was written reads back the same.
			again, err := ParseProgramFile(f.Name(), f.Bytes())
			if err != nil {
				t.Fatalf("written file does not parse: %v", err)
			}
			if got, want := again.Directives(), f.Directives(); !progEqualMaps(got, want) {
				t.Errorf("read back %v, want %v", got, want)
			}
		})
	}
}

func progEqualMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestProgramFileEditsKeepBytes checks edits at the byte level, where
// fixtures can't show the difference: line breaks and the last line.
func TestProgramFileEditsKeepBytes(t *testing.T) {
	tests := []struct {
		name, in   string
		key, value string
		want       string
	}{
		{name: "crlf replace", in: "[program:demo]\r\ncommand=/bin/false\r\nautostart=true\r\n",
			key: "command", value: "/bin/true", want: "[program:demo]\r\ncommand=/bin/true\r\nautostart=true\r\n"},
		{name: "crlf append", in: "[program:demo]\r\ncommand=/bin/false\r\n",
			key: "startsecs", value: "5", want: "[program:demo]\r\ncommand=/bin/false\r\nstartsecs=5\r\n"},
		{name: "no final line break", in: "[program:demo]\ncommand=/bin/false",
			key: "startsecs", value: "5", want: "[program:demo]\ncommand=/bin/false\nstartsecs=5\n"},
		{name: "no final line break replace", in: "[program:demo]\ncommand=/bin/false",
			key: "command", value: "/bin/true", want: "[program:demo]\ncommand=/bin/true"},
		{name: "header only", in: "[program:demo]",
			key: "command", value: "/bin/true", want: "[program:demo]\ncommand=/bin/true\n"},
		{name: "lone cr", in: "[program:demo]\rcommand=/bin/false\r",
			key: "command", value: "/bin/true", want: "[program:demo]\rcommand=/bin/true\r"},
		{name: "tabs and comment kept", in: "[program:demo]\n\tcommand\t:\t/bin/false\t# why\n",
			key: "command", value: "/bin/true", want: "[program:demo]\n\tcommand\t:\t/bin/true\t# why\n"},
		{name: "empty value with comment", in: "[program:demo]\ncommand= ; fill me in\n",
			key: "command", value: "/bin/true", want: "[program:demo]\ncommand=/bin/true ; fill me in\n"},
		{name: "continuation lines dropped", in: "[program:demo]\ncommand=/bin/sh\n  -c 'x'\n\n  # note\n    y\nautostart=true\n",
			key: "command", value: "/bin/true", want: "[program:demo]\ncommand=/bin/true\n\n  # note\nautostart=true\n"},
		{name: "appended before trailing comments", in: "[program:demo]\ncommand=/bin/true\n\n; about the group\n[group:g]\nprograms=demo\n",
			key: "autostart", value: "false", want: "[program:demo]\ncommand=/bin/true\nautostart=false\n\n; about the group\n[group:g]\nprograms=demo\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseProgramFile("demo", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if err := f.Set(tt.key, tt.value, nil); err != nil {
				t.Fatal(err)
			}
			if got := string(f.Bytes()); got != tt.want {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestProgramFileReads(t *testing.T) {
	in := "[program:demo]\nCommand=/bin/echo 50%%\nstdout_logfile=/var/log/%%%%-%(program_name)s.log\n" +
		"environment=A=1,\n  B=2\nx_custom=1%%\n[program:other]\ncommand=/bin/other\n"
	f, err := ParseProgramFile("demo", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"command":        "/bin/echo 50%",
		"stdout_logfile": "/var/log/%-%(program_name)s.log",
		"environment":    "A=1,\nB=2",
		"x_custom":       "1%",
	}
	if got := f.Directives(); !progEqualMaps(got, want) {
		t.Errorf("Directives() = %q, want %q", got, want)
	}
	if v, ok := f.Get("COMMAND"); !ok || v != "/bin/echo 50%" {
		t.Errorf("Get(COMMAND) = %q, %v", v, ok)
	}
	if _, ok := f.Get("directory"); ok {
		t.Error("Get(directory) found a key that is not there")
	}
	if f.Name() != "demo" || string(f.Bytes()) != in {
		t.Error("Name or Bytes changed")
	}
	if _, err := ParseProgramFile("demo", []byte("[program:demo]\ncommand=\xff\n")); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
	if _, err := ParseProgramFile("../x", []byte("[program:../x]\n")); err == nil {
		t.Error("invalid name accepted")
	}
}

func TestProgramNames(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"queue-worker_2.v1", true}, {"9lives", true}, {strings.Repeat("a", 64), true},
		{"", false}, {strings.Repeat("a", 65), false}, {"-worker", false}, {".hidden", false},
		{"a b", false}, {"a:b", false}, {"a/b", false}, {"a]b", false}, {"wörker", false}, {"a\nb", false},
	} {
		f := NewProgramFile(tt.name)
		err := f.Set("command", "/bin/true", nil)
		if (err == nil) != tt.ok {
			t.Errorf("name %q: Set error %v, want ok=%v", tt.name, err, tt.ok)
		}
		if _, err := ParseProgramFile(tt.name, []byte("[program:"+tt.name+"]\n")); (err == nil) != tt.ok {
			t.Errorf("name %q: ParseProgramFile error %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err := ValidateProgram(f, HostChecks{}); tt.ok != (err == nil) {
			t.Errorf("name %q: ValidateProgram error %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

// TestSetFollowsTheFileSpacing: a key added to a section written
// "key = value" is written so too.
func TestSetFollowsTheFileSpacing(t *testing.T) {
	for in, want := range map[string]string{
		"[program:x]\ncommand = /bin/true\n":  "[program:x]\ncommand = /bin/true\nstartsecs = 3\n",
		"[program:x]\ncommand=/bin/true\n":    "[program:x]\ncommand=/bin/true\nstartsecs=3\n",
		"[program:x]\ncommand:/bin/true\n":    "[program:x]\ncommand:/bin/true\nstartsecs=3\n",
		"[program:x]\ncommand\t= /bin/true\n": "[program:x]\ncommand\t= /bin/true\nstartsecs\t= 3\n",
	} {
		f, err := ParseProgramFile("x", []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Set("startsecs", "3", nil); err != nil {
			t.Fatal(err)
		}
		if got := string(f.Bytes()); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}
