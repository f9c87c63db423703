package ops

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// AuditColumns are the header row of an audit export in CSV: every field
// of an AuditEntry, in its order.
var AuditColumns = []string{"id", "time", "host", "actor", "actor_name", "operation", "target", "args",
	"status", "message", "approval_id", "approver", "write", "files", "found"}

// AuditCSV writes entries as CSV (RFC 4180: CRLF line ends, fields with
// commas, quotes or line breaks quoted) with the header row AuditColumns.
// args is flattened to the grammar's form, KEY=VALUE words separated by
// spaces with a value quoted (Go's strconv.Quote) when it holds a space,
// a quote, a backslash or a control character; files is the paths alike.
//
// A spreadsheet opening the file runs a cell that starts with =, +, - or
// @ as a formula (CSV injection: an actor name or a command typed in chat
// could hold one), so such a cell, and one starting with a tab or a
// carriage return, is prefixed with a single quote ('), which the
// spreadsheet shows and does not run. A reader of the CSV that is no
// spreadsheet sees that quote too; the JSON export keeps values as they are.
func AuditCSV(entries []AuditEntry) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	if err := w.Write(AuditColumns); err != nil {
		return nil, err
	}
	for _, e := range entries {
		var files []string
		for _, f := range e.Files {
			files = append(files, quoteWord(f.Path))
		}
		row := []string{
			strconv.FormatInt(e.ID, 10), e.Time.UTC().Format(time.RFC3339Nano), e.Host, e.Actor, e.ActorName,
			e.Operation, e.Target, flattenArgs(e.Args), string(e.Status), e.Message, e.ApprovalID, e.Approver,
			writeID(e.Write), strings.Join(files, " "), e.Found,
		}
		for i, cell := range row {
			row[i] = defuse(cell)
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// AuditJSON writes entries as one JSON array, an entry a line, so that it
// is a single JSON document and still reads (and greps) line by line.
func AuditJSON(entries []AuditEntry) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("[")
	for i, e := range entries {
		raw, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n")
		b.Write(raw)
	}
	b.WriteString("\n]\n")
	return b.Bytes(), nil
}

func writeID(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func flattenArgs(args []Arg) string {
	words := make([]string, len(args))
	for i, a := range args {
		words[i] = a.Key + "=" + quoteWord(a.Value)
	}
	return strings.Join(words, " ")
}

// quoteWord leaves v as it is when it reads as one word, else quotes it.
func quoteWord(v string) string {
	if v == "" || strings.ContainsFunc(v, func(r rune) bool {
		return r <= ' ' || r == '"' || r == '\\' || r == 0x7f
	}) {
		return strconv.Quote(v)
	}
	return v
}

// defuse keeps a spreadsheet from running a cell as a formula (AuditCSV).
func defuse(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}
