package discord

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// renderLog shows the end of a log: the newest lines matter most, so a
// long log is cut from the top with a note.
func renderLog(e *discordgo.MessageEmbed, l view.Log) {
	if strings.TrimSpace(l.Text) == "" {
		return
	}
	// Fences in the log are made safe before the tail is taken: escaping
	// them afterwards would lengthen the text and cut its newest lines.
	text, cut := tail(codeSafe(l.Text), maxLogChars)
	e.Description, _ = codeBlock(text, maxLogChars+16)
	if cut || l.Truncated {
		e.Footer = &discordgo.MessageEmbedFooter{Text: "Earlier lines are cut. The bytes option reads less; the whole log is on the host."}
	}
}

func renderPools(e *discordgo.MessageEmbed, pools []view.Pool) {
	lines := make([]string, 0, len(pools))
	for i, p := range pools {
		if i == maxListLines {
			break
		}
		line := "🟢 **" + escape(view.PoolLabel(p.PHP, p.Name)) + "**"
		if p.PM != "" {
			line += " · pm " + code(p.PM)
		}
		if p.Listen != "" {
			line += " · listen " + code(p.Listen)
		}
		lines = append(lines, line)
	}
	text, n := joinLines(lines, maxTextChars)
	e.Description = text
	if hidden := len(pools) - n; hidden > 0 {
		e.Footer = &discordgo.MessageEmbedFooter{Text: fmt.Sprintf("…and %d more pools; /fpm pool show name:NAME shows one.", hidden)}
	}
}

// renderFPMStatus shows each pool's load: busy and idle workers, the listen
// queue, and whether it ever ran out of children.
func renderFPMStatus(e *discordgo.MessageEmbed, v any) {
	st := view.DecodeFPMStatus(v)
	lines := style.PoolLines(st, maxListLines)
	e.Description, _ = joinLines(lines, maxTextChars)
}

// buttonPrefix marks the custom_id of poolvisor's buttons; the rest of it
// is the command text a click runs, as the clicking member.
const buttonPrefix = "pv:"

// button is a poolvisor button that runs text when clicked.
func button(label string, style discordgo.ButtonStyle, text string) discordgo.Button {
	return discordgo.Button{Label: truncate(label, maxButtonLabel), Style: style, CustomID: truncate(buttonPrefix+text, maxCustomID)}
}

// renderApproval draws a pending request: who asks for what, the plan, and
// the Approve and Deny buttons.
func renderApproval(res ops.Result, a ops.Approval) Message {
	what := code(a.Op.Describe())
	if a.Op.Host != "" {
		what += " on " + escape(a.Op.Host)
	}
	e := &discordgo.MessageEmbed{
		Title:       truncate(style.Mark(res)+"Approval needed", maxTitle),
		Description: mention(a.Requester) + " asks to run " + what,
		Color:       colourPending,
	}
	// The approver sees exactly what they approve: the plan, then each
	// file's diff in an embed of its own.
	if s := strings.TrimSpace(a.Summary); s != "" {
		max := maxTextChars
		if len(res.Diffs) > 0 {
			max = maxTextWithDiffs
		}
		block, _ := codeBlock(s, max)
		e.Description += "\n" + block
	}
	e.Fields = []*discordgo.MessageEmbedField{
		{Name: "Request", Value: code(a.ID), Inline: true},
		{Name: "Expires", Value: discordDate(a.Expires), Inline: true},
	}
	e.Footer = &discordgo.MessageEmbedFooter{Text: "An approver other than the requester decides."}
	m := newMessage(e)
	renderDiffs(&m, res.Diffs, colourPending, diffReserve)
	m.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		button("Approve", discordgo.SuccessButton, "ops approve "+a.ID),
		button("Deny", discordgo.DangerButton, "ops deny "+a.ID),
	}}}
	return m
}

// snowflakeRE matches a Discord ID; anything else is not written as a mention.
var snowflakeRE = regexp.MustCompile(`^[0-9]{15,21}$`)

// mention names an actor: a Discord user as a mention (which the client
// shows with their current name and, with noMentions, does not ping), anyone
// else by platform identity.
func mention(a ops.Actor) string {
	if a.Platform == "discord" && snowflakeRE.MatchString(a.ID) {
		return "<@" + a.ID + ">"
	}
	return code(a.String())
}

// discordDate writes t so that each reader sees it in their own time zone.
// https://discord.com/developers/docs/reference#message-formatting-timestamp-styles
func discordDate(t time.Time) string {
	return fmt.Sprintf("<t:%d:f> (<t:%d:R>)", t.Unix(), t.Unix())
}

// renderWorkers shows a pool's workers as compact lines, and what they
// take together as the footer.
func renderWorkers(e *discordgo.MessageEmbed, workers []ops.FPMWorker) {
	text, _ := joinLines(style.WorkerLines(workers, maxListLines), maxTextChars)
	e.Description = text
	if foot := style.WorkersTotal(workers); foot != "" {
		e.Footer = &discordgo.MessageEmbedFooter{Text: truncate(foot, maxFooter)}
	}
}

func isTune(v any) bool { _, ok := view.DecodeTune(v); return ok }

// renderTune shows the advice a pool a line, and the total.
func renderTune(e *discordgo.MessageEmbed, v any) {
	t, _ := view.DecodeTune(v)
	e.Description, _ = joinLines(style.TuneLines(t, maxListLines), maxTextChars)
}
