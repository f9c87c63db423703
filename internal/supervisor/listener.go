package supervisor

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// poolvisor's own event listener carries every alert. Stopping it would
// silence them all, so it answers only to /supervisor events enable and
// disable, under their own permission (supervisor.events.manage): a
// control, edit, delete or rollback aimed at it is refused, and one aimed
// at all programs leaves it alone and says so.

// isListener reports whether target (NAME, GROUP:NAME or GROUP:*) names
// poolvisor's event listener.
func isListener(target string) bool {
	group, _, _ := strings.Cut(target, ":")
	return group == ListenerGroup
}

// listenerRefused is the answer to a write aimed at the listener.
func listenerRefused(verb string) error {
	return ops.Invalidf("%s is poolvisor's own event listener, which posts every alert: it cannot be %s this way. "+
		"Use /supervisor events enable or /supervisor events disable (permission supervisor.events.manage).", ListenerGroup, verb)
}

// listenerSkipped is the note added to an answer about all programs.
const listenerSkipped = "(" + ListenerGroup + ", poolvisor's event listener, is left alone: see /supervisor events)"

// withoutListener drops the listener's processes from procs, and reports
// whether there were any.
func withoutListener(procs []ProcessInfo) ([]ProcessInfo, bool) {
	out := slices.DeleteFunc(slices.Clone(procs), func(p ProcessInfo) bool { return p.Group == ListenerGroup })
	return out, len(out) != len(procs)
}

// withoutListener drops the listener from the changes an update would
// stop it for (changed, removed). Adding it only makes alerts work, so an
// added listener stays.
func (c Changes) withoutListener() (Changes, bool) {
	drop := func(list []string) []string {
		return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return s == ListenerGroup })
	}
	out := Changes{Added: c.Added, Changed: drop(c.Changed), Removed: drop(c.Removed)}
	return out, len(out.Changed)+len(out.Removed) != len(c.Changed)+len(c.Removed)
}

// ListenerState says in which state supervisord has poolvisor's event
// listener. installed is false when neither supervisord nor program_dir
// knows it (events disabled); a file supervisord has not loaded is
// "NOT LOADED".
func (b *Backend) ListenerState(ctx context.Context) (state string, installed bool, err error) {
	all, err := b.client.GetAllProcessInfo(ctx)
	if err != nil {
		return "", false, b.userError(err, ListenerGroup)
	}
	for _, p := range all {
		if p.Group == ListenerGroup {
			return p.StateName, true, nil
		}
	}
	if _, err := os.Stat(b.ProgramPath(ListenerGroup)); err == nil {
		return "NOT LOADED", true, nil
	}
	return "", false, nil
}

// ListenerHealth is the event listener as a part of /healthz; ok is false
// when it is not installed (nothing to report) or supervisord does not
// answer (its own part says so).
func (b *Backend) ListenerHealth(ctx context.Context) (c ops.Component, ok bool) {
	state, installed, err := b.ListenerState(ctx)
	if err != nil || !installed {
		return ops.Component{}, false
	}
	c = ops.Component{Name: ListenerGroup, OK: ListenerUp(state), Info: state}
	if !c.OK {
		c.Info = fmt.Sprintf("poolvisor's event listener is %s: no alerts are posted until it runs again", state)
	}
	return c, true
}

// ListenerUp reports whether the listener in state delivers events (or is
// about to).
func ListenerUp(state string) bool { return state == "RUNNING" || state == "STARTING" }
