package slack

import (
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Budgets of the diffs in one message: at most maxDiffSections code
// sections for all files together, each holding up to diffChunk bytes of
// diff, so that a message keeps room for its text, notes and buttons.
const (
	maxDiffSections = 4
	diffChunk       = maxSectionText - 200 // room for the fences and the note
)

// renderDiffs shows each changed file as its own part: a line with its
// path and how many lines it adds and removes, then its unified diff in a
// code block. Diffs share maxDiffSections (and at most room blocks); a diff
// cut short says how many of its lines are left out, and files beyond the
// room are counted in a last note. Nothing is cut silently.
func renderDiffs(diffs []ops.Diff, room int) []slackgo.Block {
	if len(diffs) == 0 || room < 1 {
		return nil
	}
	shown, rest := diffs, []ops.Diff(nil)
	if len(diffs) > room {
		shown, rest = diffs[:room-1], diffs[room-1:]
	}
	lines := make([][]string, len(shown))
	want := make([]int, len(shown))
	for i, d := range shown {
		lines[i] = view.DiffLines(d.Text)
		for j, l := range lines[i] {
			lines[i][j] = codeSafe(l)
		}
		want[i] = max(1, (len(strings.Join(lines[i], "\n"))+diffChunk-1)/diffChunk)
	}
	avail := room
	if len(rest) > 0 {
		avail-- // the note that counts them
	}
	sections := view.Share(want, min(max(len(shown), maxDiffSections), avail))
	var out []slackgo.Block
	for i, d := range shown {
		out = append(out, diffBlocks(d, lines[i], max(1, sections[i]))...)
	}
	if len(rest) > 0 {
		out = append(out, contextText(escape(view.MoreFiles(rest))))
	}
	return out
}

// diffBlocks draws one file's diff in at most n sections.
func diffBlocks(d ops.Diff, lines []string, n int) []slackgo.Block {
	const fence = "```"
	head := "`" + escape(truncate(d.Path, 200)) + "` · *" + view.DiffCounts(d) + "*"
	var out []slackgo.Block
	for len(lines) > 0 && len(out) < n {
		room := diffChunk
		if len(out) == 0 {
			room = min(room, maxSectionText-400-len(head))
		}
		k := max(1, view.FitLines(lines, room)) // an overlong line is cut to fit
		chunk := lines[:k]
		if k == 1 && len(chunk[0]) > room {
			chunk = []string{truncate(chunk[0], room)}
		}
		text := fence + "\n" + strings.Join(chunk, "\n") + "\n" + fence
		if len(out) == 0 {
			text = head + "\n" + text
		}
		lines = lines[k:]
		if len(out) == n-1 && len(lines) > 0 {
			text += "\n_" + view.MoreLines(len(lines)) + "; `poolvisor exec` on the host shows the whole diff._"
		}
		out = append(out, section(text))
	}
	return out
}
