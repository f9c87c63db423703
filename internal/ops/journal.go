package ops

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Statuses that only audit entries carry, never a Result (whose statuses
// stay the six of SPEC §2). Every write that changes a file has a started
// entry, recorded before its first byte is written, and later exactly one
// more entry with the same Write id: its outcome, or interrupted.
const (
	// AuditStarted is the entry of a write about to touch its files.
	AuditStarted Status = "started"
	// AuditInterrupted is the entry a later poolvisor process records for a
	// write whose process died (killed, crashed) before its outcome was
	// recorded; Found says what it found on disk.
	AuditInterrupted Status = "interrupted"
)

// What reconciling an interrupted write found in its files.
const (
	FoundApplied    = "applied"     // every file holds the new bytes
	FoundNotApplied = "not applied" // every file holds the old bytes
	FoundUnknown    = "unknown state"
)

// FileDigest is a file a write changes, as audit entries name it.
type FileDigest struct {
	Path   string `json:"path"`
	Before string `json:"before,omitempty"` // sha256 of the old bytes; "absent": no file
	After  string `json:"after,omitempty"`  // sha256 of the new bytes; "absent": removed
}

// Absent is the digest of a file that does not exist.
const Absent = "absent"

// Digest returns the sha256 of b in hex, or Absent for nil.
func Digest(b []byte) string {
	if b == nil {
		return Absent
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Intent is a write about to be applied, as the journal keeps it from
// before its first byte is written until its outcome is recorded.
type Intent struct {
	ID      int64
	Owner   string // the lease of the process applying it (internal/lease)
	Actor   Actor
	Entry   AuditEntry   // the started entry
	Changes []FileChange // what it writes, old and new bytes
}

// ErrNoIntent is returned by Journal.Finish for an intent already finished.
var ErrNoIntent = errors.New("no such unfinished write")

// Journal is the write-ahead part of the audit trail, in the same store.
type Journal interface {
	// Begin records, durably and in one step, the intent and its started
	// entry (which carries the new intent's id as Write), and returns the id.
	// An error with an id means the intent is recorded, but a copy of the
	// entry elsewhere (a mirror file) failed.
	Begin(ctx context.Context, in Intent) (int64, error)
	// Finish records e, the write's outcome or interrupted entry, and
	// forgets intent id, in one step.
	Finish(ctx context.Context, id int64, e AuditEntry) error
	// Unfinished returns every intent not finished yet, oldest first.
	Unfinished(ctx context.Context) ([]Intent, error)
	// Claim makes to the owner of intent id if from still owns it, and
	// reports whether it did: of several processes reconciling the same
	// intent, one wins.
	Claim(ctx context.Context, id int64, from, to string) (bool, error)
}

// begin journals a write of changes before plan.Apply touches any file. It
// returns 0 when there is no journal or nothing to write. When the intent
// cannot be recorded, nothing is applied: a write the audit cannot see is
// what the journal exists to prevent.
func (p *Pipeline) begin(ctx context.Context, op Operation, changes []FileChange, meta VersionMeta) (int64, error) {
	if p.cfg.Journal == nil {
		return 0, nil
	}
	var real []FileChange
	var files []FileDigest
	for _, c := range changes {
		if sameBytes(c.Before, c.After) {
			continue
		}
		real = append(real, c)
		files = append(files, FileDigest{Path: c.Path, Before: Digest(c.Before), After: Digest(c.After)})
	}
	if len(real) == 0 {
		return 0, nil
	}
	e := AuditEntry{
		Actor: meta.Actor.String(), ActorName: meta.Actor.Name,
		Operation: op.Name, Target: op.Target, Args: RedactArgs(op.Args),
		Status: AuditStarted, Message: "writing " + paths(files),
		ApprovalID: meta.ApprovalID, Approver: meta.Approver, Files: files,
	}
	p.stamp(&e, op)
	id, err := p.cfg.Journal.Begin(ctx, Intent{Owner: p.cfg.Lease, Actor: meta.Actor, Entry: e, Changes: real})
	if err != nil && id == 0 {
		return 0, Fail(err, "could not record the write in the audit trail before making it; nothing was changed")
	}
	if err != nil {
		p.cfg.Log.Error("audit record failed", "operation", e.Operation, "err", err)
	}
	return id, nil
}

func paths(files []FileDigest) string {
	list := make([]string, len(files))
	for i, f := range files {
		list[i] = f.Path
	}
	return strings.Join(list, ", ")
}

func changedPaths(changes []FileChange) string {
	list := make([]string, len(changes))
	for i, c := range changes {
		list[i] = c.Path
	}
	return strings.Join(list, ", ")
}

// interruptedText says what an interrupted write left and how to go on.
func interruptedText(in Intent, found string, recorded []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "poolvisor stopped (killed or crashed) in the middle of this write, begun at %s; at the next start ",
		in.Entry.Time.UTC().Format("2006-01-02 15:04:05 UTC"))
	switch found {
	case FoundApplied:
		fmt.Fprintf(&b, "the new content was found on disk (%s)", changedPaths(in.Changes))
		if len(recorded) > 0 {
			fmt.Fprintf(&b, " and recorded in the history")
		}
		b.WriteString(". ")
	case FoundNotApplied:
		fmt.Fprintf(&b, "every file was found as it was before (%s). ", changedPaths(in.Changes))
	default:
		fmt.Fprintf(&b, "the files were found neither all as before nor all as planned (%s): look at them before anything else. ", changedPaths(in.Changes))
	}
	b.WriteString(daemonHint(in, found))
	return b.String()
}

// daemonHint says how to see and finish what the daemon made of it.
func daemonHint(in Intent, found string) string {
	name := in.Entry.Target
	switch {
	case strings.HasPrefix(in.Entry.Operation, "supervisor."):
		if found == FoundNotApplied {
			return "Nothing on disk needs undoing; a delete stops the program before it removes the file, so /supervisor status shows what supervisord runs, and /supervisor update applies the files as they are."
		}
		return fmt.Sprintf("supervisord may not run it yet: /supervisor reread shows the difference, /supervisor update %s applies it, /supervisor history %s shows the versions.", name, name)
	case strings.HasPrefix(in.Entry.Operation, "fpm."):
		if found == FoundNotApplied {
			return "/fpm status shows php-fpm's state."
		}
		return fmt.Sprintf("php-fpm may not have loaded it: /fpm reload loads it, /fpm pool history %s shows the versions.", name)
	}
	return ""
}
