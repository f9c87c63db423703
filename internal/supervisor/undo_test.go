package supervisor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// When supervisord does not come back after a write's daemon step failed,
// the file is still put back, and the failed answer says exactly that, that
// whether supervisord loaded the change is unknown, and how to finish.
func TestUndoWhenSupervisordStaysAway(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t)
	b := newBackend(t, s, 2*time.Second)
	b.cfg.WaitTimeout = 300 * time.Millisecond
	path := filepath.Join(s.ProgramDir, "fresh.conf")
	c := fileChange{path: path, new: []byte("[program:fresh]\ncommand=/bin/sleep 60\n")}
	if err := put(path, c.new); err != nil {
		t.Fatal(err)
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	err := b.failed(context.Background(), c, "fresh", "waiting for fresh to settle", errors.New("supervisord went away"))
	msg := wantStatus(t, err, ops.StatusFailed)
	for _, want := range []string{"could not be rolled back completely", "the new file " + path + " was removed again",
		"whether it loaded the change is unknown", "/supervisor update fresh"} {
		if !strings.Contains(msg, want) {
			t.Errorf("answer lacks %q:\n%s", want, msg)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the new file was left: %v", err)
	}
}
