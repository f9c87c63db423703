package supervisor

import (
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// ProgramFile is one program's config file, kept line by line so that an edit
// changes only the keys it sets and keeps comments and hand-written keys.
//
// Values come in two forms. The stored form is what supervisord's
// configparser returns: '%' is written '%%' (and '%%%%' in log file names,
// which supervisord expands twice). The form users see, taken by Set and
// returned by Get, has a plain '%' for a percent sign, and %(name)s is an
// expansion of one of the names supervisord offers.
type ProgramFile struct {
	name  string
	lines []string // raw lines, each with its line break (the last may lack one)
	doc   *progDoc
	prog  *progSection // the [program:name] section; nil only for an invalid name
}

const programFileHeader = "; This file is managed by poolvisor. Changes made through poolvisor touch only\n" +
	"; the keys they set; comments and keys written by hand are kept.\n"

// NewProgramFile returns a file holding an empty [program:name] section under
// a short header comment. name should pass ops.ValidName; Set and
// ValidateProgram refuse a file whose name does not.
func NewProgramFile(name string) *ProgramFile {
	f := &ProgramFile{name: name, lines: progSplitLines(programFileHeader + "[program:" + name + "]\n")}
	if doc, err := parseProgINI(f.lines); err == nil {
		f.doc = doc
		f.prog, _ = progFindSection(doc, name)
	}
	return f
}

// ParseProgramFile reads data, which must hold exactly one [program:name]
// section. It reads the file the way supervisord's configparser does and
// refuses what supervisord would refuse to read.
func ParseProgramFile(name string, data []byte) (*ProgramFile, error) {
	if err := progCheckName(name); err != nil {
		return nil, err
	}
	if !utf8.Valid(data) {
		line := 1
		for i := 0; i < len(data); {
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			if r == '\n' {
				line++
			}
			i += n
		}
		return nil, ops.Invalidf("the file of program %s is not valid UTF-8 text (line %d)", name, line)
	}
	f := &ProgramFile{name: name, lines: progSplitLines(string(data))}
	doc, err := parseProgINI(f.lines)
	if err != nil {
		return nil, ops.Invalidf("the file of program %s: %v", name, err)
	}
	for _, s := range doc.sections {
		if s.header == "DEFAULT" {
			return nil, ops.Invalidf("the file of program %s has a [DEFAULT] section (line %d), whose keys supervisord would add to every section of its configuration", name, s.line+1)
		}
	}
	if f.prog, err = progFindSection(doc, name); err != nil {
		return nil, err
	}
	f.doc = doc
	return f, nil
}

// progFindSection finds the one [program:name] section of doc.
func progFindSection(doc *progDoc, name string) (*progSection, error) {
	var found *progSection
	for _, s := range doc.sections {
		rest, ok := strings.CutPrefix(s.header, "program:")
		if !ok || progPyStrip(rest) != name {
			continue
		}
		if found != nil {
			return nil, ops.Invalidf("the file of program %s has [program:%s] twice (lines %d and %d); supervisord would merge them", name, name, found.line+1, s.line+1)
		}
		found = s
	}
	if found == nil {
		return nil, ops.Invalidf("the file of program %s has no [program:%s] section", name, name)
	}
	return found, nil
}

// Name returns the program's name.
func (f *ProgramFile) Name() string { return f.name }

// Bytes returns the file as it should be written; lines no edit touched are
// byte-identical to the parsed input.
func (f *ProgramFile) Bytes() []byte { return []byte(strings.Join(f.lines, "")) }

// Get returns key's value as the user means it: %% shown as %, expansions
// such as %(program_name)s as written. A key set more than once yields the
// last value, which is the one supervisord uses.
func (f *ProgramFile) Get(key string) (string, bool) {
	raw, ok := f.stored(strings.ToLower(key))
	if !ok {
		return "", false
	}
	return progUnescape(progPasses(strings.ToLower(key)), raw), true
}

// Directives returns every key of the program section with its value as the
// user means it, hand-written and unknown keys included.
func (f *ProgramFile) Directives() map[string]string {
	out := map[string]string{}
	for k, v := range f.storedValues() {
		out[k] = progUnescape(progPasses(k), v)
	}
	return out
}

// Set validates key and value, escapes the value for supervisord and
// replaces the key's line in place, or appends it at the end of the section.
// Setting a key to the value Get returns leaves a valid line untouched.
// env resolves %(ENV_X)s: it is called with X, the name of a variable in
// supervisord's environment; a nil env has no variables.
func (f *ProgramFile) Set(key, value string, env ExpansionEnv) error {
	if err := progCheckName(f.name); err != nil {
		return err
	}
	k, spec, err := lookupProgKey(key)
	if err != nil {
		return err
	}
	ctx := newProgEval(f, env, true)
	if cur, ok := f.stored(k); ok && progUnescape(spec.passes, cur) == value &&
		progCheckStoredText(k, cur) == nil && progCheckStored(k, spec, cur, ctx) == nil {
		// Unchanged (a form sends back every field): keep the line as
		// written, whose stored form Set might not reproduce, such as a
		// hand-written %%(program_name)s or a multi-line value.
		return nil
	}
	if err := progCheckText(k, value, spec.kind == pkEnvironment); err != nil {
		return err
	}
	stored, err := progEscape(k, spec, value)
	if err != nil {
		return err
	}
	if err := progCheckStored(k, spec, stored, ctx); err != nil {
		return err
	}
	return f.setStored(k, stored)
}

// Unset removes every line of key from the program section.
func (f *ProgramFile) Unset(key string) error {
	k := strings.ToLower(key)
	if f.prog == nil {
		return progCheckName(f.name)
	}
	drop := map[int]bool{}
	for _, o := range f.prog.find(k) {
		drop[o.line] = true
		for _, c := range o.conts {
			drop[c] = true
		}
	}
	if len(drop) == 0 {
		return nil
	}
	return f.commit(progDeleteLines(f.lines, drop), k, nil)
}

func (f *ProgramFile) stored(key string) (string, bool) {
	if f.prog == nil {
		return "", false
	}
	opts := f.prog.find(key)
	if len(opts) == 0 {
		return "", false
	}
	return opts[len(opts)-1].value(), true
}

func (f *ProgramFile) storedValues() map[string]string {
	out := map[string]string{}
	if f.prog != nil {
		for _, o := range f.prog.opts {
			out[o.key] = o.value()
		}
	}
	return out
}

func progPasses(key string) int {
	if spec, ok := progKeys[key]; ok {
		return spec.passes
	}
	return 1
}

// setStored writes key=stored: in place of the key's last line (dropping
// earlier duplicates and continuation lines), or after the section's last
// line of content.
func (f *ProgramFile) setStored(key, stored string) error {
	lines := slices.Clone(f.lines)
	opts := f.prog.find(key)
	if len(opts) == 0 {
		at, eol := f.prog.last, "\n"
		if strings.HasSuffix(lines[f.prog.line], "\r\n") {
			eol = "\r\n" // keep a Windows file's line breaks
		}
		if !strings.HasSuffix(lines[at], "\n") && !strings.HasSuffix(lines[at], "\r") {
			lines[at] += eol
		}
		lines = slices.Insert(lines, at+1, key+f.separator()+stored+eol)
		return f.commit(lines, key, &stored)
	}
	o := opts[len(opts)-1]
	content, eol := progCutLineBreak(lines[o.line])
	prefix := content[:o.valStart]
	if strings.HasPrefix(stored, ";") || strings.HasPrefix(stored, "#") {
		prefix = progPyRStrip(prefix) // after a space, ; or # would start a comment
	}
	lines[o.line] = prefix + stored + content[o.valEnd:] + eol
	drop := map[int]bool{}
	for _, c := range o.conts {
		drop[c] = true
	}
	for _, p := range opts[:len(opts)-1] {
		drop[p.line] = true
		for _, c := range p.conts {
			drop[c] = true
		}
	}
	return f.commit(progDeleteLines(lines, drop), key, &stored)
}

// separator is how the section writes "=" between key and value: as its
// last key line does ("key = value" in a file written so), else "=".
func (f *ProgramFile) separator() string {
	if len(f.prog.opts) == 0 {
		return "="
	}
	o := f.prog.opts[len(f.prog.opts)-1]
	content, _ := progCutLineBreak(f.lines[o.line])
	d := strings.IndexAny(content, "=:")
	if d < 0 || o.valStart > len(content) || o.valStart < d {
		return "="
	}
	sep := content[len(progPyRStrip(content[:d])):o.valStart]
	if strings.Trim(sep, " \t") != "=" {
		return "="
	}
	return sep
}

// commit re-reads lines and takes them only if they mean what the file
// meant with key set to *stored (or removed when stored is nil): a safety
// net against any way an edit could change the file's structure.
func (f *ProgramFile) commit(lines []string, key string, stored *string) error {
	want := f.doc.effective()
	if stored == nil {
		delete(want[f.prog.header], key)
	} else {
		want[f.prog.header][key] = *stored
	}
	doc, err := parseProgINI(lines)
	var prog *progSection
	if err == nil {
		prog, err = progFindSection(doc, f.name)
	}
	if err != nil || !maps.EqualFunc(want, doc.effective(), maps.Equal) {
		return ops.Invalidf("%s can't be changed in this file without changing other lines; edit the file as a whole (edit %s --raw) instead", key, f.name)
	}
	f.lines, f.doc, f.prog = lines, doc, prog
	return nil
}

func progDeleteLines(lines []string, drop map[int]bool) []string {
	out := make([]string, 0, len(lines))
	for i, l := range lines {
		if !drop[i] {
			out = append(out, l)
		}
	}
	return out
}
