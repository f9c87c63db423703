package discord

import (
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Message is a rendered result: the body of an interaction response, a
// webhook edit or a channel message. Embeds and components are always
// sent, empty or not, so that an edit replaces what was there (the buttons
// of a decided approval request go away).
type Message struct {
	Content         string                            `json:"content"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds"`
	Components      []discordgo.MessageComponent      `json:"components"`
	Flags           discordgo.MessageFlags            `json:"flags,omitempty"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions,omitempty"`
	Reference       *discordgo.MessageReference       `json:"message_reference,omitempty"`
	// Attachments name the files sent with the message (file.go): the
	// REST client then sends it as multipart/form-data.
	Attachments []attachmentRef `json:"attachments,omitempty"`
	files       []ops.Attachment
}

// Colours of an embed's side bar, one per status.
const (
	colourOK       = 0x2EB67D // green
	colourFailed   = 0xE01E5A // red
	colourInvalid  = 0xECB22E // amber
	colourDenied   = 0x992D22 // dark red
	colourPending  = 0x3498DB // blue
	colourConflict = 0x9B59B6 // purple
	colourNeutral  = 0x95A5A6 // grey: notes
)

var statusColours = map[ops.Status]int{
	ops.StatusOK:       colourOK,
	ops.StatusFailed:   colourFailed,
	ops.StatusInvalid:  colourInvalid,
	ops.StatusDenied:   colourDenied,
	ops.StatusPending:  colourPending,
	ops.StatusConflict: colourConflict,
}

// statusMarks mark a result's status at the start of its title. An ok read
// needs no mark: the answer speaks for itself.
var statusMarks = map[ops.Status]string{
	ops.StatusOK:       "✅",
	ops.StatusFailed:   "❌",
	ops.StatusInvalid:  "⚠️",
	ops.StatusDenied:   "⛔",
	ops.StatusPending:  "⏳",
	ops.StatusConflict: "🔀",
}

// noMentions keeps every message from pinging anyone: names are shown,
// never notified.
var noMentions = &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}

func newMessage(embeds ...*discordgo.MessageEmbed) Message {
	return Message{Embeds: embeds, Components: []discordgo.MessageComponent{}, AllowedMentions: noMentions}
}

// Render draws a result as a Discord message of embeds. Every message it
// returns stays within Discord's limits (see limits.go), whatever the size
// of the result.
func Render(res ops.Result) Message { return render(res, diffReserve) }

// render is Render leaving reserve characters of maxEmbedTotal for what
// the caller adds (an attribution, a footer).
func render(res ops.Result, reserve int) Message {
	d := view.Decode(res.Data)
	if res.Status == ops.StatusPending && d.Approval != nil {
		return fit(renderApproval(res, *d.Approval))
	}
	if len(res.Body.Hosts) > 0 { // one answer from several hosts
		return fit(renderHosts(res, view.Hosts(res), reserve))
	}
	// The tables and diffs are drawn on their own, from the result's body.
	head, rest := firstLine(res.Summary())
	if head == "" {
		head = string(res.Status)
	}
	e := &discordgo.MessageEmbed{Title: truncate(style.Mark(res)+head, maxTitle), Color: colour(res)}
	write := ops.KindOf(res.Operation) == ops.Write
	switch {
	case d.Programs != nil:
		renderProcesses(e, strings.TrimSpace(rest), *d.Programs, d.Roll)
	case d.Program != nil && !write:
		renderProgram(e, *d.Program)
	case d.Log != nil:
		renderLog(e, *d.Log)
	case (res.Operation == "fpm.tune" || res.Operation == "fpm.tune.apply") && isTune(res.Data):
		renderTune(e, res.Data)
	case d.Workers != nil && res.Operation == "fpm.pool.workers":
		renderWorkers(e, *d.Workers)
	case strings.HasPrefix(res.Operation, "fpm.service.") && d.Pools != nil:
		renderFPMStatus(e, res.Data)
	case d.Pools != nil && strings.HasPrefix(res.Operation, "fpm.pool."):
		renderPools(e, *d.Pools)
	case d.Pool != nil && !write:
		renderDirectives(e, d.Pool.File, d.Pool.Directives)
	case res.Operation == "ops.hosts" && isHostInfos(res.Data):
		renderHostInfos(e, res.Data)
	case d.Opcache != nil && strings.HasPrefix(res.Operation, "fpm.opcache."):
		e.Description = textDescription(rest)
		for _, f := range view.OpcacheFigures(*d.Opcache) {
			e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: f.Label, Value: f.Value, Inline: true})
		}
	case len(res.Diffs) > 0: // what a write says besides its diffs, kept short
		e.Description = textDescriptionMax(rest, maxTextWithDiffs)
	default: // free text
		e.Description = textDescription(rest)
	}
	m := newMessage(e)
	renderDiffs(&m, res.Diffs, colour(res), reserve)
	return fit(m)
}

// RenderText draws a short note (an acknowledgement, an explanation).
func RenderText(text string) Message {
	return fit(newMessage(&discordgo.MessageEmbed{Description: text, Color: colourNeutral}))
}

func colour(res ops.Result) int {
	if c, ok := statusColours[res.Status]; ok {
		return c
	}
	return colourNeutral
}

// textDescription shows free text as a code block, cut with a note when
// it is longer than maxTextChars.
func textDescription(text string) string { return textDescriptionMax(text, maxTextChars) }

func textDescriptionMax(text string, max int) string {
	if strings.TrimSpace(text) == "" {
		return ""
	}
	block, cut := codeBlock(text, max)
	if cut {
		block += "\n*The rest is cut to fit in Discord; `poolvisor exec` on the host shows all of it.*"
	}
	return block
}
