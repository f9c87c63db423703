package slack

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	slackgo "github.com/slack-go/slack"
)

// process is one Supervisor process as results carry it (SPEC §2).
type process struct {
	Name        string `json:"name"`
	Group       string `json:"group"`
	State       string `json:"state"`
	PID         int    `json:"pid"`
	Description string `json:"description"`
	Uptime      int64  `json:"uptime_seconds"`
	SpawnErr    string `json:"spawnerr"`
}

// programDoc is the data of supervisor.program.show.
type programDoc struct {
	Name       string            `json:"name"`
	File       string            `json:"file"`
	Directives map[string]string `json:"directives"`
	Processes  []process         `json:"processes"`
	Content    string            `json:"content"` // the whole file, when the backend gives it
}

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

// stateOrder puts what needs attention first when a list is cut short.
var stateOrder = []string{"FATAL", "BACKOFF", "UNKNOWN", "EXITED", "STOPPING", "STARTING", "STOPPED", "RUNNING"}

func stateRank(s string) int {
	if i := slices.Index(stateOrder, s); i >= 0 {
		return i
	}
	return 0 // a state this version does not know is worth a look
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
	fmt.Fprintf(&b, "%s *%s* `%s`", stateMark(p.State), escape(p.Name), escape(p.State))
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

// renderProcesses lists processes, one line each. A long list shows the
// ones that need attention first, up to maxListLines, and counts the rest.
func renderProcesses(procs []process) []slackgo.Block {
	if len(procs) == 0 {
		return nil
	}
	var out []slackgo.Block
	if len(procs) > 1 {
		out = append(out, contextText(stateCounts(procs)))
	}
	shown, hidden := procs, []process(nil)
	if len(procs) > maxListLines {
		sorted := slices.Clone(procs)
		sort.SliceStable(sorted, func(i, j int) bool { return stateRank(sorted[i].State) < stateRank(sorted[j].State) })
		shown, hidden = sorted[:maxListLines], sorted[maxListLines:]
	}
	lines := make([]string, len(shown))
	for i, p := range shown {
		lines[i] = processLine(p)
	}
	for _, c := range chunkLines(lines, maxSectionText) {
		out = append(out, section(c))
	}
	if len(hidden) > 0 {
		out = append(out, contextText(fmt.Sprintf("…and %d more (%s). Narrow the list with `/supervisor status GROUP:*` or `/supervisor status NAME`.",
			len(hidden), stateCounts(hidden))))
	}
	return out
}

// stateCounts summarises processes by state, attention first:
// "2 FATAL · 480 RUNNING".
func stateCounts(procs []process) string {
	counts := map[string]int{}
	for _, p := range procs {
		counts[p.State]++
	}
	states := make([]string, 0, len(counts))
	for s := range counts {
		states = append(states, s)
	}
	sort.Slice(states, func(i, j int) bool {
		ri, rj := stateRank(states[i]), stateRank(states[j])
		if ri != rj {
			return ri < rj
		}
		return states[i] < states[j]
	})
	parts := make([]string, len(states))
	for i, s := range states {
		parts[i] = fmt.Sprintf("%s %d %s", stateMark(s), counts[s], escape(s))
	}
	return strings.Join(parts, " · ")
}

func renderProgram(p programDoc) []slackgo.Block {
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

// tableHeadRE matches the header of the plain-text process table that the
// Supervisor backend appends to its messages; the blocks show the same
// processes, so the table is left out (see stripTable).
var tableHeadRE = regexp.MustCompile(`^\s*NAME\s+STATE\s+PID\b`)

// stripTable removes the plain-text table of procs from a message body,
// keeping everything else it says (why a start failed, its log lines).
func stripTable(text string, procs []process) string {
	names := map[string]bool{}
	for _, p := range procs {
		names[p.Name] = true
	}
	var keep []string
	for _, l := range strings.Split(text, "\n") {
		f := strings.Fields(l)
		if tableHeadRE.MatchString(l) || (len(f) >= 2 && names[f[0]] && stateMarks[f[1]] != "") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.TrimSpace(strings.Join(keep, "\n"))
}

// uptime formats seconds as an operator reads them: 45s, 12m, 3h04m, 2d05h.
func uptime(sec int64) string {
	switch {
	case sec < 60:
		return fmt.Sprintf("%ds", sec)
	case sec < 3600:
		return fmt.Sprintf("%dm", sec/60)
	case sec < 48*3600:
		return fmt.Sprintf("%dh%02dm", sec/3600, sec%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", sec/86400, sec%86400/3600)
}
