package supervisor

import (
	"context"
	"fmt"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// ListenerGroup is the name of poolvisor's event listener in supervisord.
const ListenerGroup = "poolvisor-events"

// listenerFile renders the [eventlistener:...] section that runs command.
// PROCESS_GROUP (a group added or removed) is there for serve's live
// state: a group can come or go with no process changing state, such as
// one added by `supervisorctl update` that does not autostart.
func (b *Backend) listenerFile(command string) []byte {
	return []byte(fmt.Sprintf(`; Installed by poolvisor (/supervisor events enable): forwards process state
; changes to the running bot. Remove it with /supervisor events disable.
[eventlistener:%s]
command=%s
events=PROCESS_STATE,PROCESS_GROUP
buffer_size=100
autostart=true
autorestart=true
startsecs=1
stderr_logfile=%s/%s.log
`, ListenerGroup, command, b.cfg.LogDir, ListenerGroup))
}

// eventsManage installs (target enable) or removes (disable) the listener,
// through the same validated, rolled-back path as any program file.
type eventsManage struct{ b *Backend }

func (h eventsManage) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	b := h.b
	path := b.ProgramPath(ListenerGroup)
	old, err := readIfExists(path)
	if err != nil {
		return nil, ops.Fail(err, "could not read %s", path)
	}
	if req.Op.Target == "disable" {
		if old == nil {
			return nil, ops.Invalidf("poolvisor's event listener is not installed on %s", b.cfg.Host)
		}
		changes := []ops.FileChange{{Kind: ConfigKind, Name: ListenerGroup, Path: path, Before: old}}
		return &ops.Plan{
			Summary:     fmt.Sprintf("stop and remove poolvisor's event listener on %s (%s)", b.cfg.Host, path),
			Fingerprint: digest(old),
			Changes:     changes,
			Effects:     []string{"supervisor.program.stop", "supervisor.program.delete"},
			Apply: func(ctx context.Context) (ops.Outcome, error) {
				if err := b.removeGroup(ctx, ListenerGroup); err != nil {
					return ops.Outcome{}, err
				}
				if _, err := b.writeAndReread(ctx, fileChange{path: path, old: old}, ListenerGroup); err != nil {
					return ops.Outcome{}, err
				}
				return ops.Outcome{Message: fmt.Sprintf("Removed poolvisor's event listener on %s; status now asks supervisord every time.", b.cfg.Host),
					Changes: changes}, nil
			},
		}, nil
	}
	cmd := b.cfg.EventsCommand
	if cmd == "" || strings.ContainsAny(cmd, "\r\n\x00;#%") {
		why := b.cfg.EventsRefused
		if why == "" {
			why = fmt.Sprintf("its own command line %q is not known or not safe in a supervisord file", cmd)
		}
		return nil, ops.Failedf("this poolvisor cannot install its event listener: %s", why)
	}
	next := b.listenerFile(cmd)
	if string(next) == string(old) {
		return nil, ops.Invalidf("poolvisor's event listener is already installed on %s", b.cfg.Host)
	}
	changes := []ops.FileChange{{Kind: ConfigKind, Name: ListenerGroup, Path: path, Before: old, After: next}}
	return &ops.Plan{
		Summary:     fmt.Sprintf("install poolvisor's event listener on %s (%s), running: %s", b.cfg.Host, path, cmd),
		Fingerprint: digest(old),
		Changes:     changes,
		Apply: func(ctx context.Context) (ops.Outcome, error) {
			if err := b.applyFile(ctx, fileChange{path: path, old: old, new: next}, ListenerGroup); err != nil {
				return ops.Outcome{}, err
			}
			out, err := b.settle(ctx, "Installed the event listener", ListenerGroup, true)
			out.Changes = changes
			return out, err
		},
	}, nil
}
