package discord

import (
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

const (
	// diffReserve is the part of maxEmbedTotal that diffs leave for what
	// is added to a rendered message later (who asked, see attribute; who
	// decided, see decisionMessage).
	diffReserve = 400
	// maxTextWithDiffs bounds the free text of a message that has diffs
	// too, so that the diffs, which say exactly what changes, keep room.
	maxTextWithDiffs = 1500
	diffFence        = "```diff\n"
)

// renderDiffs adds to m one embed for each changed file: its path and how
// many lines it adds and removes as the title, its unified diff as a
// ```diff block (which Discord colours). The diffs share what the message
// has left of maxEmbedTotal (less reserve, for what is added later) and of
// maxEmbeds; a diff cut short says how many of its lines are left out, and
// files beyond the room are counted in the last footer. Nothing is cut
// silently.
func renderDiffs(m *Message, diffs []ops.Diff, colour, reserve int) {
	slots := maxEmbeds - len(m.Embeds)
	if len(diffs) == 0 || slots < 1 {
		return
	}
	shown, rest := diffs, []ops.Diff(nil)
	if len(diffs) > slots {
		shown, rest = diffs[:slots], diffs[slots:]
	}
	embeds := make([]*discordgo.MessageEmbed, len(shown))
	lines := make([][]string, len(shown))
	want := make([]int, len(shown))
	left := maxEmbedTotal - embedTotal(m.Embeds) - reserve
	for i, d := range shown {
		embeds[i] = &discordgo.MessageEmbed{Title: diffTitle(d), Color: colour}
		lines[i] = view.DiffLines(codeSafe(d.Text))
		want[i] = min(len(strings.Join(lines[i], "\n")), maxDescription-diffOverhead)
		left -= len(embeds[i].Title) + diffOverhead
	}
	var footer string
	if len(rest) > 0 {
		footer = view.MoreFiles(rest)
		left -= len(footer)
	}
	budget := view.Share(want, max(0, left))
	for i, e := range embeds {
		k := view.FitLines(lines[i], budget[i])
		if k > 0 {
			e.Description = diffFence + strings.Join(lines[i][:k], "\n") + "\n```"
		}
		if n := len(lines[i]) - k; n > 0 {
			e.Description = strings.TrimPrefix(e.Description+"\n*"+view.MoreLines(n)+"; `poolvisor exec` on the host shows the whole diff.*", "\n")
		}
	}
	if footer != "" {
		embeds[len(embeds)-1].Footer = &discordgo.MessageEmbedFooter{Text: footer}
	}
	m.Embeds = append(m.Embeds, embeds...)
}

// diffOverhead is what a diff embed's description holds besides the diff:
// the fences and the note on lines left out.
const diffOverhead = len(diffFence) + len("\n```") + 120

// diffTitle names a changed file and what it changes, "/etc/… · +3 −1".
func diffTitle(d ops.Diff) string {
	counts := " · " + view.DiffCounts(d)
	path := escape(d.Path)
	if room := maxTitle - len(counts); len(path) > room {
		from := len(path) - room + len("…")
		for from < len(path) && !utf8.RuneStart(path[from]) {
			from++
		}
		path = "…" + path[from:] // the end of a path says the most
	}
	return path + counts
}
