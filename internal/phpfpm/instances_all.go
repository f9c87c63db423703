package phpfpm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// This file answers the reads that cover every instance when --php is not
// given: pools, status and tune, one instance after the other, merged into
// the single-instance shapes with each row's PHP set.

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
	if op == "fpm.tune" {
		return s.tuneAll(ctx, req)
	}
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
	if op == "fpm.pool.list" {
		return s.mergeList(answers)
	}
	return s.mergeStatus(answers)
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
		// The instance's own notes (files it could not read) follow the table.
		for _, p := range pl.Problems {
			notes = append(notes, fmt.Sprintf("PHP %s: Not read: %s", a.name, p))
			data.Problems = append(data.Problems, "PHP "+a.name+": "+p)
		}
	}
	if failed == len(answers) {
		return ops.Outcome{}, ops.Failedf("no PHP-FPM answered on %s:\n%s", s.host, strings.Join(notes, "\n"))
	}
	rows := [][]string{{"PHP", "NAME", "PM", "LISTEN", "FILE"}}
	for _, p := range data.Pools {
		rows = append(rows, []string{p.PHP, p.Name, p.PM, p.Listen, shortFile(p.File)})
	}
	parts := []ops.Part{ops.Prose(fmt.Sprintf("PHP-FPM pools on %s (PHP %s):", s.host, strings.Join(s.Names(), ", "))), ops.RowsTable(rows...)}
	if len(data.Pools) == 0 {
		parts = []ops.Part{ops.Prose(fmt.Sprintf("No PHP-FPM pools on %s (PHP %s); /fpm pool create NAME --php NAME adds one.", s.host, strings.Join(s.Names(), ", ")))}
	}
	if len(notes) > 0 {
		parts = append(parts, ops.Prose(strings.Join(notes, "\n")))
	}
	return ops.Parts(data, parts...), nil
}

func shortFile(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

func (s *Instances) mergeStatus(answers []answer) (ops.Outcome, error) {
	data := ops.FPMStatus{Pools: []ops.PoolStatus{}, Instances: []ops.FPMStatus{}}
	var parts []ops.Part
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
		if len(parts) > 0 {
			parts = append(parts, ops.Prose("")) // a blank line between instances
		}
		if ok {
			parts = append(parts, statusParts("php-fpm "+a.name+" on "+s.host, st)...)
		} else {
			parts = append(parts, ops.Prose("php-fpm "+a.name+": "+answerText(a)))
		}
	}
	if down {
		return ops.Outcome{}, ops.FailedParts(data, parts...)
	}
	return ops.Parts(data, parts...), nil
}

// answerText is what an instance answered, as text: its error's when it failed.
func answerText(a answer) string {
	if a.bad {
		return a.err
	}
	return a.out.Text()
}

// tuneAll answers fpm.tune for every instance: those that share a budget
// from one split of it (tunegroup.go), shown as one table under that
// budget, then each other instance under its own. The data counts a
// shared budget once: budget_mb is the shared budget plus the others'.
func (s *Instances) tuneAll(ctx context.Context, req ops.Request) (ops.Outcome, error) {
	var sharers []member
	if s.group != nil {
		sharers = s.group.sharers(req.Op)
	}
	isSharer := map[string]bool{}
	for _, m := range sharers {
		isSharer[m.name] = true
	}
	var sh shared
	var shErr error
	if len(sharers) > 0 {
		sh, shErr = s.group.split(ctx, req.Op, sharers)
	}
	data := ops.FPMTune{Pools: []ops.PoolTune{}}
	whole := sh.budget // the shared budget's own table
	whole.Pools = []ops.PoolTune{}
	var own, notes []ops.Part
	var sources []string
	single := "" // the source of the last own budget, as an instance alone says it
	var firstErr error
	ok, sharedOK := 0, false
	failed := func(name string, err error) {
		_, msg := ops.UserError(err)
		notes = append(notes, ops.Prose(fmt.Sprintf("PHP %s: %s", name, msg)))
		if firstErr == nil {
			firstErr = err
		}
	}
	for _, in := range s.list {
		var a advice
		var err error
		switch {
		case in.Backend == nil:
			err = ops.Failedf("%s", in.Off)
		case isSharer[in.Name] && shErr != nil:
			err = shErr
		case isSharer[in.Name]:
			a, err = sh.adviceOf(in.Backend, "")
		default:
			a, err = in.Backend.advise(ctx, req)
		}
		if err != nil {
			failed(in.Name, err)
			continue
		}
		ok++
		t := a.data
		for _, p := range t.Pools {
			p.PHP = in.Name
			data.Pools = append(data.Pools, p)
			if isSharer[in.Name] {
				whole.Pools = append(whole.Pools, p)
			}
		}
		data.FullLoadMB = round1(data.FullLoadMB + t.FullLoadMB)
		if isSharer[in.Name] {
			whole.FullLoadMB = round1(whole.FullLoadMB + t.FullLoadMB)
			sharedOK = true
			continue
		}
		data.BudgetMB += t.BudgetMB
		sources = append(sources, t.BudgetSource+" of PHP "+in.Name)
		single = t.BudgetSource
		own = append(own, ops.Prose("PHP "+in.Name+":"))
		own = append(own, tuneParts(s.host, t)...)
	}
	if ok == 0 {
		// Every instance refused alike (a bad --budget-mb): one answer says it.
		return ops.Outcome{}, firstErr
	}
	var parts []ops.Part
	if sharedOK {
		if sh := whole.Shared; sh != nil {
			// The same sum, as the split added it; the pools of an instance
			// held at their current size are not in the table, and the
			// line under it says the whole's load with them.
			whole.FullLoadMB = sh.FullLoadMB
			for _, h := range sh.Held {
				whole.FullLoadMB = round1(whole.FullLoadMB - h.MB)
			}
		}
		data.BudgetMB += whole.BudgetMB
		data.Measured, data.Shared = whole.Measured, whole.Shared
		sources = append([]string{whole.BudgetSource}, sources...)
		parts = append(parts, tuneParts(s.host, whole)...)
	}
	data.BudgetSource = strings.Join(sources, "; ")
	if len(sources) == 1 && !sharedOK {
		data.BudgetSource = single // one instance's own budget: as it says it alone
	}
	parts = append(parts, own...)
	parts = append(parts, notes...)
	parts = append(parts, ops.Prose("Advice only, nothing was changed; "+s.applyHint()))
	return ops.Parts(data, parts...), nil
}

// applyHint says what /fpm tune --apply changes on a host with several
// instances: one of them, each write reaching only the instance it names.
func (s *Instances) applyHint() string {
	hint := "/fpm tune --apply --" + ops.InstanceArg + " NAME plans NAME's part (one write, through approval)"
	if s.def != "" {
		return hint + "; without --" + ops.InstanceArg + ", PHP " + s.def + "'s."
	}
	return hint + "."
}
