package supervisor

import (
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

const sharedFile = "; top\n" +
	"[program:a]\n" +
	"command=/bin/true   ; inline\n" +
	"\n" +
	"[program:b]\n" +
	"command = /bin/false\n" +
	"\n" +
	"[group:g]\n" +
	"programs=a,b\n"

func TestProgramSection(t *testing.T) {
	for _, c := range []struct{ name, prog, data, want string }{
		{"shared", "a", sharedFile, "[program:a]\ncommand=/bin/true   ; inline\n"},
		{"second", "b", sharedFile, "[program:b]\ncommand = /bin/false\n"},
		{"own file", "a", "; mine\n[program:a]\ncommand=/bin/true\n", "; mine\n[program:a]\ncommand=/bin/true\n"},
		{"absent", "a", "[program:c]\ncommand=/bin/true\n", ""},
		// An indented header after a key is the key's continuation line
		// to configparser, not a section.
		{"continuation", "b", "[program:a]\ncommand=/bin/true\n\n  [program:b]\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := string(ProgramSection(c.prog, []byte(c.data))); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestWithSection(t *testing.T) {
	f, err := ParseProgramFile("a", []byte(sharedFile))
	if err != nil {
		t.Fatal(err)
	}
	sec, err := rawProgram("a", "; new\n[program:a]\ncommand=/bin/echo\n")
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.withSection(sec)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(sharedFile, "[program:a]\ncommand=/bin/true   ; inline\n", "; new\n[program:a]\ncommand=/bin/echo\n", 1); string(got.Bytes()) != want {
		t.Errorf("got\n%s", got.Bytes())
	}

	// b's header is indented as a's keys are; a section whose keys are
	// indented less would make it a continuation line, and b would be
	// gone: refused, though the section alone is well formed.
	indented := "[program:a]\n  command=/bin/true\n  [program:b]\ncommand=/bin/false\n"
	f, err = ParseProgramFile("a", []byte(indented))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseProgramFile("b", []byte(indented)); err != nil {
		t.Fatalf("b should be a section of the fixture: %v", err)
	}
	sec, err = rawProgram("a", "[program:a]\ncommand=/bin/echo\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.withSection(sec); err == nil {
		t.Error("a section that swallows the next header was taken")
	} else if st, msg := ops.UserError(err); st != ops.StatusInvalid || !strings.Contains(msg, "sections other than [program:a]") {
		t.Errorf("%s: %s", st, msg)
	}
}

func TestWithoutSection(t *testing.T) {
	f, err := ParseProgramFile("a", []byte(sharedFile))
	if err != nil {
		t.Fatal(err)
	}
	loc := locateIn([]confFile{{path: "/x.ini", data: []byte(sharedFile), doc: f.doc}}, "a")
	edits, err := groupEdits(loc, f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.withoutSection(edits)
	if err != nil {
		t.Fatal(err)
	}
	if want := "; top\n\n[program:b]\ncommand = /bin/false\n\n[group:g]\nprograms=b\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}

	// The last program of a group: refused.
	one := "[program:a]\ncommand=/bin/true\n[group:g]\nprograms = a ; only\n"
	f, _ = ParseProgramFile("a", []byte(one))
	loc = locateIn([]confFile{{path: "/x.ini", data: []byte(one), doc: f.doc}}, "a")
	if _, err := groupEdits(loc, f); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("emptying a group: %v", err)
	}

	// Only comments left: the file goes.
	f, err = ParseProgramFile("a", []byte("; a comment\n[program:a]\ncommand=/bin/true\n; trailing\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.withoutSection(nil); err != nil || got != nil {
		t.Errorf("%q %v", got, err)
	}
}

// TestLocateRepeatedGroup: supervisord merges sections of one header across
// and within files, so a group's last programs= decides who is in it.
func TestLocateRepeatedGroup(t *testing.T) {
	file := func(path, text string) confFile {
		doc, err := parseProgINI(progSplitLines(text))
		return confFile{path: path, data: []byte(text), doc: doc, err: err}
	}
	files := []confFile{
		file("/a.ini", "[program:alpha]\ncommand=/bin/true\n[program:beta]\ncommand=/bin/true\n[group:dup]\nprograms=alpha\n"),
		file("/b.ini", "[group:dup]\nprograms=beta\n"),
	}
	if l := locateIn(files, "alpha"); l.group != "alpha" || len(l.groups) != 0 {
		t.Errorf("alpha: group %q %v, want its own (dup's programs= was replaced by beta)", l.group, l.groups)
	}
	if l := locateIn(files, "beta"); l.group != "dup" || len(l.groups) != 1 || l.groups[0].path != "/b.ini" {
		t.Errorf("beta: group %q %v, want dup from /b.ini", l.group, l.groups)
	}
}
