package mattermost

import (
	"strings"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// mdEscaper makes text literal in Mattermost's Markdown. Mentions are
// broken with a zero-width space: a program's name or log line must never
// notify @channel or a person.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "~", `\~`, "#", `\#`,
	"[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`, "|", `\|`, "@", "@\u200b",
)

func escape(s string) string { return mdEscaper.Replace(s) }

// code is s as inline code that cannot be ended early.
func code(s string) string { return "`" + strings.ReplaceAll(s, "`", "'") + "`" }

// codeSafe keeps s from ending a ``` block early; a mention in a code
// block does not notify, so nothing else needs breaking.
func codeSafe(s string) string { return strings.ReplaceAll(s, "```", "`\u200b``") }

// cell is s as one cell of a Markdown table: one line, pipes escaped.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return escape(truncateRunes(s, maxCellChars))
}

// truncateRunes cuts s to at most n characters, with an ellipsis.
func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

var stateMarks = map[string]string{
	"RUNNING": "🟢", "STARTING": "🟡", "BACKOFF": "🟠", "STOPPING": "🟡",
	"STOPPED": "⚪", "EXITED": "⚪", "FATAL": "🔴", "UNKNOWN": "❔",
}

var statusMarks = map[ops.Status]string{
	ops.StatusOK:       "✅",
	ops.StatusFailed:   "❌",
	ops.StatusInvalid:  "⚠️",
	ops.StatusDenied:   "⛔",
	ops.StatusPending:  "⏳",
	ops.StatusConflict: "🔀",
}

// style is how Mattermost writes the lines every platform draws alike.
var style = chat.Style{
	States:      stateMarks,
	Statuses:    statusMarks,
	Unreachable: "🔌",
	Escape:      escape,
	Bold:        func(s string) string { return "**" + s + "**" },
	Code:        code,
}
