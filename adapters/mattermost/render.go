package mattermost

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/poolvisor/poolvisor/adapters/chat/textfit"
	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Message is a rendered result: Markdown text, and the buttons the adapter
// turns into a message attachment's actions (with its URL and a signed
// context, which rendering does not know).
type Message struct {
	Text    string   `json:"message"`
	Buttons []Button `json:"buttons,omitempty"`
}

// Button is a button and the command text it runs, as the clicker.
type Button struct {
	Label   string `json:"label"`
	Style   string `json:"style"` // good | danger | primary | default
	Command string `json:"command"`
}

// cutNote ends a message that was cut to fit.
const cutNote = "_The rest is cut to fit in Mattermost; `poolvisor exec` on the host shows all of it._"

// Render draws a result as Mattermost Markdown: a headline with the
// status's mark, prose, tables of processes and figures as Markdown
// tables, diffs in diff blocks, and for an answer from several hosts a
// section a host, those that need a look first. An approval request gets
// Approve and Deny buttons. The text stays within maxPostChars.
func Render(res ops.Result) Message {
	var blocks []block
	if len(res.Body.Hosts) > 0 {
		parts := view.AttentionFirst(view.Hosts(res))
		blocks = append(blocks, textBlock(style.Mark(res)+"**"+escape(view.HostsHeadline(res, parts))+"**"))
		for _, p := range parts {
			blocks = append(blocks, textBlock("#### "+style.HostMark(p)+" "+escape(p.Host)))
			blocks = append(blocks, bodyBlocks(p.Result, false)...)
		}
	} else {
		blocks = bodyBlocks(res, true)
	}
	m := Message{Text: fit(blocks, maxPostChars)}
	if d := view.Decode(res.Data); res.Status == ops.StatusPending && d.Approval != nil {
		m.Buttons = []Button{
			{Label: "Approve", Style: "good", Command: "ops approve " + d.Approval.ID},
			{Label: "Deny", Style: "danger", Command: "ops deny " + d.Approval.ID},
		}
	}
	return m
}

// RenderText is a short note (an acknowledgement, an explanation).
func RenderText(text string) Message { return Message{Text: text} }

// bodyBlocks draws a result's parts; with headline, its first line of
// prose is the bold headline, marked with the status.
func bodyBlocks(res ops.Result, headline bool) []block {
	parts := res.Body.Parts
	if len(parts) == 0 {
		parts = []ops.Part{ops.Prose(res.Message)}
	}
	var out []block
	if headline {
		head := string(res.Status)
		for i, p := range parts {
			if p.Table || p.Diffs || len(p.Rows) > 0 {
				continue
			}
			if h, rest := textfit.FirstLine(p.Text); h != "" {
				head = h
				parts = append(append([]ops.Part{}, parts...)[:i:i], append([]ops.Part{ops.Prose(rest)}, parts[i+1:]...)...)
			}
			break
		}
		out = append(out, textBlock(style.Mark(res)+"**"+escape(head)+"**"))
	}
	placed := false
	for _, p := range parts {
		switch {
		case p.Diffs:
			placed = true
			out = append(out, diffBlocks(res.Diffs)...)
		case p.Table:
			out = append(out, processTable(p.Processes))
		case len(p.Rows) > 0:
			out = append(out, rowsTable(p.Rows))
		default:
			out = append(out, proseBlock(p.Text))
		}
	}
	if !placed {
		out = append(out, diffBlocks(res.Diffs)...)
	}
	return out
}

// proseBlock shows a line of prose as text, and longer prose (lists,
// stacks, aligned columns) as a code block, which keeps it as it was.
func proseBlock(text string) block {
	text = strings.Trim(text, "\n")
	if strings.TrimSpace(text) == "" {
		return block{}
	}
	if !strings.Contains(text, "\n") && utf8.RuneCountInString(text) <= 300 {
		return textBlock(escape(text))
	}
	return codeBlock("text", text)
}

func processTable(procs []ops.Process) block {
	if len(procs) == 0 {
		return textBlock("_No processes._")
	}
	b := block{table: true, lines: []string{"| | Name | State | PID | Uptime / info |", "|---|---|---|---|---|"}}
	for _, p := range procs {
		pid, info := "", textfit.FirstNonEmpty(p.SpawnErr, p.Description)
		if p.PID > 0 {
			pid = fmt.Sprint(p.PID)
		}
		if p.State == "RUNNING" {
			info = ""
			if p.Uptime > 0 {
				info = "up " + view.Uptime(p.Uptime)
			}
		}
		b.lines = append(b.lines, fmt.Sprintf("| %s | %s | %s | %s | %s |", style.StateMark(p.State), cell(p.Name), cell(p.State), pid, cell(info)))
	}
	return b
}

func rowsTable(rows [][]string) block {
	b := block{table: true}
	for i, r := range rows {
		cells := make([]string, len(r))
		for j, c := range r {
			cells[j] = cell(c)
			if cells[j] == "" {
				cells[j] = " "
			}
		}
		b.lines = append(b.lines, "| "+strings.Join(cells, " | ")+" |")
		if i == 0 {
			b.lines = append(b.lines, "|"+strings.Repeat("---|", len(r)))
		}
	}
	return b
}

func diffBlocks(diffs []ops.Diff) []block {
	var out []block
	for _, d := range diffs {
		out = append(out, textBlock(fmt.Sprintf("%s %s", code(d.Path), view.DiffCounts(d))), codeBlock("diff", d.Text))
	}
	return out
}

// block is a piece of a message that fit cuts as a whole: text is cut at
// a line, a table keeps its header, a code block its fences.
type block struct {
	lines []string
	table bool
	fence string // the code block's language; "" when not a code block
	code  bool
}

func textBlock(s string) block { return block{lines: strings.Split(s, "\n")} }

func codeBlock(lang, text string) block {
	return block{code: true, fence: lang, lines: strings.Split(codeSafe(strings.TrimRight(text, "\n")), "\n")}
}

func (b block) empty() bool { return len(b.lines) == 0 }

// render writes the block with at most n of its lines (its header and
// fences aside), counting those left out.
func (b block) render(n int) string {
	lines := b.lines
	cut := 0
	if n < len(lines) {
		cut = len(lines) - n
		lines = lines[:n]
	}
	var s string
	if b.code {
		s = "```" + b.fence + "\n" + strings.Join(lines, "\n") + "\n```"
	} else {
		s = strings.Join(lines, "\n")
	}
	if cut > 0 {
		s += "\n" + view.MoreLines(cut)
	}
	return s
}

// fit joins the blocks within max characters: whole blocks while they
// fit, then as many lines of the next as fit, then a note that the rest
// was cut. Tables beyond maxTableRows are cut the same way.
func fit(blocks []block, max int) string {
	var out []string
	used := 0
	add := func(s string) { out = append(out, s); used += utf8.RuneCountInString(s) + 2 }
	keeps := make([]int, len(blocks))
	for i, b := range blocks {
		keeps[i] = len(b.lines)
		if b.table && keeps[i] > maxTableRows+2 {
			keeps[i] = maxTableRows + 2
		}
		if !b.empty() {
			add(b.render(keeps[i]))
		}
	}
	if used-2 <= max {
		return strings.Join(out, "\n\n")
	}
	out, used = nil, 0
	budget := max - utf8.RuneCountInString(cutNote) - 64 // the note and a count of lines
	for i, b := range blocks {
		if b.empty() {
			continue
		}
		keep := keeps[i]
		if whole := b.render(keep); used+utf8.RuneCountInString(whole) <= budget {
			add(whole)
			continue
		}
		least := 0
		if b.table {
			least = 2
		}
		for keep > least && used+utf8.RuneCountInString(b.render(keep)) > budget {
			keep--
		}
		if keep > least {
			add(b.render(keep))
		}
		break
	}
	add(cutNote)
	return strings.Join(out, "\n\n")
}
