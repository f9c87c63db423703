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
		state, pm, figures := view.PoolLoad(p)
		if pm == "" {
			lines = append(lines, fmt.Sprintf("%s *%s* · %s", stateMark(state), escape(view.PoolLabel(p.PHP, p.Name)), escape(truncate(figures, maxInfoChars))))
			continue
		}
		lines = append(lines, fmt.Sprintf("%s *%s* `%s` · %s", stateMark(state), escape(view.PoolLabel(p.PHP, p.Name)), escape(pm), escape(figures)))
	}
	var out []slackgo.Block
	for _, c := range chunkLines(lines, maxSectionText) {
		out = append(out, section(c))
	}
	return out
}
