package supervisor

import (
	"bytes"
	"context"
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// lockPoll is how often a write waiting for another poolvisor's looks again.
const lockPoll = 20 * time.Millisecond

// writeLocked writes c under an exclusive flock on the program directory,
// which every poolvisor process on the host (serve, exec, console) takes
// before writing a supervisord file, and only when the file still holds
// the bytes the write was planned from: otherwise it is a conflict and
// nothing is written, so no process ever overwrites another's change.
//
// The one lock covers every file poolvisor writes, in program_dir or not
// (a shared .ini elsewhere, the main config): it is a host-wide mutex for
// supervisord's configuration, not a lock of the directory's files. A lock
// on each file would not do: writes replace the file by rename, so two
// writers would lock two different inodes.
func (b *Backend) writeLocked(ctx context.Context, c fileChange) error {
	d, err := os.Open(b.cfg.ProgramDir)
	if err != nil {
		return ops.Fail(err, "cannot open the program dir %s", b.cfg.ProgramDir)
	}
	defer d.Close()
	for {
		err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return ops.Fail(err, "cannot lock the program dir %s", b.cfg.ProgramDir)
		}
		select {
		case <-ctx.Done():
			return ops.Fail(ctx.Err(), "another poolvisor is writing supervisord's files on %s; nothing was changed, try again", b.cfg.Host)
		case <-time.After(lockPoll):
		}
	}
	defer syscall.Flock(int(d.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing d unlocks too
	now, err := readIfExists(c.path)
	if err != nil {
		return ops.Fail(err, "cannot read %s", c.path)
	}
	if !bytes.Equal(now, c.old) || (now == nil) != (c.old == nil) {
		return ops.Conflictf("%s changed since this request was planned (someone else wrote it); nothing was done, plan it again", c.path)
	}
	if err := put(c.path, c.new); err != nil {
		return ops.Fail(err, "could not write %s; nothing was changed", c.path)
	}
	return nil
}
