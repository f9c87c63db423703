package phpfpm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// This file runs the fpm.* operations on a host with several PHP-FPM
// installations (SPEC §6). Each instance is a Backend of its own, with its
// own handlers; Instances routes an operation to one of them by --php, or
// to the default one, and answers the reads that list (pools, status,
// tune) for all of them at once when --php is not given. A write or a
// reload only ever reaches the instance it names.

// Instance is one PHP-FPM installation as Instances runs it.
type Instance struct {
	Name string // what --php takes
	// Backend is nil when the instance could not be set up; then
	// Handlers answer why.
	Backend *Backend
	// Handlers are the instance's fpm.* operations: the Backend's, with
	// history and rollback added by the caller.
	Handlers map[string]ops.Handler
}

// Instances runs the fpm.* operations of several PHP-FPM installations.
type Instances struct {
	host string
	list []Instance
	def  string // "" when no default: a command must say --php
}

// NewInstances returns the dispatcher for list, in the order given (lists
// and status follow it). def names the instance a command without --php
// concerns; "" means none, and such a command is refused where it would
// be ambiguous.
func NewInstances(host string, list []Instance, def string) *Instances {
	return &Instances{host: host, list: list, def: def}
}

// Several reports whether there is more than one instance.
func (s *Instances) Several() bool { return len(s.list) > 1 }

// Names returns the instances' names, in order.
func (s *Instances) Names() []string {
	names := make([]string, len(s.list))
	for i, in := range s.list {
		names[i] = in.Name
	}
	return names
}

// Default returns the name of the default instance, or "".
func (s *Instances) Default() string { return s.def }

// Backends returns the instances that are up, in order.
func (s *Instances) Backends() []Instance {
	var out []Instance
	for _, in := range s.list {
		if in.Backend != nil {
			out = append(out, in)
		}
	}
	return out
}

// PoolKindOf is the kind under which an instance's pool files are kept in
// the history: pool names repeat across instances (www in 7.4 and 8.3), so
// with several instances each has a kind of its own; with one it is
// PoolKind, as before there were instances.
func PoolKindOf(name string, several bool) string {
	if !several {
		return PoolKind
	}
	return PoolKind + "@" + name
}

// allReads are the reads that cover every instance when --php is not given.
var allReads = map[string]bool{"fpm.pool.list": true, "fpm.service.status": true, "fpm.tune": true}

// Handlers returns a handler for every fpm.* operation that any instance
// runs, each routing by --php.
func (s *Instances) Handlers() map[string]ops.Handler {
	out := map[string]ops.Handler{}
	for _, in := range s.list {
		for name := range in.Handlers {
			out[name] = route{s: s, op: name}
		}
	}
	return out
}

// Health reports every instance; with several, each component names its
// instance.
func (s *Instances) Health(ctx context.Context) []ops.Component {
	var out []ops.Component
	for _, in := range s.list {
		c := ops.Component{Name: "php-fpm", Info: "not available"}
		if in.Backend != nil {
			c = in.Backend.Health(ctx)
		}
		if s.Several() {
			c.Name = "php-fpm " + in.Name
		}
		out = append(out, c)
	}
	return out
}

// route is the handler of one operation over every instance.
type route struct {
	s  *Instances
	op string
}

func (r route) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	s := r.s
	name, given := req.Op.Get(ops.InstanceArg)
	if !given && s.Several() && allReads[r.op] && (r.op != "fpm.tune" || req.Op.Target == "") {
		return ops.ReadFunc(func(ctx context.Context, req ops.Request) (ops.Outcome, error) {
			return s.readAll(ctx, r.op, req)
		}).Plan(ctx, req)
	}
	in, err := s.pick(name, given)
	if err != nil {
		return nil, err
	}
	h, ok := in.Handlers[r.op]
	if !ok {
		return nil, ops.Failedf("%s is not available for PHP-FPM %s on %s", r.op, in.Name, s.host)
	}
	if !s.Several() {
		return h.Plan(ctx, req)
	}
	plan, err := h.Plan(ctx, req)
	return relabel(plan, PoolKindOf(in.Name, true)), relabelErr(err, PoolKindOf(in.Name, true))
}

// pick finds the instance --php names, or the default one.
func (s *Instances) pick(name string, given bool) (Instance, error) {
	if !given {
		switch {
		case len(s.list) == 1:
			return s.list[0], nil
		case s.def == "":
			return Instance{}, ops.Invalidf("several PHP-FPM run on %s (%s): say which with --php NAME", s.host, strings.Join(s.Names(), ", "))
		}
		name = s.def
	}
	for _, in := range s.list {
		if in.Name == name {
			return in, nil
		}
	}
	return Instance{}, ops.Invalidf("no PHP-FPM %q on %s; --php takes %s", name, s.host, strings.Join(s.Names(), ", "))
}

// relabel files the changes of an instance's plan under the instance's
// history kind.
func relabel(p *ops.Plan, kind string) *ops.Plan {
	if p == nil {
		return nil
	}
	p.Changes = relabelChanges(p.Changes, kind)
	if apply := p.Apply; apply != nil {
		p.Apply = func(ctx context.Context) (ops.Outcome, error) {
			out, err := apply(ctx)
			out.Changes = relabelChanges(out.Changes, kind)
			return out, relabelErr(err, kind)
		}
	}
	return p
}

func relabelErr(err error, kind string) error {
	var e *ops.Error
	if errors.As(err, &e) {
		e.Changes = relabelChanges(e.Changes, kind)
	}
	return err
}

func relabelChanges(cs []ops.FileChange, kind string) []ops.FileChange {
	for i := range cs {
		if cs[i].Kind == PoolKind {
			cs[i].Kind = kind
		}
	}
	return cs
}

// answer is one instance's outcome of a read over all instances.
type answer struct {
	name string
	out  ops.Outcome
	data any    // the outcome's data, or a failed status's
	err  string // what the user may see of a failure, or ""
	bad  bool   // the instance answered with an error
	e    error
}

// readAll runs a read on every instance, one after the other.
func (s *Instances) readAll(ctx context.Context, op string, req ops.Request) (ops.Outcome, error) {
	answers := make([]answer, len(s.list))
	for i, in := range s.list {
		a := answer{name: in.Name}
		out, err := runRead(ctx, in.Handlers[op], req)
		a.out, a.data = out, out.Data
		if err != nil {
			a.bad, a.e = true, err
			_, a.err = ops.UserError(err)
			var e *ops.Error
			if errors.As(err, &e) {
				a.data = e.Data
			}
		}
		answers[i] = a
	}
	switch op {
	case "fpm.pool.list":
		return s.mergeList(answers)
	case "fpm.service.status":
		return s.mergeStatus(answers)
	}
	return s.mergeTune(answers)
}

func runRead(ctx context.Context, h ops.Handler, req ops.Request) (ops.Outcome, error) {
	if h == nil {
		return ops.Outcome{}, ops.Failedf("not available")
	}
	plan, err := h.Plan(ctx, req)
	if err != nil {
		return ops.Outcome{}, err
	}
	return plan.Apply(ctx)
}

func (s *Instances) mergeList(answers []answer) (ops.Outcome, error) {
	data := ops.PoolList{Pools: []ops.Pool{}, Instances: s.Names()}
	var notes []string
	failed := 0
	for _, a := range answers {
		pl, ok := a.data.(ops.PoolList)
		if a.bad || !ok {
			failed++
			notes = append(notes, fmt.Sprintf("PHP %s: %s", a.name, a.err))
			continue
		}
		for _, p := range pl.Pools {
			p.PHP = a.name
			data.Pools = append(data.Pools, p)
		}
		// The instance's own notes (files it could not read) follow its table.
		for line := range strings.SplitSeq(a.out.Message, "\n") {
			if strings.HasPrefix(line, "Not read: ") {
				notes = append(notes, fmt.Sprintf("PHP %s: %s", a.name, line))
			}
		}
	}
	if failed == len(answers) {
		return ops.Outcome{}, ops.Failedf("no PHP-FPM answered on %s:\n%s", s.host, strings.Join(notes, "\n"))
	}
	rows := [][]string{{"PHP", "NAME", "PM", "LISTEN", "FILE"}}
	for _, p := range data.Pools {
		rows = append(rows, []string{p.PHP, p.Name, p.PM, p.Listen, shortFile(p.File)})
	}
	msg := fmt.Sprintf("PHP-FPM pools on %s (PHP %s):\n%s", s.host, strings.Join(s.Names(), ", "), table(rows))
	if len(data.Pools) == 0 {
		msg = fmt.Sprintf("No PHP-FPM pools on %s (PHP %s); /fpm pool create NAME --php NAME adds one.", s.host, strings.Join(s.Names(), ", "))
	}
	if len(notes) > 0 {
		msg += "\n" + strings.Join(notes, "\n")
	}
	return ops.Outcome{Message: msg, Data: data}, nil
}

func shortFile(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

func (s *Instances) mergeStatus(answers []answer) (ops.Outcome, error) {
	data := ops.FPMStatus{Pools: []ops.PoolStatus{}, Instances: []ops.FPMStatus{}}
	var parts []string
	down := false
	for _, a := range answers {
		st, ok := a.data.(ops.FPMStatus)
		if !ok {
			st = ops.FPMStatus{State: "unavailable", Pools: []ops.PoolStatus{}}
		}
		st.PHP = a.name
		for i := range st.Pools {
			st.Pools[i].PHP = a.name
		}
		data.Pools = append(data.Pools, st.Pools...)
		data.Instances = append(data.Instances, st)
		if a.name == s.def || (s.def == "" && len(data.Instances) == 1) {
			data.State, data.PID, data.Version, data.Mode = st.State, st.PID, st.Version, st.Mode
		}
		down = down || a.bad
		text := a.out.Message
		if a.bad {
			text = a.err
		}
		if strings.HasPrefix(text, "php-fpm on ") {
			text = "php-fpm " + a.name + " on " + strings.TrimPrefix(text, "php-fpm on ")
		} else {
			text = "php-fpm " + a.name + ": " + text
		}
		parts = append(parts, text)
	}
	msg := strings.Join(parts, "\n\n")
	if down {
		return ops.Outcome{}, &ops.Error{Status: ops.StatusFailed, Msg: msg, Data: data}
	}
	return ops.Outcome{Message: msg, Data: data}, nil
}

func (s *Instances) mergeTune(answers []answer) (ops.Outcome, error) {
	data := ops.FPMTune{Pools: []ops.PoolTune{}}
	var parts []string
	ok := 0
	var firstErr error
	for _, a := range answers {
		t, isTune := a.data.(ops.FPMTune)
		if a.bad || !isTune {
			if a.e == nil {
				a.e = ops.Failedf("PHP %s gave no sizing advice", a.name)
			}
			parts = append(parts, fmt.Sprintf("PHP %s: %s", a.name, a.err))
			if firstErr == nil {
				firstErr = a.e
			}
			continue
		}
		if ok == 0 {
			data.RAMMB, data.RAMSource, data.ReserveMB = t.RAMMB, t.RAMSource, t.ReserveMB
		}
		ok++
		for _, p := range t.Pools {
			p.PHP = a.name
			data.Pools = append(data.Pools, p)
		}
		parts = append(parts, "PHP "+a.name+": "+a.out.Message)
	}
	if ok == 0 {
		// Every instance refused alike (a bad --ram-mb): one answer says it.
		return ops.Outcome{}, firstErr
	}
	return ops.Outcome{Message: strings.Join(parts, "\n\n"), Data: data}, nil
}

// The dispatcher's handlers implement ops.Handler.
var _ ops.Handler = route{}
