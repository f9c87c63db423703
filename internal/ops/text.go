package ops

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Body is the typed part of a result: its text as pieces (prose, tables of
// processes, where the diffs stand) and, for an answer that spans several
// hosts, one section per host. Surfaces draw each piece their own way;
// Text composes the plain text that the shell prints and that Result.Message
// holds (SPEC §2), so that no surface ever cuts a table or a diff out of
// text another layer wrote.
type Body struct {
	Parts []Part        `json:"parts,omitempty"`
	Hosts []HostSection `json:"hosts,omitempty"`
}

// Part is one piece of a result's text: prose, a table of processes, or
// the place of the result's diffs.
type Part struct {
	Text string `json:"text,omitempty"`
	// Table marks a table of Processes (even an empty one).
	Table     bool      `json:"table,omitempty"`
	Processes []Process `json:"processes,omitempty"`
	// Rows are a table of text, its first row the header (pools, status
	// figures): the shell's columns, which chat surfaces draw from Data.
	Rows [][]string `json:"rows,omitempty"`
	// Diffs marks where the result's diffs go; without such a part they
	// follow everything else.
	Diffs bool `json:"diffs,omitempty"`
}

// Prose is a part of plain text.
func Prose(text string) Part { return Part{Text: text} }

// ProcessTable is a part that shows procs as a table.
func ProcessTable(procs []Process) Part { return Part{Table: true, Processes: procs} }

// RowsTable is a part that shows rows (the first one the header) as
// aligned columns.
func RowsTable(rows ...[]string) Part { return Part{Rows: rows} }

// DiffsHere is the part where the result's diffs go.
func DiffsHere() Part { return Part{Diffs: true} }

// HostSection is one host's part of an answer that spans several hosts: the
// host, how it ended there, its text and its data.
type HostSection struct {
	Host   string `json:"host"`
	Status Status `json:"status"`
	// Unreachable says the host did not answer at all (its status is failed).
	Unreachable bool   `json:"unreachable,omitempty"`
	Parts       []Part `json:"parts,omitempty"`
	Data        any    `json:"data"`
}

// Text is the plain text of the host's answer.
func (h HostSection) Text() string { return Text(Body{Parts: h.Parts}, nil) }

// Summary is the host's answer without its tables.
func (h HostSection) Summary() string { return summary(h.Parts) }

// Text composes a body and its diffs into plain text: the parts one per
// line, each host's section under a "== host ==" line, the diffs where a
// DiffsHere part stands or else at the end.
func Text(b Body, diffs []Diff) string {
	var out []string
	placed := false
	for _, p := range b.Parts {
		switch {
		case p.Diffs:
			placed = true
			d := diffText(diffs)
			if len(out) == 0 {
				out = append(out, strings.TrimPrefix(d, "\n"))
			} else {
				out[len(out)-1] += d
			}
		case p.Table:
			out = append(out, processTable(p.Processes))
		case len(p.Rows) > 0:
			out = append(out, rowsTable(p.Rows))
		default:
			out = append(out, p.Text)
		}
	}
	text := strings.Join(out, "\n")
	if len(b.Hosts) > 0 {
		sections := make([]string, len(b.Hosts))
		for i, h := range b.Hosts {
			sections[i] = fmt.Sprintf("== %s ==\n%s", h.Host, h.Text())
		}
		if text != "" {
			text += "\n\n"
		}
		text += strings.Join(sections, "\n\n")
	}
	if !placed {
		text += diffText(diffs)
	}
	return text
}

// Summary is the result's prose: its text without the tables, diffs and
// host sections that surfaces draw on their own.
func (r Result) Summary() string {
	if len(r.Body.Parts) == 0 && len(r.Body.Hosts) == 0 {
		return r.Message // all prose (see trim)
	}
	return summary(r.Body.Parts)
}

func summary(parts []Part) string {
	var out []string
	for _, p := range parts {
		if !p.Table && !p.Diffs && len(p.Rows) == 0 {
			out = append(out, p.Text)
		}
	}
	return strings.Join(out, "\n")
}

// compose fills the result's Message from its body and diffs.
func (r *Result) compose() {
	r.Message = Text(r.Body, r.Diffs)
}

// setBody sets the result's body and composes its Message.
func (r *Result) setBody(b Body) {
	r.Body = b
	r.compose()
}

// prepend puts a line of prose before the result's text.
func (r *Result) prepend(text string) {
	if len(r.Body.Parts) == 0 && len(r.Body.Hosts) == 0 {
		r.Body.Parts = []Part{Prose(r.Message)}
	}
	r.Body.Parts = append([]Part{Prose(text)}, r.Body.Parts...)
	r.compose()
}

// trim drops a body of prose alone: it says nothing Message does not, so
// `exec --json` prints a body only when it holds more.
func (r *Result) trim() {
	if len(r.Body.Hosts) == 0 && len(r.Diffs) == 0 && !slices.ContainsFunc(r.Body.Parts, func(p Part) bool { return p.Table || p.Diffs || len(p.Rows) > 0 }) {
		r.Body.Parts = nil
	}
}

// Content is an outcome's text as parts: its Body's when it has them, else
// its Message as prose.
func (o Outcome) Content() Body {
	if len(o.Body.Parts) > 0 || len(o.Body.Hosts) > 0 {
		return o.Body
	}
	return Body{Parts: []Part{Prose(o.Message)}}
}

// Append adds parts after the outcome's text, whichever form it has, and
// keeps its Message the same text composed.
func (o *Outcome) Append(parts ...Part) {
	b := o.Content()
	b.Parts = append(b.Parts, parts...)
	o.Body, o.Message = b, Text(b, nil)
}

// Text is the outcome's plain text, as Result.Message would hold it
// without diffs.
func (o Outcome) Text() string { return Text(o.Content(), nil) }

// ErrorBody splits err into its status and its body: the parts and host
// sections a *Error carries, else the text a user may see as prose.
func ErrorBody(err error) (Status, Body) {
	status, msg := UserError(err)
	if e := asError(err); e != nil && (len(e.Body.Parts) > 0 || len(e.Body.Hosts) > 0) {
		return status, e.Body
	}
	return status, Body{Parts: []Part{Prose(msg)}}
}

// processTable renders processes as aligned plain text.
func processTable(procs []Process) string {
	if len(procs) == 0 {
		return ""
	}
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  NAME\tSTATE\tPID\tUPTIME\tINFO")
	for _, p := range procs {
		pid, up, info := "-", "-", p.Description
		if p.PID > 0 {
			pid = fmt.Sprint(p.PID)
		}
		if p.State == "RUNNING" {
			up, info = Uptime(p.Uptime), ""
		}
		if p.SpawnErr != "" {
			info = p.SpawnErr
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\n", p.Name, p.State, pid, up, info)
	}
	w.Flush()
	return strings.TrimRight(b.String(), "\n")
}

// rowsTable lays rows out as columns two spaces apart, indented by two.
func rowsTable(rows [][]string) string {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], len(c))
			}
		}
	}
	var b strings.Builder
	for _, r := range rows {
		line := "  "
		for i, c := range r {
			if i < len(r)-1 && i < len(widths) {
				c += strings.Repeat(" ", widths[i]-len(c)+2)
			}
			line += c
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// Uptime formats seconds the way an operator reads them: 45s, 12m, 3h04m, 2d05h.
func Uptime(sec int64) string {
	d := time.Duration(sec) * time.Second
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", sec)
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

// Parts returns an outcome whose text is parts, with data; its Message
// holds the same text composed, for callers that read text alone.
func Parts(data any, parts ...Part) Outcome {
	b := Body{Parts: parts}
	return Outcome{Message: Text(b, nil), Body: b, Data: data}
}

// FailedParts returns a user-facing error for an attempt that failed, whose
// text is parts; its Msg holds the same text composed.
func FailedParts(data any, parts ...Part) *Error {
	b := Body{Parts: parts}
	return &Error{Status: StatusFailed, Msg: Text(b, nil), Body: b, Data: data}
}
