package supervisor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/secret"
)

// flagKeys maps the program flags of SPEC §1 to supervisord keys, as the
// catalog declares them.
var flagKeys = func() map[string]string {
	m := map[string]string{}
	for _, f := range catalog.Directives(catalog.ProgramFlags) {
		m[f.Name] = f.Key
	}
	return m
}()

// keyField is the flag (a form's field) that sets key: its own, or set.
func keyField(key string) string {
	if f := catalog.FlagOf(catalog.ProgramFlags, strings.ToLower(key)); f != "" {
		return f
	}
	return catalog.Set
}

// programWrite handles add and edit: one file per program in program_dir.
type programWrite struct {
	b   *Backend
	add bool
}

func (h programWrite) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	b := h.b
	name := b.groupProgram(req.Op.Target)
	if !ops.ValidName(name) {
		return nil, ops.InvalidField(catalog.Target, "%q is not a valid program name", name)
	}
	if isListener(name) {
		return nil, listenerRefused(map[bool]string{true: "added", false: "edited"}[h.add])
	}
	if req.Op.Has("raw") {
		return nil, ops.Invalidf("--raw opens the program's section in a chat form; from the shell, change keys with flags or --set KEY=VALUE")
	}
	content, raw := req.Op.Get("content")
	var (
		path string
		old  []byte
		f    *ProgramFile
		cur  *ProgramFile // the file as it is, for an edit
		loc  = progLoc{name: name, group: name}
		err  error
	)
	if h.add {
		if path, old, err = b.addTarget(ctx, name, req.Op); err != nil {
			return nil, err
		}
		if !raw {
			if f, err = b.newProgram(ctx, name, req.Op); err != nil {
				return nil, err
			}
		}
	} else {
		if loc, cur, err = b.existingProgram(name); err != nil {
			return nil, err
		}
		path, old = loc.path, loc.data
		if len(req.Op.Args) == 0 {
			return nil, ops.Invalidf("nothing to change: give flags such as --command or --set KEY=VALUE (in chat, edit without flags opens a form)")
		}
		f = cur
	}
	if raw {
		if !h.add { // the file weighed against the one its editor showed, as show gives it
			if err := ops.CheckShown(req.Op, secret.File(string(ProgramSection(name, old))), "The file of program "+name); err != nil {
				return nil, err
			}
		}
		if f, err = rawWrite(name, content, old, cur); err != nil {
			return nil, err
		}
		// A rollback of a program deleted from a file others share puts
		// it back in the [group:] it was in, as the version has it.
		if version, ok := req.Op.Get("rollback_file"); ok && h.add && old != nil {
			var g string
			if f, g, err = rejoinGroups(f, []byte(version)); err != nil {
				return nil, err
			}
			if g != "" {
				loc.group = g
			}
		}
	} else if err := b.setFlags(ctx, f, req.Op); err != nil {
		return nil, err
	}
	checks := b.hostChecks(ctx)
	if err := ValidateProgram(f, checks); err != nil {
		return nil, err
	}
	var before *ProgramFile // as it is now: f may be cur, changed in place
	if old != nil && !h.add {
		if before, err = ParseProgramFile(name, old); err != nil {
			return nil, ops.Invalidf("%s cannot be edited safely: %v", path, err)
		}
	}
	if err := b.checkPolicy(before, f, raw, checks.Env); err != nil {
		return nil, err
	}
	if err := checkCommand(f); err != nil {
		return nil, err
	}
	next := f.Bytes()
	verb := "Added"
	if !h.add {
		verb = "Updated"
	}
	change := ops.FileChange{Kind: ProgramKind, Name: name, Path: path, Before: old, After: next}
	plan := &ops.Plan{
		Summary:     describeChange(h.add, name, path, old, f),
		Fingerprint: digest(old),
		Changes:     []ops.FileChange{change},
	}
	if bytes.Equal(old, next) {
		plan.Summary = fmt.Sprintf("%s: nothing would change", path)
		plan.Apply = func(context.Context) (ops.Outcome, error) {
			return ops.Outcome{Message: fmt.Sprintf("%s already says that; nothing changed.", path)}, nil
		}
		return plan, nil
	}
	if err := b.daemonCheck(ctx, fileChange{path: path, old: old, new: next}); err != nil {
		return nil, err
	}
	group := loc.group
	running := false
	if !h.add || loc.inGroup() {
		// supervisord applies a changed section by stopping the group and
		// starting it again: an edit of a running program restarts it, and
		// every other program of its [group:] with it.
		if running, err = b.running(ctx, group); err != nil {
			return nil, err
		}
		if loc.inGroup() {
			plan.Summary += fmt.Sprintf("\n  (%s is in [group:%s]: supervisord applies the change by restarting the whole group %s)", name, group, group)
		}
	}
	autostart := true
	if v, ok := f.Get("autostart"); ok {
		autostart, _ = parseBool(v)
	}
	if running {
		plan.Effects = []string{"supervisor.program.restart"}
		if !autostart {
			// supervisord removes the group and adds it back stopped.
			plan.Effects = append(plan.Effects, "supervisor.program.stop")
		}
	}
	plan.Apply = func(ctx context.Context) (ops.Outcome, error) {
		return b.applyProgram(ctx, fileChange{path: path, old: old, new: next}, verb, group, autostart, plan.Changes)
	}
	return plan, nil
}

// running reports whether any process of group runs or is on its way to.
func (b *Backend) running(ctx context.Context, group string) (bool, error) {
	all, err := b.client.GetAllProcessInfo(ctx)
	if err != nil {
		return false, b.userError(err, group)
	}
	for _, p := range all {
		if p.Group == group && liveStates[p.StateName] {
			return true, nil
		}
	}
	return false, nil
}

// liveStates are the states of a process that a stop or restart interrupts.
var liveStates = map[string]bool{"RUNNING": true, "STARTING": true, "BACKOFF": true}

// ProgramKind names program files in the history.
const ProgramKind = "supervisor.program"

// ProgramOps are the operations on program files, whose versions the
// history keeps.
var ProgramOps = ops.FileOps{
	Show: "supervisor.program.show", Edit: "supervisor.program.edit",
	Add: "supervisor.program.add", Delete: "supervisor.program.delete",
	History: "supervisor.program.history", Rollback: "supervisor.program.rollback",
}

// ProgramPath is the file that defines program name (the first, when
// several do), or the file a new program of that name gets.
func (b *Backend) ProgramPath(name string) string {
	if loc, err := b.locate(name); err == nil && loc.path != "" {
		return loc.path
	}
	return b.newProgramPath(name)
}

// addTarget returns the file an add writes and its bytes now: a file of
// the program's own in program_dir, or, for a rollback of a program
// deleted from a file others share, that file (rollback_path), which must
// be writable and must not define it already. Either way the name must be
// free everywhere supervisord looks, since supervisord silently merges
// sections of the same name across files.
func (b *Backend) addTarget(ctx context.Context, name string, op ops.Operation) (string, []byte, error) {
	path := b.newProgramPath(name)
	if rp, ok := op.Get("rollback_path"); ok && filepath.IsAbs(rp) && filepath.Clean(rp) != path {
		if old, err := readIfExists(rp); err == nil && old != nil {
			path = filepath.Clean(rp)
		}
	}
	if why := b.fileRefusal(path); why != "" {
		return "", nil, ops.Invalidf("program %s cannot be added: %s", name, why)
	}
	old, err := readIfExists(path)
	if err != nil {
		return "", nil, ops.Fail(err, "could not read %s", path)
	}
	if old != nil && path == b.newProgramPath(name) {
		return "", nil, ops.InvalidField(catalog.Target, "program %s already exists (%s); change it with /supervisor edit", name, path)
	}
	loc, err := b.locate(name)
	if err != nil {
		return "", nil, err
	}
	if loc.path != "" {
		return "", nil, ops.Invalidf("program %s is already defined in %s", name, loc.defs[0])
	}
	all, err := b.client.GetAllProcessInfo(ctx)
	if err != nil {
		return "", nil, b.userError(err, name)
	}
	for _, p := range all {
		if p.Group == name {
			return "", nil, ops.Invalidf("supervisord already runs a group named %s", name)
		}
	}
	return path, old, nil
}

// newProgram starts a program file with the usual defaults.
func (b *Backend) newProgram(ctx context.Context, name string, op ops.Operation) (*ProgramFile, error) {
	command, ok := op.Get("command")
	if !ok {
		return nil, ops.Invalidf("add needs --command, the program to run (e.g. --command \"/usr/bin/php /var/www/app/artisan queue:work\")")
	}
	numprocs := 1
	if v, ok := op.Get("numprocs"); ok {
		numprocs, _ = strconv.Atoi(v)
	}
	env := b.expansionEnv(ctx)
	f, err := DefaultProgram(name, command, b.cfg.LogDir, numprocs, env)
	if err != nil {
		return nil, err
	}
	// A new program runs as policy.program_users' first unless the request
	// names a user; the policy check then judges the user it names.
	if _, named := op.Get("user"); !named && !setsKey(op, "user") {
		if u := b.cfg.Policy.DefaultUser(); u != "" {
			if err := f.Set("user", u, env); err != nil {
				return nil, err
			}
		}
	}
	return f, nil
}

// setsKey reports whether op sets key with --set.
func setsKey(op ops.Operation, key string) bool {
	for _, v := range op.All("set") {
		if k, _, _ := strings.Cut(v, "="); strings.EqualFold(strings.TrimSpace(k), key) {
			return true
		}
	}
	return false
}

// existingProgram finds program name where supervisord reads it and
// loads its file, refusing what poolvisor may not edit there.
func (b *Backend) existingProgram(name string) (progLoc, *ProgramFile, error) {
	loc, err := b.locate(name)
	if err != nil {
		return loc, nil, err
	}
	if loc.path == "" {
		return loc, nil, ops.Invalidf("no program named %s in the files supervisord reads (see /supervisor status)", name)
	}
	if err := b.editable(loc); err != nil {
		return loc, nil, err
	}
	f, err := ParseProgramFile(name, loc.data)
	if err != nil {
		return loc, nil, ops.Invalidf("%s cannot be edited safely: %v", loc.path, err)
	}
	return loc, f, nil
}

// rawWrite reads content, a program as a chat form or a rollback gives it:
// the whole file of a program that has one of its own, or just its
// section when it shares its file (cur, nil for an add). The form showed
// it with its secrets masked; lines kept as shown keep their values, taken
// from the program's own lines only, never from another section's. The
// result is the whole file to write; in a shared file only the program's
// lines differ.
func rawWrite(name, content string, old []byte, cur *ProgramFile) (*ProgramFile, error) {
	own := string(old)
	if cur != nil && cur.shared() {
		own = cur.sectionText()
	}
	if old != nil && cur == nil {
		own = "" // a section added to a file others share: nothing of theirs is shown
	}
	content, err := secret.Unmask(content, own)
	if err != nil {
		return nil, ops.Invalidf("%v", err)
	}
	sec, err := rawProgram(name, content)
	if err != nil {
		return nil, err
	}
	switch {
	case cur != nil && cur.shared():
		return cur.withSection(sec)
	case cur == nil && old != nil:
		next, err := insertSection(name, old, sec)
		if err != nil {
			return nil, err
		}
		return ParseProgramFile(name, next)
	}
	return sec, nil
}

// maxRawFile bounds a raw edit; no program file is anywhere near it.
const maxRawFile = 64 << 10

// rawProgram reads a whole program file written in a chat form. It may hold
// comments and any keys of [program:name], but no other section: a raw edit
// of one program cannot define another, or change supervisord itself.
//
// Line breaks are made plain first (\r\n and a lone \r become \n, which is
// what supervisord's text-mode read makes of them), and the characters
// Python's str.splitlines would also break on are refused, so the section
// check below sees exactly the lines supervisord will read, and the bytes
// written are the bytes checked.
func rawProgram(name, content string) (*ProgramFile, error) {
	if len(content) > maxRawFile {
		return nil, ops.Invalidf("the file is %d bytes; the limit is %d", len(content), maxRawFile)
	}
	if strings.ContainsRune(content, 0) {
		return nil, ops.Invalidf("the file may not contain NUL bytes")
	}
	if i := strings.IndexFunc(content, progOddLineBreak); i >= 0 {
		r, _ := utf8.DecodeRuneInString(content[i:])
		line := strings.Count(content[:i], "\n") + 1
		return nil, ops.Invalidf("line %d: the character U+%04X may not be in a program file: Python reads it as a line break in some places and not in others", line, r)
	}
	content = strings.ReplaceAll(content, "\r\n", "\n")
	content = strings.ReplaceAll(content, "\r", "\n")
	if !strings.HasSuffix(content, "\n") {
		content += "\n"
	}
	f, err := ParseProgramFile(name, []byte(content))
	if err != nil {
		return nil, ops.Invalidf("the file cannot be read as supervisord would: %v", err)
	}
	// The sections as supervisord's parser finds them, not as a plain
	// split would: that is what it will act on.
	for _, s := range f.doc.sections {
		if s != f.prog {
			return nil, ops.Invalidf("line %d: only the section [program:%s] may be in this file, not [%s]", s.line+1, name, s.header)
		}
	}
	return f, nil
}

// progOddLineBreak reports the characters other than \n and \r that
// Python's str.splitlines takes as line breaks.
func progOddLineBreak(r rune) bool {
	switch r {
	case '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// setFlags applies the request's flags in the order given.
func (b *Backend) setFlags(ctx context.Context, f *ProgramFile, op ops.Operation) error {
	env := b.expansionEnv(ctx)
	namedProcesses := false
	for _, v := range op.All("set") {
		namedProcesses = namedProcesses || strings.HasPrefix(strings.ToLower(v), "process_name=")
	}
	for _, a := range op.Args {
		key, value := flagKeys[a.Key], a.Value
		if a.Key == catalog.Set {
			key, value, _ = strings.Cut(a.Value, "=")
		}
		if key == "" {
			return ops.InvalidField(a.Key, "--%s does not apply to programs", a.Key)
		}
		if err := f.Set(key, value, env); err != nil {
			return ops.WithField(err, a.Key) // the flag that gave the value
		}
		// More than one process needs distinct names; give them the usual
		// ones unless the request names them itself.
		if strings.EqualFold(key, "numprocs") && value != "1" && !namedProcesses {
			if pn, _ := f.Get("process_name"); !strings.Contains(pn, "%(process_num)") {
				if err := f.Set("process_name", "%(program_name)s_%(process_num)02d", env); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean: %q", v)
}

func readIfExists(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// digest identifies file content for plan fingerprints; a missing file has its own.
func digest(b []byte) string {
	if b == nil {
		return "absent"
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// describeChange lists, key by key, what an add or edit would write.
func describeChange(add bool, name, path string, old []byte, f *ProgramFile) string {
	var before map[string]string
	if old != nil {
		if prev, err := ParseProgramFile(name, old); err == nil {
			before = prev.Directives()
		}
	}
	after := f.Directives()
	keys := make([]string, 0, len(after))
	for k := range after {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var lines []string
	for _, k := range keys {
		was, had := before[k]
		switch {
		case !had:
			lines = append(lines, fmt.Sprintf("  + %s = %s", k, secret.Value(k, after[k])))
		case was != after[k]:
			lines = append(lines, fmt.Sprintf("  ~ %s = %s (was %s)", k, secret.Value(k, after[k]), secret.Value(k, was)))
		}
	}
	verb := "edit"
	if add {
		verb = "add"
	}
	return fmt.Sprintf("%s program %s (%s):\n%s", verb, name, path, strings.Join(lines, "\n"))
}
