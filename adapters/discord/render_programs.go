package discord

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/bwmarrin/discordgo"
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

func stateMark(s string) string {
	if m, ok := stateMarks[s]; ok {
		return m
	}
	return stateMarks["UNKNOWN"]
}

// maxInfoChars bounds the description shown on one process line.
const maxInfoChars = 120

func processLine(p process) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s **%s** %s", stateMark(p.State), escape(p.Name), code(p.State))
	if p.PID > 0 {
		fmt.Fprintf(&b, " · pid %d", p.PID)
	}
	if p.State == "RUNNING" {
		if p.Uptime > 0 {
			b.WriteString(" · up " + uptime(p.Uptime))
		}
	} else if info := firstNonEmpty(p.SpawnErr, p.Description); info != "" {
		b.WriteString(" · " + escape(truncate(info, maxInfoChars)))
	}
	return b.String()
}

// renderProcesses lists processes one line each in the description, with
// what the message says besides the table first, and a field counting the
// states. A long list shows the ones that need attention first.
func renderProcesses(e *discordgo.MessageEmbed, note string, procs []process) {
	var desc []string
	if note != "" {
		desc = append(desc, textDescription(note))
	}
	shown := procs
	if len(procs) > maxListLines {
		shown = slices.Clone(procs)
		sort.SliceStable(shown, func(i, j int) bool { return stateRank(shown[i].State) < stateRank(shown[j].State) })
		shown = shown[:maxListLines]
	}
	lines := make([]string, len(shown))
	for i, p := range shown {
		lines[i] = processLine(p)
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
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "States", Value: stateCounts(procs)})
	}
}

func renderProgram(e *discordgo.MessageEmbed, p programDoc) {
	renderDirectives(e, p.File, p.Directives)
	if len(p.Processes) > 0 {
		lines := make([]string, len(p.Processes))
		for i, pr := range p.Processes {
			lines[i] = processLine(pr)
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
