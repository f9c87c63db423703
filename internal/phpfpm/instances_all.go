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
		// Each instance shares its own budget among its own pools; the
		// whole is their sum.
		data.BudgetMB += t.BudgetMB
		data.FullLoadMB = round1(data.FullLoadMB + t.FullLoadMB)
		if data.BudgetSource == "" || data.BudgetSource == t.BudgetSource {
			data.BudgetSource = t.BudgetSource
		} else {
			data.BudgetSource = "per instance"
		}
		ok++
		for _, p := range t.Pools {
			p.PHP = a.name
			data.Pools = append(data.Pools, p)
		}
		parts = append(parts, "PHP "+a.name+": "+a.out.Text())
	}
	if ok == 0 {
		// Every instance refused alike (a bad --budget-mb): one answer says it.
		return ops.Outcome{}, firstErr
	}
	if ok > 1 && data.BudgetSource == "measured" {
		parts = append(parts, "Each measured budget counts the same free memory once per instance: set memory_budget_mb for each of phpfpm.instances to split the host between them.")
	}
	return ops.Outcome{Message: strings.Join(parts, "\n\n"), Data: data}, nil
}
