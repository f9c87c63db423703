package slack

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// renderLog shows the end of a log: chat is for the last lines, and the
// newest ones matter most, so a long log is cut from the top with a note.
func renderLog(l view.Log) []slackgo.Block {
	if strings.TrimSpace(l.Text) == "" {
		return nil
	}
	text, cut := tail(l.Text, maxLogChars)
	var out []slackgo.Block
	if cut || l.Truncated {
		note := fmt.Sprintf("Earlier lines are cut: showing the last %s", size(len(text)))
		if cut {
			note += fmt.Sprintf(" of the %s read", size(len(l.Text)))
		}
		note += ". `--bytes N` reads less; the whole log is on the host."
		out = append(out, contextText(note))
	}
	for _, c := range codeBlocks(text) {
		out = append(out, section(c))
	}
	return out
}

func size(n int) string {
	if n < 10<<10 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%d KB", n>>10)
}

func poolLine(p view.Pool) string {
	line := ":large_green_circle: *" + escape(view.PoolLabel(p.PHP, p.Name)) + "*"
	if p.PM != "" {
		line += " · pm `" + escape(p.PM) + "`"
	}
	if p.Listen != "" {
		line += " · listen `" + escape(p.Listen) + "`"
	}
	return line
}

func renderPools(pools []view.Pool) []slackgo.Block {
	if len(pools) == 0 {
		return nil
	}
	shown := pools
	if len(shown) > maxListLines {
		shown = shown[:maxListLines]
	}
	lines := make([]string, len(shown))
	for i, p := range shown {
		lines[i] = poolLine(p)
	}
	var out []slackgo.Block
	for _, c := range chunkLines(lines, maxSectionText) {
		out = append(out, section(c))
	}
	if n := len(pools) - len(shown); n > 0 {
		out = append(out, contextText(fmt.Sprintf("…and %d more pools; `/fpm pool show NAME` shows one.", n)))
	}
	return out
}

func renderPool(p view.Pool) []slackgo.Block {
	var out []slackgo.Block
	if p.File != "" {
		out = append(out, contextText("File: `"+escape(p.File)+"`"))
	}
	keys := make([]string, 0, len(p.Directives))
	for k := range p.Directives {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = %s\n", k, p.Directives[k])
	}
	return append(out, textBlocks(b.String(), maxTextChars)...)
}

// Action IDs of the approval buttons. Their values carry the command text
// the click runs, as the clicking user.
const (
	actionApprove = "pv:approve"
	actionDeny    = "pv:deny"
)

// renderApproval draws a pending request: who asks for what, the plan, and
// the Approve and Deny buttons.
func renderApproval(res ops.Result, a ops.Approval) Message {
	what := "`" + escape(a.Op.Describe()) + "`"
	if a.Op.Host != "" {
		what += " on " + escape(a.Op.Host)
	}
	blocks := []slackgo.Block{
		section(fmt.Sprintf("%s*Approval needed:* %s asks to run %s", style.Mark(res), mention(a.Requester), what)),
	}
	// The approver sees exactly what they approve: the plan, then each
	// file's diff, drawn on its own.
	blocks = append(blocks, textBlocks(a.Summary, maxTextChars)...)
	blocks = append(blocks, renderDiffs(res.Diffs, maxMessageBlocks-len(blocks)-2-reservedBlocks)...) // 2: the note and the buttons
	blocks = append(blocks, contextText(fmt.Sprintf("Request `%s` · expires %s · an approver other than the requester decides",
		escape(a.ID), slackDate(a.Expires))))
	approve := slackgo.NewButtonBlockElement(actionApprove, "ops approve "+a.ID, plain("Approve")).WithStyle(slackgo.StylePrimary)
	deny := slackgo.NewButtonBlockElement(actionDeny, "ops deny "+a.ID, plain("Deny")).WithStyle(slackgo.StyleDanger)
	blocks = append(blocks, slackgo.NewActionBlock("", approve, deny))
	text := fmt.Sprintf("Approval needed: %s asks to run %s", mention(a.Requester), escape(a.Op.Describe()))
	return Message{Text: truncate(text, maxFallbackText), Blocks: blocks}
}

// slackIDRE matches a Slack user ID; anything else is not written as a mention.
var slackIDRE = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// mention names an actor: a Slack user as a mention Slack renders with
// their current display name, anyone else by platform identity.
func mention(a ops.Actor) string {
	if a.Platform == "slack" && slackIDRE.MatchString(a.ID) {
		return "<@" + a.ID + ">"
	}
	return "`" + escape(a.String()) + "`"
}

// slackDate writes t so that each reader sees it in their own time zone.
// https://docs.slack.dev/messaging/formatting-message-text#date-formatting
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}
