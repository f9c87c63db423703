package supervisor

// This file finds where supervisord defines a program (any file it
// includes, or its main config), the [group:] it belongs to, and whether
// poolvisor may edit it there.

import (
	"fmt"
	"os"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// progDef is one [program:name] section: the file and its 1-based line.
type progDef struct {
	path string
	line int
}

func (d progDef) String() string { return fmt.Sprintf("%s:%d", d.path, d.line) }

// progLoc is where a program is defined and what supervisord makes of it.
type progLoc struct {
	name string
	defs []progDef // every [program:name] supervisord reads; more than one is merged by it
	path string    // the file of the first definition; "" when there is none
	data []byte    // path's bytes as read
	// group is the process group supervisord runs the program in: the
	// [group:] whose programs= lists it, else the program's own name.
	group string
	// groups are the [group:] sections whose programs= lists it.
	groups []progDef
	// parseErr says why path cannot be read as configparser would.
	parseErr error
	// shared says path holds sections other than [program:name].
	shared bool
}

// inGroup reports whether the program runs inside a [group:] of another name.
func (l progLoc) inGroup() bool { return l.group != l.name }

// confFile is one file supervisord reads, read once.
type confFile struct {
	path string
	data []byte
	doc  *progDoc // nil when err says why configparser's model cannot read it
	err  error
}

// readConf reads every file supervisord reads, in its order; a file that
// vanished meanwhile is skipped, as supervisord skips it.
func (b *Backend) readConf() ([]confFile, error) {
	paths, err := includedFiles(b.cfg.ConfigFile, b.includeEnv)
	if err != nil {
		return nil, ops.Fail(err, "could not read supervisord's config %s", b.cfg.ConfigFile)
	}
	var out []confFile
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		doc, perr := parseProgINI(progSplitLines(string(data)))
		out = append(out, confFile{path: path, data: data, doc: doc, err: perr})
	}
	return out, nil
}

// locate finds program name in every file supervisord reads.
func (b *Backend) locate(name string) (progLoc, error) {
	files, err := b.readConf()
	if err != nil {
		return progLoc{name: name, group: name}, err
	}
	return locateIn(files, name), nil
}

// locateIn finds program name in files. Its sections are found as
// configparser finds them; in a file that model cannot read, by their
// header lines.
func locateIn(files []confFile, name string) progLoc {
	loc := progLoc{name: name, group: name}
	programs := map[string]groupList{} // by section header
	var headers []string
	for _, f := range files {
		var lines []int
		if f.doc == nil {
			lines = headerLines(f.data, "program:"+name)
		} else {
			for _, s := range f.doc.sections {
				if isProgHeader(s.header, name) {
					lines = append(lines, s.line+1)
				}
			}
		}
		for _, n := range lines {
			loc.defs = append(loc.defs, progDef{path: f.path, line: n})
		}
		if len(lines) > 0 && loc.path == "" {
			loc.path, loc.data, loc.parseErr = f.path, f.data, f.err
		}
		if f.doc == nil {
			continue
		}
		for _, s := range f.doc.sections {
			if f.path == loc.path && !isProgHeader(s.header, name) {
				loc.shared = true
			}
			if !strings.HasPrefix(s.header, "group:") {
				continue
			}
			// supervisord reads every file into one parser, which merges
			// sections of the same header (strict=False): the last
			// programs= of a group, in any of its sections, is the one
			// it uses.
			if _, seen := programs[s.header]; !seen {
				headers = append(headers, s.header)
			}
			if opts := s.find("programs"); len(opts) > 0 {
				programs[s.header] = groupList{opts[len(opts)-1].value(), progDef{path: f.path, line: s.line + 1}}
			} else if _, seen := programs[s.header]; !seen {
				programs[s.header] = groupList{}
			}
		}
	}
	for _, h := range headers {
		if l := programs[h]; listHas(l.value, name) {
			loc.group = progPyStrip(strings.TrimPrefix(h, "group:"))
			loc.groups = append(loc.groups, l.def)
		}
	}
	return loc
}

// groupList is a group's programs= as supervisord ends up with it, and the
// section it comes from.
type groupList struct {
	value string
	def   progDef
}

// isProgHeader reports whether header is [program:name] as supervisord reads it.
func isProgHeader(header, name string) bool {
	rest, ok := strings.CutPrefix(header, "program:")
	return ok && progPyStrip(rest) == name
}

// splitList reads a comma-separated value as supervisord's list_of_strings does.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func listHas(v, name string) bool {
	for _, p := range splitList(v) {
		if p == name {
			return true
		}
	}
	return false
}

// editable returns why poolvisor will not write loc's file, as an invalid
// error a user can act on, or nil.
func (b *Backend) editable(loc progLoc) error {
	if why := b.uneditable(loc); why != "" {
		return ops.Invalidf("program %s is shown and controlled but not edited: %s", loc.name, why)
	}
	return nil
}

// uneditable is editable's reason, "" when there is none.
func (b *Backend) uneditable(loc progLoc) string {
	if len(loc.defs) > 1 {
		return fmt.Sprintf("it is defined %d times (%s), and supervisord merges the sections key by key; "+
			"remove all but one by hand first", len(loc.defs), defList(loc.defs))
	}
	if len(loc.groups) > 1 {
		return fmt.Sprintf("it is in %d [group:] sections (%s), so one edit would change several groups; edit it by hand", len(loc.groups), defList(loc.groups))
	}
	if loc.parseErr != nil {
		return fmt.Sprintf("%s cannot be read exactly as supervisord reads it (%v), so an edit could not keep the rest of it byte for byte", loc.path, loc.parseErr)
	}
	if why := b.fileRefusal(loc.path); why != "" {
		return why
	}
	if _, err := ParseProgramFile(loc.name, loc.data); err != nil {
		_, msg := ops.UserError(err)
		return fmt.Sprintf("%s cannot be edited safely: %s", loc.path, msg)
	}
	return ""
}

// groupProgram splits a GROUP:NAME target into the program name, for a
// program inside a [group:]; other targets come back unchanged.
func (b *Backend) groupProgram(target string) string {
	g, name, ok := strings.Cut(target, ":")
	if !ok {
		return target
	}
	if loc, err := b.locate(name); err == nil && loc.path != "" && loc.group == g {
		return name
	}
	return target
}

func defList(defs []progDef) string {
	var at []string
	for _, d := range defs {
		at = append(at, d.String())
	}
	return strings.Join(at, ", ")
}

// programProcs returns the processes of loc's program. A program in a
// [group:] shares the group with others; its processes are the ones named
// after it (name, or name_NN with numprocs), which is how supervisord
// names them unless process_name says otherwise.
func programProcs(all []ProcessInfo, loc progLoc) []ProcessInfo {
	var out []ProcessInfo
	for _, p := range all {
		if p.Group != loc.group {
			continue
		}
		if !loc.inGroup() || p.Name == loc.name || strings.HasPrefix(p.Name, loc.name+"_") {
			out = append(out, p)
		}
	}
	return out
}
