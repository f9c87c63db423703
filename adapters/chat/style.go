package chat

import (
	"fmt"
	"strings"

	"github.com/poolvisor/poolvisor/adapters/chat/textfit"
	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// MaxInfoChars bounds the description shown on one process or pool line.
const MaxInfoChars = 120

// Style is how a platform writes the marks and the few text styles of the
// lines every platform draws alike (a process, a pool's load, a count of
// states, a host's mark). The lines are the same everywhere; only the
// markup differs, so a platform gives its markup and keeps its layout.
type Style struct {
	States      map[string]string     // a mark per Supervisor state; "UNKNOWN" marks any other
	Statuses    map[ops.Status]string // a mark per result status
	Unreachable string                // the mark of a host that did not answer
	Escape      func(string) string   // makes text literal
	Bold        func(string) string   // of escaped text
	Code        func(string) string   // of raw text, as inline code
}

// StateMark is the mark of a Supervisor state.
func (s Style) StateMark(state string) string {
	if m, ok := s.States[state]; ok {
		return m
	}
	return s.States["UNKNOWN"]
}

// Mark is the mark a result's headline starts with, a space included: none
// for a read that went well, whose answer speaks for itself.
func (s Style) Mark(res ops.Result) string {
	if res.Status == ops.StatusOK && ops.KindOf(res.Operation) == ops.Read && res.Operation != "" {
		return ""
	}
	if m, ok := s.Statuses[res.Status]; ok {
		return m + " "
	}
	return ""
}

// HostMark marks a host's status; unlike a whole answer's, an ok host is
// marked too, so that a list of hosts reads at a glance, with the mark of
// its worst process when one failed.
func (s Style) HostMark(p view.HostPart) string {
	if p.Unreachable() {
		return s.Unreachable
	}
	if state, ok := p.NeedsLook(); ok && p.OK() {
		return s.StateMark(state) // answered, but a process failed
	}
	if m, ok := s.Statuses[p.Status]; ok {
		return m
	}
	return s.Statuses[ops.StatusFailed]
}

// HostNames is a list of hosts' names as a platform writes them, and the
// words that introduce it ("2 more hosts answered ok: ").
type HostNames struct {
	Intro string
	Names []string
}

// RestHosts names the hosts of parts that a message does not show in full:
// those that failed or did not answer, each with its mark, and those that
// answered ok. A list without hosts has no introduction.
func (s Style) RestHosts(parts []view.HostPart) (failed, ok HostNames) {
	for _, p := range parts {
		if p.OK() {
			ok.Names = append(ok.Names, s.Escape(p.Host))
		} else {
			failed.Names = append(failed.Names, s.HostMark(p)+" "+s.Escape(p.Host))
		}
	}
	if n := len(failed.Names); n > 0 {
		failed.Intro = view.Plural(n, "more host", "more hosts") + " did not answer or failed: "
	}
	if n := len(ok.Names); n > 0 {
		ok.Intro = view.Plural(n, "more host", "more hosts") + " answered ok: "
	}
	return failed, ok
}

// StateCounts summarises processes by state, attention first:
// "2 FATAL · 480 RUNNING", each with its state's mark.
func (s Style) StateCounts(procs []view.Process) string {
	parts := make([]string, 0, len(procs))
	for _, c := range view.CountStates(procs) {
		parts = append(parts, fmt.Sprintf("%s %d %s", s.StateMark(c.State), c.N, s.Escape(c.State)))
	}
	return strings.Join(parts, " · ")
}

// ProcessLine is one process: its state, pid and uptime, or why it is not
// running.
func (s Style) ProcessLine(p view.Process) string {
	var b strings.Builder
	b.WriteString(s.StateMark(p.State) + " " + s.Bold(s.Escape(p.Name)) + " " + s.Code(p.State))
	if p.PID > 0 {
		fmt.Fprintf(&b, " · pid %d", p.PID)
	}
	if p.State == "RUNNING" {
		if p.Uptime > 0 {
			b.WriteString(" · up " + view.Uptime(p.Uptime))
		}
	} else if info := textfit.FirstNonEmpty(p.SpawnErr, p.Description); info != "" {
		b.WriteString(" · " + s.Escape(textfit.Truncate(info, MaxInfoChars)))
	}
	return b.String()
}

// PoolLines are the pools' load, one line each, up to maxLines and then a
// count of the rest: busy and idle workers, the listen queue, and whether
// a pool ever ran out of children.
func (s Style) PoolLines(st view.FPMStatus, maxLines int) []string {
	var lines []string
	for i, p := range st.Pools {
		if i == maxLines {
			lines = append(lines, fmt.Sprintf("…and %d more pools.", len(st.Pools)-i))
			break
		}
		state, pm, figures := view.PoolLoad(p)
		name := s.Bold(s.Escape(view.PoolLabel(p.PHP, p.Name)))
		if pm == "" {
			lines = append(lines, fmt.Sprintf("%s %s · %s", s.StateMark(state), name, s.Escape(textfit.Truncate(figures, MaxInfoChars))))
			continue
		}
		lines = append(lines, fmt.Sprintf("%s %s %s · %s", s.StateMark(state), name, s.Code(pm), s.Escape(figures)))
	}
	return lines
}

// WorkerLines are a pool's workers (fpm.pool.workers), one compact line
// each, up to maxLines and then a count of the rest: state, pid, the
// request and how long it has run, and its memory (PSS, what it alone
// takes, before RSS, which counts the pages it shares in full).
func (s Style) WorkerLines(workers []ops.FPMWorker, maxLines int) []string {
	var lines []string
	for i, w := range workers {
		if i == maxLines {
			lines = append(lines, fmt.Sprintf("…and %d more workers.", len(workers)-i))
			break
		}
		line := fmt.Sprintf("%s pid %d · PSS %.1f MB (RSS %.1f MB)", s.Code(w.State), w.PID, float64(w.PSSKB)/1024, float64(w.RSSKB)/1024)
		if w.RequestURI != "" && w.RequestURI != "-" {
			req := w.RequestURI
			if w.Method != "" && w.Method != "-" {
				req = w.Method + " " + req
			}
			line += fmt.Sprintf(" · %s %d ms", s.Code(textfit.Truncate(req, MaxInfoChars)), w.DurationMS)
		}
		lines = append(lines, line)
	}
	return lines
}

// WorkersTotal says what a pool's workers take together, from their data:
// the sum of their PSS, and of their RSS, which counts shared pages once
// per worker.
func (s Style) WorkersTotal(workers []ops.FPMWorker) string {
	if len(workers) == 0 {
		return ""
	}
	var pss, rss int64
	for _, w := range workers {
		pss += int64(w.PSSKB)
		rss += int64(w.RSSKB)
	}
	return fmt.Sprintf("Together %d workers take %.1f MB (sum of PSS); the sum of their RSS, %.1f MB, counts shared pages once per worker.",
		len(workers), float64(pss)/1024, float64(rss)/1024)
}

// TuneLines are the advice of fpm.tune, one line a pool, up to maxLines,
// then the total: its size now and advised, what one worker costs and
// what the pool takes at full load, and why a pool keeps its size; last,
// each sharing instance held at its current size because it is down.
func (s Style) TuneLines(t ops.FPMTune, maxLines int) []string {
	var lines []string
	for i, p := range t.Pools {
		if i == maxLines {
			lines = append(lines, fmt.Sprintf("…and %d more pools.", len(t.Pools)-i))
			break
		}
		line := fmt.Sprintf("%s %s · max children %s", s.Bold(s.Escape(view.PoolLabel(p.PHP, p.Name))), s.Code(p.PM),
			s.Code(fmt.Sprintf("%d → %d", p.CurrentMaxChildren, p.AdvisedMaxChildren)))
		switch {
		case p.MeasuredMB > 0:
			line += fmt.Sprintf(" · %.1f MB a worker (idle workers measure %.1f; ask again after load)", p.WorkerMB, p.MeasuredMB)
		case p.WorkerMB > 0:
			line += fmt.Sprintf(" · %.1f MB a worker (%d samples)", p.WorkerMB, p.Samples)
		}
		line += fmt.Sprintf(" · %.0f MB at full load · demand %g", p.FullLoadMB, p.Demand)
		if p.Kept && p.Note != "" {
			line += " · " + s.Escape(textfit.Truncate(p.Note, MaxInfoChars))
		}
		lines = append(lines, line)
	}
	total := fmt.Sprintf("At full load: %.0f MB of the %d MB budget (%s)", t.FullLoadMB, t.BudgetMB, s.Escape(t.BudgetSource))
	if sh := t.Shared; sh != nil && sh.FullLoadMB != t.FullLoadMB {
		// One instance's part of a budget it shares: the whole's load too.
		total += fmt.Sprintf(", %.0f MB with the pools of every instance that shares it", sh.FullLoadMB)
	}
	lines = append(lines, total+".")
	if sh := t.Shared; sh != nil {
		// A sharing instance that is down holds its pools' current size.
		for _, h := range sh.Held {
			lines = append(lines, s.Escape(h.Sentence()))
		}
	}
	return lines
}
