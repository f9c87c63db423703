package phpfpm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/poolvisor/poolvisor/internal/atomicfile"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/testhook"
)

// change is one write of a file that defines pools, wherever it is (the
// pool dir, a directory the main config includes, the main config itself):
// the whole file before and after.
type change struct {
	pool   string
	path   string
	before []byte // nil: the file does not exist yet
	after  []byte // nil: the file is removed
}

// lock serializes writes to php-fpm's config files (any of them, the main
// config included) and service actions, between the goroutines of this
// process and with other poolvisor processes on the host (exec and console
// next to serve), by a flock on the pool dir; applyChange checks the
// written file's digest under it.
func (b *Backend) lock(ctx context.Context) (func(), error) {
	b.mu.Lock()
	d, err := os.Open(b.cfg.PoolDir)
	if err != nil {
		b.mu.Unlock()
		return nil, ops.Fail(err, "cannot open the pool dir %s", b.cfg.PoolDir)
	}
	for {
		err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			d.Close()
			b.mu.Unlock()
			return nil, ops.Fail(err, "cannot lock the pool dir %s", b.cfg.PoolDir)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			d.Close()
			b.mu.Unlock()
			return nil, ops.Fail(err, "another poolvisor is changing php-fpm on %s; try again", b.cfg.Host)
		}
	}
	return func() {
		_ = syscall.Flock(int(d.Fd()), syscall.LOCK_UN)
		d.Close()
		b.mu.Unlock()
	}, nil
}

// applyChange writes c and reloads php-fpm, then checks that it came back
// with every pool listening. If it did not, the previous file is restored
// byte for byte and php-fpm brought back on it, and the answer is failed
// with what php-fpm logged. fingerprint is the digest of the file the plan
// saw; a file changed since then is a conflict, and nothing is written.
func (b *Backend) applyChange(ctx context.Context, c change, fingerprint string) error {
	return b.applyChanges(ctx, []change{c}, []string{fingerprint})
}

// applyChanges is applyChange of several files written together, with one
// reload (fpm.tune.apply's edits of every pool): every file is checked
// against its fingerprint before any is written, and all of them are
// restored when php-fpm does not come back.
func (b *Backend) applyChanges(ctx context.Context, cs []change, fingerprints []string) error {
	unlock, err := b.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	for i, c := range cs {
		now, err := readIfExists(c.path)
		if err != nil {
			return ops.Fail(err, "cannot read %s", c.path)
		}
		if digest(now) != fingerprints[i] {
			return ops.Conflictf("the file of pool %s (%s) changed since this request was planned; nothing was done, plan it again", c.pool, c.path)
		}
	}
	if running, state, _ := b.serviceState(ctx); !running {
		return ops.Failedf("php-fpm is not running on %s (%s), so the change could not be checked; nothing was changed (/fpm restart starts it)", b.cfg.Host, state)
	}
	m := b.markNow(ctx)
	for i, c := range cs {
		if err := writeOrRemove(c.path, c.after); err != nil {
			if i == 0 {
				return ops.Fail(err, "cannot write %s; nothing was changed", c.path)
			}
			back, _ := b.restore(cs[:i])
			return ops.Fail(err, "cannot write %s, so the files written before it were put back: %s", c.path, back)
		}
	}
	testhook.Pause("after-write")
	// Once the files are written, the reload and any rollback run to the
	// end even if the caller gives up waiting.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*b.cfg.ReloadTimeout+b.cfg.CallTimeout)
	defer cancel()
	if err = b.reload(ctx); err == nil {
		err = b.settleAndVerify(ctx, m)
	}
	if err == nil {
		return nil
	}
	_, why := ops.UserError(err)
	pools := make([]string, len(cs))
	for i, c := range cs {
		pools[i] = c.pool
	}
	b.log.Warn("php-fpm did not come back after a pool change; rolling back", "pools", pools, "err", err)
	tail := logTail(m.log, m.off)
	var back string
	undone, left := b.restore(cs)
	if left != nil {
		back = undone
	} else if berr := b.recover(ctx); berr != nil {
		_, msg := ops.UserError(berr)
		back = undone + ", but php-fpm is still not serving every pool: " + msg
	} else {
		back = undone + " and php-fpm runs on the previous configuration again."
	}
	what := "pool " + pools[0]
	if len(pools) > 1 {
		what = "pools " + strings.Join(pools, ", ")
	}
	msg := fmt.Sprintf("php-fpm on %s did not come back cleanly with the change to %s: %s\n%s", b.cfg.Host, what, why, back)
	if tail != "" {
		msg += "\nphp-fpm's log:\n" + indent(tail, "  ")
	}
	return &ops.Error{Status: ops.StatusFailed, Msg: msg, Err: err, Changes: left}
}

// restore writes back the files of cs as they were before, and says what
// it did; left are the changes it could not undo (still on disk).
func (b *Backend) restore(cs []change) (string, []ops.FileChange) {
	var said []string
	var left []ops.FileChange
	for _, c := range cs {
		if rerr := writeOrRemove(c.path, c.before); rerr != nil {
			b.log.Error("cannot restore pool file", "file", c.path, "err", rerr)
			said = append(said, fmt.Sprintf("Restoring the previous %s FAILED (%v): fix it by hand.", c.path, rerr))
			left = append(left, c.fileChange())
			continue
		}
		undone := fmt.Sprintf("The previous %s was restored", c.path)
		switch {
		case c.before == nil:
			undone = fmt.Sprintf("The new file %s was removed again", c.path)
		case c.after == nil:
			undone = fmt.Sprintf("The deleted file %s was put back", c.path)
		}
		said = append(said, undone)
	}
	if left != nil {
		return strings.Join(said, "\n"), left
	}
	return strings.Join(said, "; "), nil
}

// recover brings php-fpm back on the files on disk and checks it.
func (b *Backend) recover(ctx context.Context) error {
	m := b.markNow(ctx)
	if err := b.bringBack(ctx); err != nil {
		return err
	}
	return b.settleAndVerify(ctx, m)
}

func writeOrRemove(path string, data []byte) error {
	if data == nil {
		err := atomicfile.Remove(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	return atomicfile.WriteFile(path, data, atomicfile.PrivateMode)
}

func fileSize(path string) int64 {
	if path == "" {
		return 0
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// readFrom returns the file from offset off (all of it if it shrank, as
// after a log rotation), at most the last 64 KiB.
func readFrom(path string, off int64) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if off > int64(len(data)) {
		off = 0
	}
	data = data[off:]
	if len(data) > 64<<10 {
		data = data[len(data)-64<<10:]
	}
	return string(data)
}

// logTail returns what php-fpm logged since off that an operator needs:
// its WARNING, ERROR and ALERT lines (the last 15), without timestamps.
func logTail(path string, off int64) string {
	if path == "" {
		return ""
	}
	var keep []string
	for _, l := range strings.Split(readFrom(path, off), "\n") {
		l = logStampRE().ReplaceAllString(strings.TrimSpace(l), "")
		if strings.HasPrefix(l, "ERROR:") || strings.HasPrefix(l, "ALERT:") || strings.HasPrefix(l, "WARNING:") {
			if len(keep) == 0 || keep[len(keep)-1] != l { // a daemonized master logs some lines twice
				keep = append(keep, l)
			}
		}
	}
	if len(keep) > 15 {
		keep = keep[len(keep)-15:]
	}
	return strings.Join(keep, "\n")
}

// PoolKind is the kind of the pool files in ops.FileChange and the history.
const PoolKind = "fpm.pool"

// PoolOps are the operations on pool files, whose versions the history
// keeps.
var PoolOps = ops.FileOps{
	Show: "fpm.pool.show", Edit: "fpm.pool.edit",
	Add: "fpm.pool.create", Delete: "fpm.pool.delete",
	History: "fpm.pool.history", Rollback: "fpm.pool.rollback",
}

// fileChange is c as the pipeline records and shows it.
func (c change) fileChange() ops.FileChange {
	return ops.FileChange{Kind: PoolKind, Name: c.pool, Path: c.path, Before: c.before, After: c.after}
}

// unchanged reports whether applying c would write what is there already.
func (c change) unchanged() bool {
	return c.before != nil && c.after != nil && bytes.Equal(c.before, c.after)
}
