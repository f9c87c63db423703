package chat

import (
	"fmt"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat/textfit"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// stepStates gives each state of a run's step the mark of the Supervisor
// state that reads alike, so a platform's marks serve both.
var stepStates = map[ops.StepState]string{
	ops.StepDone:      "RUNNING",
	ops.StepRunning:   "STARTING",
	ops.StepWaiting:   "STOPPED",
	ops.StepFailed:    "FATAL",
	ops.StepUntouched: "EXITED",
}

// CancelCommand is the command a progress message's Cancel button runs.
func CancelCommand(runID string) string { return "ops cancel " + runID }

// StepLine is one step of a run: its mark, its name, its state, what it
// acts on, and how it ended when that needs words.
func (s Style) StepLine(st ops.Step) string {
	line := fmt.Sprintf("%s %s %s", s.StateMark(stepStates[st.State]), s.Bold(s.Escape(st.Name)), s.Escape(string(st.State)))
	if len(st.Items) > 0 {
		line += ": " + s.Escape(textfit.Truncate(strings.Join(st.Items, ", "), MaxInfoChars))
	}
	if note, _, _ := strings.Cut(st.Note, "\n"); note != "" {
		line += " · " + s.Escape(textfit.Truncate(note, MaxInfoChars))
	}
	return line
}

// ProgressHead is the headline of a run under way or ended: what runs, how
// many steps are done and the time since it began.
func (s Style) ProgressHead(p ops.Progress) string {
	return fmt.Sprintf("%s · %d/%d done · %s elapsed", s.Bold(s.Escape(p.Title)), p.Count(ops.StepDone), len(p.Steps),
		p.Elapsed().Round(100*time.Millisecond))
}

// ProgressFoot says how to stop a run under way, or who is stopping it:
// the run's ID and the command, as inline code.
func (s Style) ProgressFoot(p ops.Progress) string {
	switch {
	case p.CancelledBy != "" && p.Finished:
		return "Run " + s.Code(p.RunID) + " · cancelled by " + s.Escape(p.CancelledBy)
	case p.CancelledBy != "":
		return "Run " + s.Code(p.RunID) + " · cancelling after this step (by " + s.Escape(p.CancelledBy) + ")"
	case p.Finished:
		return "Run " + s.Code(p.RunID) + " · finished"
	}
	next := ""
	if n := nextWaiting(p); n != "" {
		next = " · next: " + s.Escape(n)
	}
	return "Run " + s.Code(p.RunID) + next + " · " + s.Code("/"+CancelCommand(p.RunID)) + " stops it before its next step"
}

// nextWaiting is the first step not begun yet.
func nextWaiting(p ops.Progress) string {
	for _, st := range p.Steps {
		if st.State == ops.StepWaiting {
			return st.Name
		}
	}
	return ""
}
