package discord

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// stateMarks give every Supervisor state its own marker, as Slack's
// renderer does: green runs, red failed, orange retries, blue and purple move.
var stateMarks = map[string]string{
	"RUNNING":  "🟢",
	"STARTING": "🔵",
	"STOPPING": "🟣",
	"STOPPED":  "⚪",
	"EXITED":   "⚫",
	"BACKOFF":  "🟠",
	"FATAL":    "🔴",
	"UNKNOWN":  "❔",
}

// renderProcesses lists processes one line each in the description, with
// what the message says besides the table first (and a roll's steps, when
// it rolled), and a field counting the states. A long list shows the ones
// that need attention first.
func renderProcesses(e *discordgo.MessageEmbed, note string, procs []view.Process, roll *ops.Progress) {
	var desc []string
	if note != "" {
		desc = append(desc, textDescription(note))
	}
	if roll != nil {
		desc = append(desc, stepLines(*roll), style.ProgressFoot(*roll))
	}
	shown := procs
	if len(procs) > maxListLines {
		shown = slices.Clone(procs)
		sort.SliceStable(shown, func(i, j int) bool { return view.StateRank(shown[i].State) < view.StateRank(shown[j].State) })
		shown = shown[:maxListLines]
	}
	lines := make([]string, len(shown))
	for i, p := range shown {
		lines[i] = style.ProcessLine(p)
	}
	budget := maxDescription - 200 - len(strings.Join(desc, "\n"))
	text, n := joinLines(lines, budget)
	desc = append(desc, text)
	e.Description = strings.Join(desc, "\n")
	if hidden := len(procs) - n; hidden > 0 {
		e.Footer = &discordgo.MessageEmbedFooter{Text: fmt.Sprintf(
			"…and %d more. Narrow the list with /supervisor status program:GROUP:* or program:NAME.", hidden)}
	}
	if len(procs) > 1 {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "States", Value: style.StateCounts(procs)})
	}
}

func renderProgram(e *discordgo.MessageEmbed, p view.Program) {
	renderDirectives(e, p.File, p.Directives)
	if len(p.Processes) > 0 {
		lines := make([]string, len(p.Processes))
		for i, pr := range p.Processes {
			lines[i] = style.ProcessLine(pr)
		}
		text, _ := joinLines(lines, maxFieldValue)
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Processes", Value: text})
	}
}

// renderDirectives shows a file's directives as inline fields, sorted by
// key, and the file it lives in. Past maxFields-2 fields (room is kept for
// the processes and a note) the rest are counted in a last field.
func renderDirectives(e *discordgo.MessageEmbed, file string, dirs map[string]string) {
	if file != "" {
		e.Description = "File: " + code(file)
	}
	keys := make([]string, 0, len(dirs))
	for k := range dirs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	const room = maxFields - 2
	for i, k := range keys {
		if i == room {
			e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "…",
				Value: fmt.Sprintf("%d more directives; `poolvisor exec` on the host shows all of them.", len(keys)-room)})
			break
		}
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: truncate(k, maxFieldName),
			Value: code(truncate(dirs[k], maxFieldValue-2)), Inline: true})
	}
}
