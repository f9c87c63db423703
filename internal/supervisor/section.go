package supervisor

// This file edits one program's section inside a file that holds others
// (several programs and [group:] sections in one include): the section is
// replaced, removed or inserted as lines, and the result is read again and
// taken only when every other section means exactly what it meant and
// stands where it stood. Lines outside the program's section are never
// rewritten, so they stay byte for byte.

import (
	"maps"
	"slices"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// shared reports whether f holds sections other than its program's.
func (f *ProgramFile) shared() bool {
	for _, s := range f.doc.sections {
		if s != f.prog {
			return true
		}
	}
	return false
}

// sectionText returns the program's own lines: its header through its
// last line of content.
func (f *ProgramFile) sectionText() string {
	return strings.Join(f.lines[f.prog.line:f.prog.last+1], "")
}

// ProgramSection returns what of content is program name's: the whole file
// when it holds that program alone (comments included), its own section's
// lines when other sections share the file, nil when it does not define
// name. The history compares and restores this part only, so that a
// rollback never changes another program's section.
func ProgramSection(name string, content []byte) []byte {
	if content == nil {
		return nil
	}
	f, err := ParseProgramFile(name, content)
	if err != nil {
		// The edit path says what is wrong with a file that defines it.
		defines := false
		if doc, perr := parseProgINI(progSplitLines(string(content))); perr != nil {
			defines = len(headerLines(content, "program:"+name)) > 0
		} else {
			for _, s := range doc.sections {
				defines = defines || isProgHeader(s.header, name)
			}
		}
		if defines {
			return content
		}
		return nil
	}
	if !f.shared() {
		return content
	}
	return []byte(f.sectionText())
}

// withSection returns f with its program's section replaced by the
// section of sec (a file holding only [program:name] and comments).
func (f *ProgramFile) withSection(sec *ProgramFile) (*ProgramFile, error) {
	lines := slices.Clone(f.lines[:f.prog.line])
	lines = append(lines, sec.lines...)
	rest := f.lines[f.prog.last+1:]
	lines = endLine(lines, len(rest) > 0)
	lines = append(lines, rest...)
	return f.checked(lines, true, nil)
}

// endLine makes the last of lines end with a line break when more follow.
func endLine(lines []string, more bool) []string {
	if n := len(lines); more && n > 0 && !strings.HasSuffix(lines[n-1], "\n") && !strings.HasSuffix(lines[n-1], "\r") {
		lines[n-1] += "\n"
	}
	return lines
}

// groupEdit is a [group:] whose programs= list changes with a write.
type groupEdit struct {
	sec  *progSection
	list []string
}

// withoutSection returns the file without the program's section, each
// group in groups listing what it lists then, and nil when nothing but
// comments would be left.
func (f *ProgramFile) withoutSection(groups []groupEdit) ([]byte, error) {
	lines := slices.Clone(f.lines)
	drop := map[int]bool{}
	for i := f.prog.line; i <= f.prog.last; i++ {
		drop[i] = true
	}
	want := setPrograms(lines, drop, groups)
	lines = progDeleteLines(lines, drop)
	doc, err := parseProgINI(lines)
	if err != nil {
		return nil, ops.Invalidf("removing [program:%s] would leave the file unreadable (%v); nothing was changed", f.name, err)
	}
	if len(doc.sections) == 0 {
		return nil, nil
	}
	if _, err := f.checked(lines, false, want); err != nil {
		return nil, err
	}
	return []byte(strings.Join(lines, "")), nil
}

// setPrograms writes each group's programs= list in place of the value of
// its last programs= line (the one supervisord uses) in lines, marking
// that line's continuation lines in drop, and returns the lists by header.
func setPrograms(lines []string, drop map[int]bool, groups []groupEdit) map[string][]string {
	want := map[string][]string{}
	for _, g := range groups {
		o := g.sec.find("programs")
		last := o[len(o)-1]
		content, eol := progCutLineBreak(lines[last.line])
		sep := ","
		if strings.Contains(last.value(), ", ") {
			sep = ", "
		}
		lines[last.line] = content[:last.valStart] + strings.Join(g.list, sep) + content[last.valEnd:] + eol
		for _, c := range last.conts {
			drop[c] = true
		}
		want[g.sec.header] = g.list
	}
	return want
}

// rejoinGroups puts program f.name back in the programs= of each [group:]
// of f's file that listed it in version (the file as a rollback restores
// it), and returns the file and the group it then runs in ("" for none).
func rejoinGroups(f *ProgramFile, version []byte) (*ProgramFile, string, error) {
	vdoc, err := parseProgINI(progSplitLines(string(version)))
	if err != nil {
		return f, "", nil
	}
	listed := map[string]bool{}
	for _, s := range vdoc.sections {
		if o := s.find("programs"); strings.HasPrefix(s.header, "group:") && len(o) > 0 && listHas(o[len(o)-1].value(), f.name) {
			listed[s.header] = true
		}
	}
	var edits []groupEdit
	group := ""
	for _, s := range f.doc.sections {
		o := s.find("programs")
		if !listed[s.header] || len(o) == 0 {
			continue
		}
		group = progPyStrip(strings.TrimPrefix(s.header, "group:"))
		if list := splitList(o[len(o)-1].value()); !slices.Contains(list, f.name) {
			edits = append(edits, groupEdit{sec: s, list: append(list, f.name)})
		}
	}
	if len(edits) == 0 {
		return f, group, nil
	}
	if len(edits) > 1 {
		return nil, "", ops.Invalidf("[program:%s] was in %d groups of its file; put it back by hand", f.name, len(edits))
	}
	lines := slices.Clone(f.lines)
	drop := map[int]bool{}
	want := setPrograms(lines, drop, edits)
	out, err := f.checked(progDeleteLines(lines, drop), true, want)
	return out, group, err
}

// insertSection returns data (a file other sections live in) with sec's
// lines added at its end.
func insertSection(name string, data []byte, sec *ProgramFile) ([]byte, error) {
	lines := progSplitLines(string(data))
	before, err := parseProgINI(lines)
	if err != nil {
		return nil, ops.Invalidf("the file cannot be read as supervisord would (%v), so nothing can be added to it", err)
	}
	for _, s := range before.sections {
		if isProgHeader(s.header, name) {
			return nil, ops.Invalidf("the file already defines [program:%s] (line %d)", name, s.line+1)
		}
		if s.header == "DEFAULT" {
			return nil, ops.Invalidf("the file has a [DEFAULT] section (line %d), whose keys supervisord adds to every section; poolvisor does not add programs to it", s.line+1)
		}
	}
	lines = endLine(lines, true)
	if n := len(lines); n > 0 && strings.TrimSpace(lines[n-1]) != "" {
		lines = append(lines, "\n")
	}
	lines = append(lines, sec.lines...)
	lines = endLine(lines, true)
	f := &ProgramFile{name: name, lines: lines}
	after, err := parseProgINI(lines)
	if err != nil {
		return nil, ops.Invalidf("adding [program:%s] would leave the file unreadable: %v", name, err)
	}
	if err := sameOthers(name, before, after, nil); err != nil {
		return nil, err
	}
	if f.prog, err = progFindSection(after, name); err != nil {
		return nil, err
	}
	return []byte(strings.Join(lines, "")), nil
}

// checked reads lines again and returns them as the program's file when
// every section but the program's is as in f (save the programs= lists of
// groups, which must read as in groups), and the program is still there
// when keep says so.
func (f *ProgramFile) checked(lines []string, keep bool, groups map[string][]string) (*ProgramFile, error) {
	doc, err := parseProgINI(lines)
	if err != nil {
		return nil, ops.Invalidf("the change would leave the file unreadable (%v); nothing was changed", err)
	}
	if err := sameOthers(f.name, f.doc, doc, groups); err != nil {
		return nil, err
	}
	out := &ProgramFile{name: f.name, lines: lines, doc: doc}
	if keep {
		if out.prog, err = progFindSection(doc, f.name); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sameOthers checks that after holds the sections of before other than
// [program:name], in the same order, meaning the same, save the programs=
// lists of the groups in groups.
func sameOthers(name string, before, after *progDoc, groups map[string][]string) error {
	headers := func(d *progDoc) []string {
		var out []string
		for _, s := range d.sections {
			if !isProgHeader(s.header, name) {
				out = append(out, s.header)
			}
		}
		return out
	}
	if !slices.Equal(headers(before), headers(after)) {
		return ops.Invalidf("the change would add, remove or move sections other than [program:%s]; only that section may change", name)
	}
	eb, ea := before.effective(), after.effective()
	for h, want := range eb {
		if isProgHeader(h, name) {
			continue
		}
		got := ea[h]
		if list, ok := groups[h]; ok {
			if !slices.Equal(splitList(got["programs"]), list) {
				return ops.Invalidf("the programs= list of [%s] would not read as intended; nothing was changed", h)
			}
			want, got = maps.Clone(want), maps.Clone(got)
			delete(want, "programs")
			delete(got, "programs")
		}
		if !maps.Equal(want, got) {
			return ops.Invalidf("the change would alter [%s], another section of the file; only [program:%s] may change", h, name)
		}
	}
	return nil
}
