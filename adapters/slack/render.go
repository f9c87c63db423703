package slack

import (
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Message is a rendered result: Block Kit blocks, and the plain text Slack
// shows in notifications and where blocks cannot be shown.
type Message struct {
	Text   string          `json:"text"`
	Blocks []slackgo.Block `json:"blocks"`
}

// statusMarks mark a result's status at the start of its first line. An ok
// read needs no mark: the answer speaks for itself.
var statusMarks = map[ops.Status]string{
	ops.StatusOK:       ":white_check_mark:",
	ops.StatusFailed:   ":x:",
	ops.StatusInvalid:  ":warning:",
	ops.StatusDenied:   ":no_entry:",
	ops.StatusPending:  ":hourglass_flowing_sand:",
	ops.StatusConflict: ":twisted_rightwards_arrows:",
}

// Render draws a result as a Slack message. Every message it returns stays
// within Slack's limits (see limits.go), whatever the size of the result.
func Render(res ops.Result) Message {
	d := view.Decode(res.Data)
	if res.Status == ops.StatusPending && d.Approval != nil {
		return fit(renderApproval(res, *d.Approval))
	}
	if len(res.Body.Hosts) > 0 { // one answer from several hosts
		return renderHosts(res, view.Hosts(res))
	}
	// The tables and diffs are drawn on their own, from the result's body.
	head, rest := firstLine(res.Summary())
	var blocks []slackgo.Block
	blocks = append(blocks, section(style.Mark(res)+escape(head)))
	write := ops.KindOf(res.Operation) == ops.Write
	switch {
	case d.Programs != nil:
		blocks = append(blocks, textBlocks(strings.TrimSpace(rest), maxTextChars)...)
		if d.Roll != nil { // a rolling restart: its batches, then the processes now
			blocks = append(blocks, renderSteps(*d.Roll)...)
			blocks = append(blocks, contextText(style.ProgressFoot(*d.Roll)))
		}
		blocks = append(blocks, renderProcesses(*d.Programs)...)
	case d.Program != nil && !write:
		blocks = append(blocks, renderProgram(*d.Program)...)
	case d.Log != nil:
		blocks = append(blocks, renderLog(*d.Log)...)
	case isTune(res.Operation) && isTuneData(res.Data):
		blocks = append(blocks, renderTune(res.Data)...)
	case d.Workers != nil && res.Operation == "fpm.pool.workers":
		blocks = append(blocks, renderWorkers(*d.Workers)...)
	case isFPMService(res.Operation) && d.Pools != nil:
		blocks = append(blocks, renderFPMStatus(res.Data)...)
	case d.Pools != nil && strings.HasPrefix(res.Operation, "fpm.pool."):
		blocks = append(blocks, renderPools(*d.Pools)...)
	case d.Pool != nil && !write:
		blocks = append(blocks, renderPool(*d.Pool)...)
	case res.Operation == "ops.hosts" && isHostInfos(res.Data):
		blocks = append(blocks, renderHostInfos(res.Data)...)
	case d.Opcache != nil && strings.HasPrefix(res.Operation, "fpm.opcache."):
		blocks = append(blocks, textBlocks(rest, maxTextChars)...)
		blocks = append(blocks, renderFigures(view.OpcacheFigures(*d.Opcache))...)
	default: // free text, and what a write says besides its diffs
		blocks = append(blocks, textBlocks(rest, maxTextChars)...)
	}
	blocks = append(blocks, renderDiffs(res.Diffs, maxMessageBlocks-len(blocks)-reservedBlocks)...)
	return fit(Message{Text: fallback(res), Blocks: blocks})
}

// reservedBlocks is the room a rendered message keeps for what is added
// to it later (who asked, see attribute).
const reservedBlocks = 2

// RenderText draws a short note (an acknowledgement, an explanation) as a
// message of one section.
func RenderText(mrkdwn string) Message {
	return fit(Message{Text: mrkdwn, Blocks: []slackgo.Block{section(mrkdwn)}})
}

// fallback is the notification text: the first line of the message.
func fallback(res ops.Result) string {
	head, _ := firstLine(res.Summary())
	if head == "" {
		head = string(res.Status)
	}
	return truncate(escape(head), maxFallbackText)
}

// textBlocks renders free text as code sections, keeping at most max bytes
// from its start and saying so when it cut.
func textBlocks(text string, max int) []slackgo.Block {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	cut := len(text) > max
	if cut {
		text = truncate(text, max)
	}
	var out []slackgo.Block
	for _, c := range codeBlocks(text) {
		out = append(out, section(c))
	}
	if cut {
		out = append(out, contextText("The rest is cut to fit in Slack; `poolvisor exec` on the host shows all of it."))
	}
	return out
}

func section(mrkdwn string) *slackgo.SectionBlock {
	if mrkdwn == "" {
		mrkdwn = " "
	}
	return slackgo.NewSectionBlock(slackgo.NewTextBlockObject(slackgo.MarkdownType, mrkdwn, false, false), nil, nil)
}

func contextText(mrkdwn string) *slackgo.ContextBlock {
	return slackgo.NewContextBlock("", slackgo.NewTextBlockObject(slackgo.MarkdownType, mrkdwn, false, false))
}

func plain(text string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.PlainTextType, text, false, false)
}
