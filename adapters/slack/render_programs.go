package slack

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat/view"
)

// stateMarks give every Supervisor state its own marker, so a list reads at
// a glance: green runs, red failed, orange retries, blue and purple move.
var stateMarks = map[string]string{
	"RUNNING":  ":large_green_circle:",
	"STARTING": ":large_blue_circle:",
	"STOPPING": ":large_purple_circle:",
	"STOPPED":  ":white_circle:",
	"EXITED":   ":black_circle:",
	"BACKOFF":  ":large_orange_circle:",
	"FATAL":    ":red_circle:",
	"UNKNOWN":  ":grey_question:",
}

// renderProcesses lists processes, one line each. A long list shows the
// ones that need attention first, up to maxListLines, and counts the rest.
func renderProcesses(procs []view.Process) []slackgo.Block {
	if len(procs) == 0 {
		return nil
	}
	var out []slackgo.Block
	if len(procs) > 1 {
		out = append(out, contextText(style.StateCounts(procs)))
	}
	shown, hidden := procs, []view.Process(nil)
	if len(procs) > maxListLines {
		sorted := slices.Clone(procs)
		sort.SliceStable(sorted, func(i, j int) bool { return view.StateRank(sorted[i].State) < view.StateRank(sorted[j].State) })
		shown, hidden = sorted[:maxListLines], sorted[maxListLines:]
	}
	lines := make([]string, len(shown))
	for i, p := range shown {
		lines[i] = style.ProcessLine(p)
	}
	for _, c := range chunkLines(lines, maxSectionText) {
		out = append(out, section(c))
	}
	if len(hidden) > 0 {
		out = append(out, contextText(fmt.Sprintf("…and %d more (%s). Narrow the list with `/supervisor status GROUP:*` or `/supervisor status NAME`.",
			len(hidden), style.StateCounts(hidden))))
	}
	return out
}

func renderProgram(p view.Program) []slackgo.Block {
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
	out = append(out, textBlocks(b.String(), maxTextChars)...)
	return append(out, renderProcesses(p.Processes)...)
}
