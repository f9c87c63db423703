package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sleeper is a program that runs until stopped; its shell loop leaves a
// grandchild (sleep) that must not survive a stop.
func sleeper(name string) Program {
	return Program{Name: name, Command: `/bin/sh -c "while true; do sleep 600; done"`}
}

// waitStates polls until every listed process has the wanted state.
func waitStates(t *testing.T, s *Supervisord, want map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for {
		got, err := s.ProcessStates(ctx)
		ok := err == nil
		for name, state := range want {
			ok = ok && got[name] == state
		}
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("process states: got %v (err %v), want %v", got, err, want)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// family returns supervisord and everything below it.
func family(s *Supervisord) []proc {
	state, _, _, start, ok := procStat(s.PID)
	if !ok || state == "Z" {
		return nil
	}
	return append([]proc{{pid: s.PID, start: start}}, descendants(s.PID)...)
}

// groupOf returns the process group and session of pid.
func groupOf(t *testing.T, pid int) (pgrp, sid int) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	pgrp, _ = strconv.Atoi(f[2])
	sid, _ = strconv.Atoi(f[3])
	return pgrp, sid
}

// assertGone checks that the processes are gone, and that no process that
// supervisord at s.URL started (its environment names the URL) remains,
// including any forked after procs was listed.
func assertGone(t *testing.T, s *Supervisord, procs []proc) {
	t.Helper()
	for _, p := range procs {
		if alive(p) {
			t.Errorf("pid %d is still running", p.pid)
		}
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	marker := []byte("SUPERVISOR_SERVER_URL=" + s.URL + "\x00")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !alive(proc{pid: pid}) {
			continue
		}
		if env, err := os.ReadFile("/proc/" + e.Name() + "/environ"); err == nil && bytes.Contains(env, marker) {
			t.Errorf("pid %d, started by supervisord at %s, is still running", pid, s.URL)
		}
	}
}

func TestSupervisordStartAndStop(t *testing.T) {
	t.Parallel()
	s := Supervisor(t, sleeper("alpha"), Program{
		Name: "beta", NumProcs: 2, Command: sleeper("").Command,
	})
	waitStates(t, s, map[string]string{
		"alpha:alpha": "RUNNING", "beta:beta_00": "RUNNING", "beta:beta_01": "RUNNING",
	})
	if s.URL != "unix://"+filepath.Join(s.Dir, "supervisor.sock") && s.shortDir == "" {
		t.Errorf("URL = %q", s.URL)
	}
	if pgrp, sid := groupOf(t, s.PID); pgrp != s.PID || sid == s.PID {
		t.Errorf("supervisord pgrp %d session %d: want its own process group in the caller's session", pgrp, sid)
	}
	procs := family(s)
	// supervisord, three shells and their sleeps
	if len(procs) < 7 {
		t.Fatalf("expected supervisord and 6 descendants, got %v", procs)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	assertGone(t, s, procs)
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.LogDir, "beta_01.log")); err != nil {
		t.Errorf("per-process log: %v", err)
	}
}

func TestSupervisordKillAndRestart(t *testing.T) {
	t.Parallel()
	s := Supervisor(t, sleeper("alpha"))
	waitStates(t, s, map[string]string{"alpha:alpha": "RUNNING"})
	procs := family(s)
	if err := s.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	assertGone(t, s, procs)
	if _, err := s.State(context.Background()); err == nil {
		t.Fatal("State answered after Kill")
	}
	if _, err := os.Stat(s.SocketPath); err != nil {
		t.Errorf("Kill should leave the stale socket like a crash does: %v", err)
	}

	again, err := StartSupervisord(s.Dir)
	if err != nil {
		t.Fatalf("restart in the same dir: %v", err)
	}
	t.Cleanup(func() { _ = again.Stop() })
	if again.URL != s.URL {
		t.Errorf("restarted URL = %q, want %q", again.URL, s.URL)
	}
	waitStates(t, again, map[string]string{"alpha:alpha": "RUNNING"})
	if _, err := StartSupervisord(s.Dir); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second start in a busy dir: got %v, want 'already running'", err)
	}
}

func TestSupervisordKillAtOnce(t *testing.T) {
	t.Parallel()
	// Killed while its programs are still forking.
	s := Supervisor(t, sleeper("alpha"), sleeper("beta"), sleeper("gamma"))
	if err := s.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	time.Sleep(200 * time.Millisecond) // let a straggler fork, if one survived
	assertGone(t, s, nil)
}

func TestSupervisordLongDir(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), strings.Repeat("long-directory-name-", 8))
	s, err := StartSupervisord(dir, sleeper("alpha"))
	if err != nil {
		t.Fatalf("StartSupervisord: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	if len(s.SocketPath) > maxSocketPath || s.shortDir == "" {
		t.Errorf("socket %q (%d bytes) not moved to a short dir", s.SocketPath, len(s.SocketPath))
	}
	waitStates(t, s, map[string]string{"alpha:alpha": "RUNNING"})
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := os.Stat(s.shortDir); !os.IsNotExist(err) {
		t.Errorf("short socket dir %s left behind (%v)", s.shortDir, err)
	}
}

func TestSupervisordDetachedAndAttach(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Attach(dir); err == nil {
		t.Fatal("Attach to an empty dir succeeded")
	}
	s, err := StartSupervisordDetached(dir, sleeper("alpha"))
	if err != nil {
		t.Fatalf("StartSupervisordDetached: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	waitStates(t, s, map[string]string{"alpha:alpha": "RUNNING"})
	if _, sid := groupOf(t, s.PID); sid != s.PID {
		t.Errorf("detached supervisord session = %d, want its own (%d)", sid, s.PID)
	}
	procs := family(s)

	a, err := Attach(dir)
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	if a.PID != s.PID || a.URL != s.URL {
		t.Errorf("Attach = pid %d url %s, want pid %d url %s", a.PID, a.URL, s.PID, s.URL)
	}
	if err := a.Stop(); err != nil {
		t.Fatalf("Stop through Attach: %v", err)
	}
	assertGone(t, s, procs)
	if _, err := Attach(dir); err == nil {
		t.Error("Attach after Stop succeeded")
	}
}

func TestStartSupervisordRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		dir      string
		programs []Program
		want     string
	}{
		{"space in dir", filepath.Join(t.TempDir(), "a b"), nil, "whitespace"},
		{"bad program name", t.TempDir(), []Program{{Name: "a/b", Command: "true"}}, "program name"},
		{"empty command", t.TempDir(), []Program{{Name: "a"}}, "command is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := StartSupervisord(tt.dir, tt.programs...)
			if err == nil {
				_ = s.Stop()
				t.Fatal("StartSupervisord succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestStartSupervisordReportsLogOnFailure(t *testing.T) {
	t.Parallel()
	// An unknown key makes supervisord exit at startup.
	_, err := StartSupervisord(t.TempDir(), Program{
		Name: "broken", Command: "true", Extra: map[string]string{"numprocs_start": "x"},
	})
	if err == nil {
		t.Fatal("StartSupervisord succeeded with a broken config")
	}
	if !strings.Contains(err.Error(), "exited during startup") || !strings.Contains(err.Error(), "program:broken") {
		t.Errorf("error lacks the cause or the log tail: %v", err)
	}
}
