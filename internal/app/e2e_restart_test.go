package app_test

import (
	"context"
	"strings"
	"syscall"
	"testing"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// supervisord restarting (SIGHUP) in the middle of an add makes the add
// fail; a failed add must then leave the program directory byte for byte as
// it was, and supervisord must not run the program once it is back, rather
// than answer failed over a file that stays and a program that runs.
func TestAddDuringSupervisordRestartLeavesNothing(t *testing.T) {
	// A program that ignores SIGTERM keeps supervisord shutting down for
	// stopwaitsecs, so the add meets the restart, whatever the machine's load.
	stubborn := sandbox.Program{Name: "stubborn", Command: `/bin/sh -c "trap '' TERM; while true; do sleep 1; done"`,
		Extra: map[string]string{"stopwaitsecs": "4"}}
	e := newEnv(t, stubborn)
	defer func() { e.t = t }()
	for _, point := range []string{"after-write", "before-settle"} {
		t.Run(point, func(t *testing.T) {
			e.t = t
			e.waitRunning("stubborn")
			before := digest(t, []string{e.sv.ProgramDir})
			name := "fresh-" + point
			p := e.startPaused("alice", "supervisor add "+name+` --command "/bin/sh -c 'while true; do sleep 1; done'"`, point, t.TempDir())
			if err := syscall.Kill(e.sv.PID, syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "supervisord restarting", func() bool {
				state, err := e.sv.State(context.Background())
				return err != nil || state != "RUNNING"
			})
			r := p.resume()
			if r.Status != "failed" || r.code != 1 {
				t.Fatalf("add during a restart: %s (exit %d): %s", r.Status, r.code, r.Message)
			}
			if after := digest(t, []string{e.sv.ProgramDir}); after != before {
				t.Errorf("a failed add changed the program dir:\n%s", r.Message)
			}
			if !strings.Contains(r.Message, "rolled back") || !strings.Contains(r.Message, "does not run "+name) {
				t.Errorf("the answer does not say what was left:\n%s", r.Message)
			}
			for proc := range e.waitRunning("stubborn") {
				if strings.HasPrefix(proc, name) {
					t.Errorf("supervisord runs %s after a failed add", proc)
				}
			}
		})
	}
}
