package ops

import "context"

// Backend is one kind of daemon poolvisor manages on a host (Supervisor,
// PHP-FPM): it owns a set of operations in the catalog, plans and applies
// them, and reports its daemons' health. internal/app builds every backend
// from a list and wires them all the same way; see docs/architecture.md.
type Backend interface {
	// Name is the owner of its operations in the catalog (see OwnedBy).
	Name() string
	// Handlers returns a handler for each operation it runs. Operations
	// it owns but leaves out answer that this version cannot run them.
	Handlers() map[string]Handler
	// Health reports its daemons, for /ops hosts and /healthz.
	Health(ctx context.Context) []Component
}

// Runner is a Backend that keeps live state while serve runs (what it
// knows of its daemons between requests): Run does so until ctx ends.
type Runner interface {
	Run(ctx context.Context)
}

// FileOps names the operations of a backend that manage one kind of config
// file whose versions the history keeps: Edit, Add and Delete write it,
// Show shows it (and its drift from the last version kept), History and
// Rollback are the history's own.
type FileOps struct {
	Show, Edit, Add, Delete, History, Rollback string
}

// Off returns the Backend owner stands for on a host where it does not
// run: each of its operations answers failed with why, and it reports no
// health.
func Off(owner, why string) Backend { return off{owner, why} }

type off struct{ owner, why string }

func (o off) Name() string { return o.owner }

func (o off) Handlers() map[string]Handler {
	out := map[string]Handler{}
	for _, name := range OwnedBy(o.owner) {
		out[name] = Unavailable(o.why)
	}
	return out
}

func (off) Health(context.Context) []Component { return nil }
