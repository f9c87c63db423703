package phpfpm

import (
	"context"
	"errors"
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
	// Handlers answer why, and Off says it.
	Backend *Backend
	Off     string
	// Handlers are the instance's fpm.* operations: the Backend's, with
	// history and rollback added by the caller.
	Handlers map[string]ops.Handler
}

// Instances runs the fpm.* operations of several PHP-FPM installations.
type Instances struct {
	host  string
	list  []Instance
	def   string     // "" when no default: a command must say --php
	group *tuneGroup // the instances that are up, when there are several
}

// NewInstances returns the dispatcher for list, in the order given (lists
// and status follow it). def names the instance a command without --php
// concerns; "" means none, and such a command is refused where it would
// be ambiguous. With several instances up, it gives their backends the
// group through which /fpm tune shares one budget among them.
func NewInstances(host string, list []Instance, def string) *Instances {
	s := &Instances{host: host, list: list, def: def}
	g := &tuneGroup{host: host}
	for _, in := range list {
		if in.Backend != nil {
			g.members = append(g.members, member{name: in.Name, b: in.Backend})
		}
	}
	if len(g.members) > 1 {
		s.group = g
		for _, m := range g.members {
			m.b.group = g
		}
	}
	return s
}

var _ ops.Backend = (*Instances)(nil)

// Name is the owner of the fpm.* operations in the catalog.
func (s *Instances) Name() string { return ops.OwnerFPM }

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
		c := ops.Component{Name: "php-fpm", Info: in.Off}
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
	var in Instance
	var err error
	if !given && s.Several() && poolTarget(r.op, req.Op.Target) {
		in, err = s.holding(req.Op.Target)
	} else {
		in, err = s.pick(name, given)
	}
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

// poolTarget reports whether op, given target, concerns an existing pool:
// without --php it goes to the instance that has the pool.
func poolTarget(op, target string) bool {
	if target == "" {
		return false
	}
	switch op {
	case "fpm.pool.list", "fpm.pool.create", "fpm.service.status", "fpm.service.reload", "fpm.service.restart":
		return false
	}
	return strings.HasPrefix(op, "fpm.pool.") || op == "fpm.tune" || op == "fpm.tune.apply" || strings.HasPrefix(op, "fpm.opcache.")
}

// holding finds the instance that has pool name, for a command without
// --php: the default one when it has it or no instance does (its answer
// then says the pool is not there), else the only one that has it; a pool
// in several others needs --php.
func (s *Instances) holding(name string) (Instance, error) {
	var have []Instance
	for _, in := range s.list {
		if in.Backend == nil {
			continue
		}
		if d, err := in.Backend.scanPools(); err == nil {
			if _, err := d.find(name, s.host); err == nil {
				have = append(have, in)
			}
		}
	}
	for _, in := range have {
		if in.Name == s.def {
			return in, nil
		}
	}
	switch {
	case len(have) == 1:
		return have[0], nil
	case len(have) > 1:
		names := make([]string, len(have))
		for i, in := range have {
			names[i] = in.Name
		}
		return Instance{}, ops.Invalidf("pool %s is in several PHP-FPM on %s (%s): say which with --php NAME", name, s.host, strings.Join(names, ", "))
	}
	return s.pick("", false)
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

// The dispatcher's handlers implement ops.Handler.
var _ ops.Handler = route{}
