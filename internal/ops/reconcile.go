package ops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/poolvisor/poolvisor/internal/atomicfile"
)

// Reconcile settles the writes that processes now dead began and never
// finished (see Journal): for each one it looks at the files, records the
// new content in the history when it is on disk, and records the write's
// interrupted entry saying what it found. alive reports whether the process
// holding a lease still runs; a live process's write is in progress and is
// left alone. Reconcile returns the entries it recorded.
func (p *Pipeline) Reconcile(ctx context.Context, alive func(owner string) bool) ([]AuditEntry, error) {
	if p.cfg.Journal == nil {
		return nil, nil
	}
	list, err := p.cfg.Journal.Unfinished(ctx)
	if err != nil {
		return nil, fmt.Errorf("read unfinished writes: %w", err)
	}
	var out []AuditEntry
	var errs []error
	for _, in := range list {
		if in.Owner == p.cfg.Lease || alive(in.Owner) {
			continue
		}
		won, err := p.cfg.Journal.Claim(ctx, in.ID, in.Owner, p.cfg.Lease)
		if err != nil || !won {
			errs = append(errs, err) // nil when another process claimed it first
			continue
		}
		// Should this process die too, the intent is now its own and the
		// next process to start takes it over again.
		e, err := p.interrupted(ctx, in)
		if err == nil {
			err = p.cfg.Journal.Finish(ctx, in.ID, e)
		}
		if err != nil && !errors.Is(err, ErrNoIntent) {
			errs = append(errs, fmt.Errorf("reconcile write %d: %w", in.ID, err))
			continue
		}
		out = append(out, e)
	}
	return out, errors.Join(errs...)
}

// interrupted compares in's files with what it meant to write, records the
// new content as a version when it is on disk (unless the dead process
// recorded it already), and returns the interrupted entry.
func (p *Pipeline) interrupted(ctx context.Context, in Intent) (AuditEntry, error) {
	disk := make([][]byte, len(in.Changes))
	applied, old := 0, 0
	var litter []string
	for i, c := range in.Changes {
		// A process killed inside atomicfile.WriteFile leaves its temporary
		// copy of the new content beside the file.
		for _, tmp := range atomicfile.Leftovers(c.Path) {
			if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
				return AuditEntry{}, fmt.Errorf("remove %s: %w", tmp, err)
			}
			litter = append(litter, tmp)
		}
		b, err := os.ReadFile(c.Path)
		if errors.Is(err, os.ErrNotExist) {
			b, err = nil, nil
		}
		if err != nil {
			return AuditEntry{}, fmt.Errorf("read %s: %w", c.Path, err)
		}
		disk[i] = b
		switch {
		case sameBytes(b, c.After):
			applied++
		case sameBytes(b, c.Before):
			old++
		}
	}
	found := FoundUnknown
	switch {
	case applied == len(in.Changes):
		found = FoundApplied
	case old == len(in.Changes):
		found = FoundNotApplied
	}
	var recorded []string
	if found == FoundApplied && p.cfg.History != nil {
		meta := VersionMeta{Actor: in.Actor, Operation: in.Entry.Operation + " (interrupted)",
			ApprovalID: in.Entry.ApprovalID, Approver: in.Entry.Approver}
		for i, c := range in.Changes {
			last, ok, err := p.cfg.History.Latest(ctx, c.Path)
			if err != nil {
				return AuditEntry{}, err
			}
			if ok && sameBytes(last, disk[i]) {
				continue // recorded before the process died
			}
			if err := p.cfg.History.Record(ctx, c, meta); err != nil {
				return AuditEntry{}, err
			}
			recorded = append(recorded, c.Path)
		}
	}
	e := in.Entry
	e.ID = 0
	e.Time = p.cfg.Now().UTC()
	e.Status, e.Found = AuditInterrupted, found
	e.Message = interruptedText(in, found, recorded)
	if len(litter) > 0 {
		e.Message += fmt.Sprintf(" Removed %d half-written temporary file(s).", len(litter))
	}
	return e, nil
}

// sameBytes tells a missing file (nil) from an empty one.
func sameBytes(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }
