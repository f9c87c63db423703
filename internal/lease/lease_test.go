package lease

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLeaseLifecycle(t *testing.T) {
	data := t.TempDir()
	l, err := Acquire(data)
	if err != nil {
		t.Fatal(err)
	}
	if !Alive(data, l.ID()) {
		t.Fatal("a held lease is not alive")
	}
	if st, err := os.Stat(l.StagingDir()); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("staging dir: %v %v", st, err)
	}
	if err := os.WriteFile(filepath.Join(l.StagingDir(), "copy.conf"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Another process sweeping leaves a live lease's staging alone.
	if removed, err := Sweep(data); err != nil || len(removed) != 0 {
		t.Fatalf("sweep removed %v (%v) of a live lease", removed, err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if Alive(data, l.ID()) {
		t.Error("a released lease is alive")
	}
	if _, err := os.Stat(l.StagingDir()); !os.IsNotExist(err) {
		t.Errorf("release left the staging dir: %v", err)
	}
}

// A dead process's lock file is unlocked (the kernel drops an flock with its
// holder); what it staged is removed by the next sweep.
func TestSweepRemovesWhatDeadProcessesLeft(t *testing.T) {
	data := t.TempDir()
	const dead = "0123456789abcdef"
	for _, dir := range []string{filepath.Join(data, leasesDir), filepath.Join(data, stagingDir, dead, "check-1")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(lockPath(data, dead), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	orphan := filepath.Join(data, stagingDir, "fedcba9876543210") // no lock file at all
	if err := os.MkdirAll(orphan, 0o700); err != nil {
		t.Fatal(err)
	}
	live, err := Acquire(data)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Release()

	if Alive(data, dead) || Alive(data, "../../etc") {
		t.Error("a dead or malformed lease is alive")
	}
	removed, err := Sweep(data)
	if err != nil || len(removed) != 2 {
		t.Fatalf("sweep removed %v, %v; want the two dead staging dirs", removed, err)
	}
	left, _ := filepath.Glob(filepath.Join(data, stagingDir, "*"))
	if len(left) != 1 || left[0] != live.StagingDir() {
		t.Errorf("staging after sweep: %v", left)
	}
	if _, err := os.Stat(lockPath(data, dead)); !os.IsNotExist(err) {
		t.Errorf("dead lock file kept: %v", err)
	}
}
