package slack

import (
	"strings"

	"github.com/poolvisor/poolvisor/adapters/chat/textfit"
)

// Lengths are measured in bytes of UTF-8. Slack counts characters; a byte
// count is never smaller, so a text that fits in bytes fits in characters.

// escape makes s literal in Slack's mrkdwn: &, < and > are the only
// characters Slack itself interprets (as entities, links and mentions).
// https://docs.slack.dev/messaging/formatting-message-text
func escape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// codeSafe escapes s for use inside a ``` block, where a run of three
// backticks would end the block early.
func codeSafe(s string) string {
	return strings.ReplaceAll(escape(s), "```", "`\u200b``")
}

// chunkLines packs lines into texts of at most max bytes each, keeping lines
// whole where they fit and cutting a single overlong line.
func chunkLines(lines []string, max int) []string {
	var chunks []string
	var b strings.Builder
	for _, l := range lines {
		if len(l) > max {
			l = truncate(l, max)
		}
		if b.Len() > 0 && b.Len()+1+len(l) > max {
			chunks = append(chunks, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	if b.Len() > 0 {
		chunks = append(chunks, b.String())
	}
	return chunks
}

// codeBlocks renders text as ``` sections, split at line boundaries so that
// each section stays within maxSectionText.
func codeBlocks(text string) []string {
	const fence = "```"
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = codeSafe(l)
	}
	var out []string
	for _, c := range chunkLines(lines, maxSectionText-2*len(fence)-2) {
		out = append(out, fence+"\n"+c+"\n"+fence)
	}
	return out
}

// The text cutters shared with the other chat adapters (package textfit).
var (
	truncate      = textfit.Truncate
	tail          = textfit.Tail
	firstLine     = textfit.FirstLine
	firstNonEmpty = textfit.FirstNonEmpty
)
