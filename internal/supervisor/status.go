package supervisor

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/secret"
)

// process converts supervisord's process info to the neutral model.
func process(p ProcessInfo) ops.Process {
	out := ops.Process{
		Name: displayName(p), Group: p.Group, State: p.StateName, PID: p.PID,
		Description: p.Description, SpawnErr: p.SpawnErr, ExitStatus: p.ExitStatus,
	}
	if p.StateName == "RUNNING" && p.Start > 0 && p.Now >= p.Start {
		out.Uptime = p.Now - p.Start
	}
	return out
}

// displayName is group:process when the process is one of a group's several
// (or is named apart from its group), else the bare name (SPEC §2).
func displayName(p ProcessInfo) string {
	if p.Name == p.Group {
		return p.Name
	}
	return p.Group + ":" + p.Name
}

// selection is the processes one target (NAME, GROUP:NAME, GROUP:*, all) means.
type selection struct {
	target string
	kind   string // "all", "group", "process"
	group  string // for kind group
	procs  []ProcessInfo
	// skipped says that all left out poolvisor's event listener.
	skipped bool
}

// resolve finds the processes target names. A bare NAME that is a group
// means the whole group, as supervisorctl does.
func (b *Backend) resolve(all []ProcessInfo, target string) (selection, error) {
	sel := selection{target: target}
	switch {
	case target == "" || target == "all":
		sel.kind, sel.procs = "all", all
		return sel, nil
	case strings.HasSuffix(target, ":*"):
		sel.kind, sel.group = "group", strings.TrimSuffix(target, ":*")
	case strings.Contains(target, ":"):
		group, name, _ := strings.Cut(target, ":")
		for _, p := range all {
			if p.Group == group && p.Name == name {
				sel.kind, sel.procs = "process", []ProcessInfo{p}
				return sel, nil
			}
		}
		return sel, ops.Invalidf("no process named %s on %s (see /supervisor status)", target, b.cfg.Host)
	default:
		sel.kind, sel.group = "group", target
	}
	for _, p := range all {
		if p.Group == sel.group {
			sel.procs = append(sel.procs, p)
		}
	}
	if len(sel.procs) == 0 && sel.kind == "group" && sel.group == target {
		// A program inside a [group:] runs under the group's name.
		if loc, err := b.locate(target); err == nil && loc.path != "" && loc.inGroup() {
			switch procs := programProcs(all, loc); len(procs) {
			case 0:
			case 1:
				sel.kind, sel.group, sel.procs = "process", "", procs
				return sel, nil
			default:
				return sel, ops.Invalidf("%s runs %d processes in group %s; name one (%s) or the whole group (%s:*)",
					target, len(procs), loc.group, displayName(procs[0]), loc.group)
			}
		}
	}
	if len(sel.procs) == 0 {
		return sel, ops.Invalidf("no program named %s on %s (see /supervisor status)", sel.group, b.cfg.Host)
	}
	if len(sel.procs) == 1 && sel.procs[0].Name == sel.group {
		sel.kind = "process"
	}
	return sel, nil
}

func (b *Backend) list(ctx context.Context, req ops.Request) (ops.Outcome, error) {
	all, err := b.readProcesses(ctx)
	if err != nil {
		return ops.Outcome{}, b.userError(err, "status")
	}
	sel, err := b.resolve(all, req.Op.Target)
	if err != nil {
		return ops.Outcome{}, err
	}
	list := processes(sel.procs)
	title := fmt.Sprintf("%d process(es) on %s:", len(list.Programs), b.cfg.Host)
	if len(list.Programs) == 0 {
		title = "No programs are configured on " + b.cfg.Host + "."
	}
	return ops.Parts(list, ops.Prose(title), ops.ProcessTable(list.Programs)), nil
}

func processes(infos []ProcessInfo) ops.ProgramList {
	list := ops.ProgramList{Programs: make([]ops.Process, 0, len(infos))}
	for _, p := range infos {
		list.Programs = append(list.Programs, process(p))
	}
	sort.SliceStable(list.Programs, func(i, j int) bool { return list.Programs[i].Name < list.Programs[j].Name })
	return list
}

func (b *Backend) show(ctx context.Context, req ops.Request) (ops.Outcome, error) {
	name := req.Op.Target
	all, err := b.readProcesses(ctx)
	if err != nil {
		return ops.Outcome{}, b.userError(err, name)
	}
	// A program inside a [group:] is shown by its own name or as
	// GROUP:NAME, with its file; its processes are those of the group
	// named after it.
	pname := b.groupProgram(name)
	loc, _ := b.locate(pname)
	sel, err := b.resolve(all, name)
	if err != nil {
		if loc.path == "" || !loc.inGroup() {
			return ops.Outcome{}, err
		}
		sel = selection{target: name, kind: "process", procs: programProcs(all, loc)}
	}
	prog := ops.Program{Name: name, Directives: map[string]string{}, Processes: processes(sel.procs).Programs}
	prog.File = loc.path
	if prog.File == "" {
		prog.File, _ = findProgramFile(b.cfg.ConfigFile, b.cfg.ProgramDir, name, b.includeEnv)
	}
	// The directives as written in the file (what an edit changes); what
	// supervisord reports, with its defaults filled in, when the file
	// cannot be read. The raw form holds the program's own lines: the
	// whole file when it has one of its own, its section when it shares it.
	var notes []string
	if loc.path != "" {
		if f, err := ParseProgramFile(pname, loc.data); err == nil {
			// Secrets masked: a viewer may run show, and a raw edit of
			// this content gets them back (secret.Restore).
			prog.Directives = secret.Directives(f.Directives())
			prog.Content = secret.File(string(ProgramSection(pname, loc.data)))
		}
		if loc.inGroup() {
			notes = append(notes, fmt.Sprintf("in [group:%s]: supervisord runs it in group %s, and applies its edits by restarting that group", loc.group, loc.group))
		}
		if why := b.uneditable(loc); why != "" {
			notes = append(notes, "not editable here: "+why)
			prog.Content = ""
		}
	}
	if len(prog.Directives) == 0 {
		configs, err := b.client.GetAllConfigInfo(ctx)
		if err != nil {
			return ops.Outcome{}, b.userError(err, name)
		}
		for _, c := range configs {
			if fmt.Sprint(c["group"]) == name {
				for k, v := range c {
					prog.Directives[k] = secret.Value(k, fmt.Sprint(v))
				}
				break
			}
		}
	}

	var out strings.Builder
	fmt.Fprintf(&out, "Program %s on %s", name, b.cfg.Host)
	if prog.File != "" {
		fmt.Fprintf(&out, " (%s)", prog.File)
	}
	out.WriteString(":\n")
	for _, n := range notes {
		fmt.Fprintf(&out, "  (%s)\n", n)
	}
	keys := make([]string, 0, len(prog.Directives))
	for k := range prog.Directives {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&out, "  %s = %s\n", k, prog.Directives[k])
	}
	return ops.Parts(map[string]any{"program": prog}, ops.Prose(strings.TrimSuffix(out.String(), "\n")), ops.ProcessTable(prog.Processes)), nil
}

// Info is the data of supervisor.service.status.
type Info struct {
	State      string `json:"state"`
	Version    string `json:"version"`
	PID        int    `json:"pid"`
	ConfigFile string `json:"config_file"`
	URL        string `json:"url"`
}

func (b *Backend) info(ctx context.Context, _ ops.Request) (ops.Outcome, error) {
	_, state, err := b.client.GetState(ctx)
	if err != nil {
		return ops.Outcome{}, b.userError(err, "info")
	}
	in := Info{State: state, ConfigFile: b.cfg.ConfigFile, URL: b.client.URL()}
	if in.Version, err = b.client.GetSupervisorVersion(ctx); err != nil {
		return ops.Outcome{}, b.userError(err, "info")
	}
	if in.PID, err = b.client.GetPID(ctx); err != nil {
		return ops.Outcome{}, b.userError(err, "info")
	}
	msg := fmt.Sprintf("supervisord on %s: %s, version %s, pid %d\n  config: %s\n  url: %s",
		b.cfg.Host, in.State, in.Version, in.PID, in.ConfigFile, in.URL)
	return ops.Outcome{Message: msg, Data: map[string]any{"supervisord": in}}, nil
}
