package chat

import (
	"fmt"

	"github.com/poolvisor/poolvisor/adapters/chat/textfit"
	"github.com/poolvisor/poolvisor/internal/alert"
)

// AdviceLine is what a saturation alert advises, drawn from its typed
// detail: pm.max_children now and advised, what a worker costs, what the
// pool would take at full load and of which budget; or why there is no
// advice.
func (s Style) AdviceLine(d alert.PoolDetail) string {
	a := d.Advice
	if a == nil {
		return s.Bold("No sizing advice:") + " " + s.Escape(textfit.Truncate(d.AdviceError, MaxInfoChars*2))
	}
	size := s.Code(fmt.Sprintf("pm.max_children %d → %d", a.CurrentMaxChildren, a.AdvisedMaxChildren))
	if !d.Changes() {
		size = s.Code(fmt.Sprintf("pm.max_children %d", a.CurrentMaxChildren)) + " stays"
	}
	line := s.Bold("Advice:") + " " + size
	if a.WorkerMB > 0 {
		line += fmt.Sprintf(" · %.1f MB a worker", a.WorkerMB)
	}
	line += fmt.Sprintf(" · %.0f MB at full load of a %d MB budget (%s)", a.FullLoadMB, d.BudgetMB, s.Escape(d.BudgetSource))
	if a.Note != "" {
		line += " · " + s.Escape(textfit.Truncate(a.Note, MaxInfoChars))
	}
	return line
}

// SlowLine is the top group of a pool's slow log in the last hour, "" when
// the alert has none.
func (s Style) SlowLine(d alert.PoolDetail) string {
	e := d.Slow
	if e == nil {
		return ""
	}
	return fmt.Sprintf("%s %s at %s, %d time(s), last at %s", s.Bold("Slowest in the last hour:"),
		s.Code(textfit.Truncate(e.Script, MaxInfoChars)), s.Code(textfit.Truncate(e.TopFrame, MaxInfoChars)),
		e.Count, e.LastSeen.UTC().Format("15:04:05 UTC"))
}
