// Package lease lets every poolvisor process that opens the data directory
// (serve, exec, console) show, for exactly as long as it runs, that it runs:
// it holds an flock on a file of its own under data_dir/leases, which the
// kernel releases when the process dies, however it dies (kill -9 included).
//
// What a process leaves behind names its lease: a write it began (the
// journal in internal/audit) and its staging directory, where the daemons'
// own checks read copies of the config files. So the next process to start
// tells the leftovers of a dead process, which it reconciles and removes,
// from the work in progress of a live one, which it leaves alone.
package lease

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Directories inside the data directory.
const (
	leasesDir  = "leases"
	stagingDir = "staging"
)

// newPrefix starts the name of a lock file that is not in place yet.
const newPrefix = ".new-"

// idRE is what New generates; anything else under leases/ or staging/, or
// an owner read back from the database, is not a lease.
var idRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{16}$`) })

// Lease is this process's lease. Release it when the process ends.
type Lease struct {
	dataDir string
	id      string
	f       *os.File // holds the flock
}

// Acquire takes a new lease in dataDir and creates its staging directory.
// The lock file is locked before it appears under its name, so no other
// process ever sees it unlocked and takes it for the lease of a dead one.
func Acquire(dataDir string) (*Lease, error) {
	dir := filepath.Join(dataDir, leasesDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create lease directory: %w", err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails
	id := hex.EncodeToString(b)
	f, err := os.CreateTemp(dir, newPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("create lease: %w", err)
	}
	fail := func(err error) (*Lease, error) {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("take lease: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fail(err)
	}
	if err := os.Rename(f.Name(), lockPath(dataDir, id)); err != nil {
		return fail(err)
	}
	l := &Lease{dataDir: dataDir, id: id, f: f}
	if err := os.MkdirAll(l.StagingDir(), 0o700); err != nil {
		l.Release()
		return nil, fmt.Errorf("create staging directory: %w", err)
	}
	return l, nil
}

// ID names the lease, in the journal and in the staging directory's name.
func (l *Lease) ID() string { return l.id }

// StagingDir is this process's own directory for staged copies of config
// files (mode 0700, inside the data directory, never in /tmp): what a
// process killed in the middle of a check leaves there is removed by Sweep.
func (l *Lease) StagingDir() string { return filepath.Join(l.dataDir, stagingDir, l.id) }

// Release removes the staging directory and ends the lease.
func (l *Lease) Release() error {
	err := os.RemoveAll(l.StagingDir())
	if rerr := os.Remove(lockPath(l.dataDir, l.id)); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	return errors.Join(err, l.f.Close())
}

// Alive reports whether the process that holds lease id still runs.
func Alive(dataDir, id string) bool {
	if !idRE().MatchString(id) {
		return false
	}
	return held(lockPath(dataDir, id))
}

// held reports whether some process holds the flock on path.
func held(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false // no lock file: its process released it or never was
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return errors.Is(err, syscall.EWOULDBLOCK)
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

// Sweep removes what dead processes left in dataDir: their staging
// directories (copies of config files, secrets included) and their lock
// files. It returns the staging directories it removed.
func Sweep(dataDir string) ([]string, error) {
	var removed []string
	var errs []error
	stage := filepath.Join(dataDir, stagingDir)
	entries, err := os.ReadDir(stage)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	for _, e := range entries {
		if Alive(dataDir, e.Name()) {
			continue
		}
		path := filepath.Join(stage, e.Name())
		if err := os.RemoveAll(path); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, path)
	}
	locks, err := os.ReadDir(filepath.Join(dataDir, leasesDir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	for _, e := range locks {
		path := filepath.Join(dataDir, leasesDir, e.Name())
		id, isLock := strings.CutSuffix(e.Name(), ".lock")
		if (isLock && !Alive(dataDir, id)) || (strings.HasPrefix(e.Name(), newPrefix) && abandoned(e, path)) {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("sweep %s: %w", dataDir, errors.Join(errs...))
	}
	return removed, nil
}

// abandoned reports whether a lock file that never made it into place was
// left by a process that died: a young one may be about to be locked.
func abandoned(e os.DirEntry, path string) bool {
	info, err := e.Info()
	return err == nil && time.Since(info.ModTime()) > time.Minute && !held(path)
}

func lockPath(dataDir, id string) string { return filepath.Join(dataDir, leasesDir, id+".lock") }
