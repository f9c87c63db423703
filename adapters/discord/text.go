package discord

import (
	"strings"

	"github.com/poolvisor/poolvisor/adapters/chat/textfit"
)

// Lengths are measured in bytes of UTF-8. Discord counts characters; a
// byte count is never smaller, so a text that fits in bytes fits.

// mdEscaper makes text literal in Discord's markdown.
var mdEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`, ">", `\>`, "#", `\#`, "@", "@\u200b")

// escape makes s literal in Discord's markdown and keeps it from mentioning
// anyone.
// https://support.discord.com/hc/en-us/articles/210298617
func escape(s string) string { return mdEscaper.Replace(s) }

// codeSafe keeps s from ending a ``` block early.
func codeSafe(s string) string { return strings.ReplaceAll(s, "```", "`\u200b``") }

// code wraps s in an inline code span that cannot be ended early.
func code(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

// codeBlock renders text as one ``` block of at most max bytes, cut at a
// line boundary; it reports whether it cut.
func codeBlock(text string, max int) (string, bool) {
	const fence = "```\n"
	text = codeSafe(strings.TrimRight(text, "\n"))
	budget := max - 2*len(fence)
	cut := false
	if len(text) > budget {
		text = truncate(text, budget)
		if i := strings.LastIndexByte(text, '\n'); i > 0 {
			text = text[:i]
		}
		cut = true
	}
	return fence + text + "\n```", cut
}

// joinLines joins lines up to max bytes and reports how many fit.
func joinLines(lines []string, max int) (string, int) {
	var b strings.Builder
	for i, l := range lines {
		if b.Len()+len(l)+1 > max {
			return b.String(), i
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	return b.String(), len(lines)
}

// The text cutters shared with the other chat adapters (package textfit).
var (
	truncate      = textfit.Truncate
	tail          = textfit.Tail
	firstLine     = textfit.FirstLine
	firstNonEmpty = textfit.FirstNonEmpty
)
