package slack

import (
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat/view"
)

func isFPMService(op string) bool { return strings.HasPrefix(op, "fpm.service.") }

// renderFPMStatus shows each pool's load: busy and idle workers, the listen
// queue, and whether it ever ran out of children.
func renderFPMStatus(v any) []slackgo.Block {
	st := view.DecodeFPMStatus(v)
	if len(st.Pools) == 0 {
		return nil
	}
	lines := style.PoolLines(st, maxListLines)
	var out []slackgo.Block
	for _, c := range chunkLines(lines, maxSectionText) {
		out = append(out, section(c))
	}
	return out
}
