package slack

import (
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat/textfit"
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

// renderFigures draws labelled values as one section's fields, two a row.
func renderFigures(figs []view.Figure) []slackgo.Block {
	if len(figs) == 0 {
		return nil
	}
	var fields []*slackgo.TextBlockObject
	for _, f := range figs[:min(len(figs), maxSectionFields)] {
		fields = append(fields, slackgo.NewTextBlockObject(slackgo.MarkdownType, textfit.Truncate("*"+escape(f.Label)+"*\n"+escape(f.Value), maxFieldText), false, false))
	}
	return []slackgo.Block{slackgo.NewSectionBlock(nil, fields, nil)}
}
