package ops

import (
	"context"
	"fmt"
	"strings"

	"github.com/poolvisor/poolvisor/internal/diff"
)

// FileChange is one config file a write changes, with its exact bytes before
// and after. A nil Before means the file is created; a nil After, removed.
type FileChange struct {
	Kind   string // "supervisor.program", "fpm.pool", "supervisor.config"
	Name   string // the program or pool; empty for a daemon's main config
	Path   string
	Before []byte
	After  []byte
}

// Diff is a FileChange as answers show it: a unified diff, secrets masked.
type Diff struct {
	Path    string `json:"path"`
	Text    string `json:"diff"`
	Added   int    `json:"added"`
	Removed int    `json:"removed"`
}

// Diffs renders changes as diffs, leaving out files that do not change.
func Diffs(changes []FileChange) []Diff {
	var out []Diff
	for _, c := range changes {
		text, add, del := diff.Unified(c.Path, c.Before, c.After)
		if text != "" {
			out = append(out, Diff{Path: c.Path, Text: text, Added: add, Removed: del})
		}
	}
	return out
}

// diffText is diffs as plain text for messages.
func diffText(diffs []Diff) string {
	var b strings.Builder
	for _, d := range diffs {
		fmt.Fprintf(&b, "\n%s", d.Text)
	}
	return strings.TrimRight(b.String(), "\n")
}

// VersionMeta says who made a version, and through what.
type VersionMeta struct {
	Actor      Actor
	Operation  string
	ApprovalID string
	Approver   string
}

// History keeps the versions of every file poolvisor writes.
type History interface {
	// Record stores c.After as the file's newest version. When c.Before is not
	// the newest recorded version, someone changed the file by hand: that
	// state is recorded first, as made outside poolvisor, so nothing is lost.
	Record(ctx context.Context, c FileChange, meta VersionMeta) error
	// Latest returns the newest recorded content of path (nil: recorded as
	// absent) and whether any version of it is recorded.
	Latest(ctx context.Context, path string) ([]byte, bool, error)
}
