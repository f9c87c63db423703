package ops

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	commands "github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/secret"
)

// defaultAuditLines is how many entries /ops audit shows without N.
const defaultAuditLines = 20

// maxAuditLines bounds /ops audit N so one request cannot dump the whole
// trail; it is also how many /ops audit --since shows without N.
const maxAuditLines = 500

// readAudit answers /ops audit [N] [--since DURATION] [--format F]. With
// --since and no N it shows up to maxAuditLines entries of that time.
// Its data is {"entries": [...]} whatever the format; the format picks
// the message, which is also the result's Attachment, so a chat platform
// can send a long one as a file instead of cutting it.
func (p *Pipeline) readAudit(ctx context.Context, req Request) (Outcome, error) {
	n := defaultAuditLines
	if req.Op.Target != "" {
		v, err := strconv.Atoi(req.Op.Target)
		if err != nil || v < 1 || v > maxAuditLines {
			return Outcome{}, Invalidf("N must be a number from 1 to %d", maxAuditLines)
		}
		n = v
	}
	format, _ := req.Op.Get("format")
	var since time.Time
	if v, ok := req.Op.Get("since"); ok {
		d, err := commands.ParseDuration(v)
		if err != nil || d == 0 {
			return Outcome{}, InvalidField("since", "--since takes a duration like 90m, 12h or 7d, not %q", v)
		}
		since = p.cfg.Now().Add(-d)
		if req.Op.Target == "" {
			n = maxAuditLines
		}
	}
	entries, err := p.auditEntries(ctx, since, n)
	if err != nil {
		return Outcome{}, Fail(err, "could not read the audit trail")
	}
	MaskAudit(entries)
	var (
		msg  string
		kind = "text/plain; charset=utf-8"
		ext  = "txt"
	)
	switch format {
	case "json":
		raw, err := AuditJSON(entries)
		if err != nil {
			return Outcome{}, Fail(err, "could not encode the audit trail")
		}
		msg, kind, ext = string(raw), "application/json", "json"
	case "csv":
		raw, err := AuditCSV(entries)
		if err != nil {
			return Outcome{}, Fail(err, "could not encode the audit trail")
		}
		msg, kind, ext = string(raw), "text/csv; charset=utf-8; header=present", "csv"
	default:
		msg = p.auditText(entries, since)
	}
	name := fmt.Sprintf("audit-%s-%s.%s", p.cfg.Host, p.cfg.Now().UTC().Format("20060102-150405"), ext)
	return Outcome{Message: msg, Data: map[string]any{"entries": entries},
		Attachment: &Attachment{Name: name, ContentType: kind, Content: []byte(msg)}}, nil
}

// auditEntries reads the last n entries, those since since when it is
// set. A trail that cannot answer by time (AuditSince) is read by count
// and filtered: the same entries when none of the last n is older.
func (p *Pipeline) auditEntries(ctx context.Context, since time.Time, n int) ([]AuditEntry, error) {
	var (
		entries []AuditEntry
		err     error
	)
	if s, ok := p.cfg.Audit.(AuditSince); ok && !since.IsZero() {
		entries, err = s.Since(ctx, since, n)
	} else {
		entries, err = p.cfg.Audit.Recent(ctx, n)
		entries = slicesAfter(entries, since)
	}
	if entries == nil {
		entries = []AuditEntry{}
	}
	return entries, err
}

func slicesAfter(entries []AuditEntry, since time.Time) []AuditEntry {
	if since.IsZero() {
		return entries
	}
	out := entries[:0]
	for _, e := range entries {
		if !e.Time.Before(since) {
			out = append(out, e)
		}
	}
	return out
}

// MaskAudit masks entries for reading, in place. Entries are masked when
// recorded; masking again on reading also covers those recorded before a
// secret's rule reached them. Files keep their paths only (pathsOnly).
// Every reader of the trail (/ops audit, `poolvisor audit export`) calls it.
func MaskAudit(entries []AuditEntry) {
	for i, e := range entries {
		entries[i].Args, entries[i].Message = RedactArgs(e.Args), secret.Pairs(e.Message)
		entries[i].Files = pathsOnly(entries[i].Files)
	}
}

// auditText is today's form of /ops audit: a table, oldest first.
func (p *Pipeline) auditText(entries []AuditEntry, since time.Time) string {
	var b strings.Builder
	if since.IsZero() {
		fmt.Fprintf(&b, "Last %d audit entries (oldest first):\n", len(entries))
	} else {
		fmt.Fprintf(&b, "%d audit entries since %s (oldest first):\n", len(entries), since.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	var notes []string
	for _, e := range entries {
		status := string(e.Status)
		if e.Found != "" { // interrupted: what the next process found on disk
			status += " (" + e.Found + ")"
		}
		line := fmt.Sprintf("  %s\t%s\t%s\t%s", e.Time.UTC().Format("2006-01-02 15:04:05"), status, e.Actor, e.Operation)
		if e.Target != "" {
			line += " " + e.Target
		}
		if e.Host != "" && e.Host != p.cfg.Host { // sent to another host by a fleet hub
			line += " on " + e.Host
		}
		if e.ApprovalID != "" {
			line += "  [approval " + e.ApprovalID
			if e.Approver != "" && e.Approver != e.Actor {
				line += ", approved by " + e.Approver
			}
			line += "]"
		}
		if run, step := argOf(e.Args, "run"), argOf(e.Args, "step"); run != "" && step != "" { // a step of a run (Run.Audit)
			line += fmt.Sprintf("  [run %s, %s: %s]", run, step, argOf(e.Args, "on"))
		}
		if e.Write != 0 && (e.Status == AuditStarted || e.Status == AuditInterrupted) {
			line += fmt.Sprintf("  [write %d]", e.Write)
			if e.Status == AuditInterrupted {
				notes = append(notes, fmt.Sprintf("  write %d: %s", e.Write, e.Message))
			}
		}
		fmt.Fprintln(w, line)
	}
	w.Flush()
	if len(notes) > 0 {
		fmt.Fprintf(&b, "Interrupted writes (their poolvisor process ended in the middle of them):\n%s\n", strings.Join(notes, "\n"))
	}
	return strings.TrimRight(b.String(), "\n")
}

func argOf(args []Arg, key string) string {
	for _, a := range args {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// pathsOnly leaves out the digests of files: a digest of a whole file lets
// whoever can read the audit test guesses of a weak secret in it. They stay
// in the stored trail and its JSON-lines mirror, which only root reads.
func pathsOnly(files []FileDigest) []FileDigest {
	if files == nil {
		return nil
	}
	out := make([]FileDigest, len(files))
	for i, f := range files {
		out[i] = FileDigest{Path: f.Path}
	}
	return out
}
