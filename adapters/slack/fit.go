package slack

import (
	"fmt"
	"strings"

	slackgo "github.com/slack-go/slack"
)

// maxTextObject bounds the text of any text object (context elements among
// them). https://docs.slack.dev/reference/block-kit/composition-objects/text-object
const maxTextObject = 3000

// fit makes a message safe to send whatever the renderers produced: texts
// are cut to their limits, empty sections dropped, and blocks beyond
// maxMessageBlocks replaced by a note. Renderers already stay inside the
// limits; fit is the guarantee that nothing reaches Slack as invalid_blocks.
func fit(m Message) Message {
	m.Text = truncate(m.Text, maxFallbackText)
	m.Blocks = fitBlocks(m.Blocks, maxMessageBlocks)
	return m
}

func fitBlocks(in []slackgo.Block, max int) []slackgo.Block {
	out := make([]slackgo.Block, 0, len(in))
	for _, b := range in {
		if b = fitBlock(b); b != nil {
			out = append(out, b)
		}
	}
	if len(out) > max {
		n := len(out) - (max - 1)
		out = append(out[:max-1], contextText(fmt.Sprintf("…%d more parts are cut to fit in one Slack message.", n)))
	}
	return out
}

func fitBlock(b slackgo.Block) slackgo.Block {
	switch b := b.(type) {
	case *slackgo.SectionBlock:
		if b.Text != nil {
			if strings.TrimSpace(b.Text.Text) == "" && len(b.Fields) == 0 {
				return nil
			}
			b.Text.Text = truncate(b.Text.Text, maxSectionText)
		}
	case *slackgo.HeaderBlock:
		if b.Text != nil {
			b.Text.Text = truncate(b.Text.Text, maxHeaderText)
		}
	case *slackgo.ContextBlock:
		els := b.ContextElements.Elements
		if len(els) > maxContextElements {
			els = els[:maxContextElements]
		}
		for _, e := range els {
			if t, ok := e.(*slackgo.TextBlockObject); ok {
				t.Text = truncate(t.Text, maxTextObject)
			}
		}
		b.ContextElements.Elements = els
	case *slackgo.ActionBlock:
		if b.Elements == nil {
			return nil
		}
		els := b.Elements.ElementSet
		if len(els) > maxActionsElements {
			els = els[:maxActionsElements]
		}
		for _, e := range els {
			if btn, ok := e.(*slackgo.ButtonBlockElement); ok {
				btn.Text.Text = truncate(btn.Text.Text, maxButtonText)
				btn.Value = truncate(btn.Value, maxButtonValue)
			}
		}
		b.Elements.ElementSet = els
	}
	return b
}
