package slack

import (
	"fmt"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/view"
)

func isFPMService(op string) bool { return strings.HasPrefix(op, "fpm.service.") }

// renderFPMStatus shows each pool's load: busy and idle workers, the listen
// queue, and whether it ever ran out of children.
func renderFPMStatus(v any) []slackgo.Block {
	st := view.DecodeFPMStatus(v)
	if len(st.Pools) == 0 {
		return nil
	}
	var lines []string
	for i, p := range st.Pools {
		if i == maxListLines {
			lines = append(lines, fmt.Sprintf("…and %d more pools.", len(st.Pools)-i))
			break
		}
		f := p.Figures
		if f == nil {
			lines = append(lines, fmt.Sprintf("%s *%s* · %s", stateMarks["UNKNOWN"], escape(p.Name), escape(truncate(p.Note, maxInfoChars))))
			continue
		}
		mark := stateMarks["RUNNING"]
		if f.ListenQueue > 0 || f.MaxChildrenReached > 0 {
			mark = stateMarks["BACKOFF"] // saturated now or before: worth a look
		}
		line := fmt.Sprintf("%s *%s* `%s` · %d active, %d idle of %d · queue %d", mark, escape(p.Name),
			escape(f.ProcessManager), f.ActiveProcesses, f.IdleProcesses, f.TotalProcesses, f.ListenQueue)
		if f.MaxChildrenReached > 0 {
			line += fmt.Sprintf(" · max children reached %d times", f.MaxChildrenReached)
		}
		if f.SlowRequests > 0 {
			line += fmt.Sprintf(" · %d slow requests", f.SlowRequests)
		}
		lines = append(lines, line)
	}
	var out []slackgo.Block
	for _, c := range chunkLines(lines, maxSectionText) {
		out = append(out, section(c))
	}
	return out
}
