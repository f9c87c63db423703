package discord

import (
	"strings"
	"unicode/utf8"
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

// truncate cuts s to at most max bytes on a character boundary, ending it
// with an ellipsis when it was cut.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const ell = "…"
	cut := max - len(ell)
	if cut < 0 {
		cut = 0
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ell
}

// tail keeps the end of s within max bytes, starting at a line boundary
// when it cuts. It reports whether anything was cut.
func tail(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	s = s[len(s)-max:]
	if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
		return s[i+1:], true
	}
	for len(s) > 0 && !utf8.RuneStart(s[0]) {
		s = s[1:]
	}
	return s, true
}

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

// firstLine returns the first line of s, and the rest.
func firstLine(s string) (string, string) {
	head, rest, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(head), strings.Trim(rest, "\n")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
