package app_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// rollResult is the data of a group write: its hosts, its steps, its undo.
type rollResult struct {
	Roll struct {
		Steps []struct {
			Name  string `json:"name"`
			State string `json:"state"`
		} `json:"steps"`
	} `json:"roll"`
	Undo []struct {
		Host      string `json:"host"`
		Operation string `json:"operation"`
		Status    string `json:"status"`
	} `json:"undo"`
}

func (r result) roll(t *testing.T) (steps []string, undo []string) {
	t.Helper()
	var d rollResult
	if err := json.Unmarshal(r.Data, &d); err != nil {
		t.Fatalf("decode roll from %s: %v", r.Data, err)
	}
	for _, s := range d.Roll.Steps {
		steps = append(steps, s.Name+"="+s.State)
	}
	for _, u := range d.Undo {
		undo = append(undo, u.Host+" "+u.Operation+" "+u.Status)
	}
	return steps, undo
}

// TestFleetRollAcrossAGroup runs group writes on real supervisords through
// real agents: a host that fails stops the roll and the hosts after it are
// untouched; with --on-failure rollback the hosts changed before it are
// restored byte for byte, as a new version of their own.
func TestFleetRollAcrossAGroup(t *testing.T) {
	fe := newFleetEnv(t)
	hub := fe.hub
	hosts := []string{"web-01", "web-02", "worker-01"}
	waitFor(t, "every agent answers", func() bool { return hub.exec("vic", "supervisor status --host all").Status == "ok" })
	progDir := func(h string) string { return fe.agents[h].env.sv.ProgramDir }
	snapshot := func(h string) string { return digest(t, []string{progDir(h)}) }
	pid := func(h string) int {
		return hub.want("vic", "supervisor status probe --host "+h, "ok", 0).programs(t)["probe RUNNING"]
	}
	// write runs a single-host write as alice, approved by bob if it must be.
	write := func(text string) {
		t.Helper()
		if r := hub.exec("alice", text); r.Status == "pending_approval" {
			hub.want("bob", "ops approve "+r.ApprovalID, "ok", 0)
		} else if r.Status != "ok" {
			t.Fatalf("%s: %s %s", text, r.Status, r.Message)
		}
	}
	probeFile := func(h string) string {
		matches, _ := filepath.Glob(filepath.Join(progDir(h), "probe*.conf"))
		if len(matches) != 1 {
			t.Fatalf("%s: probe's files %v", h, matches)
		}
		return matches[0]
	}

	// probe starts only while its host's flag file is there: removing it
	// makes the next (re)start on that host fail, after any plan passed.
	// The programs run as www-data: the flags are where it can look.
	flags, err := os.MkdirTemp("", "poolvisor-flags-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(flags) })
	if err := os.Chmod(flags, 0o755); err != nil {
		t.Fatal(err)
	}
	flag := func(h string) string { return filepath.Join(flags, h+".ok") }
	for _, h := range hosts {
		if err := os.WriteFile(flag(h), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		write(`supervisor add probe --command "/bin/sh -c 'test -e ` + flag(h) + ` || exit 1; exec sleep 600'" --set startretries=0 --host ` + h)
		waitFor(t, "probe runs on "+h, func() bool { return pid(h) != 0 })
	}
	breakHost := func(h string) {
		if err := os.Remove(flag(h)); err != nil {
			t.Fatal(err)
		}
	}
	mendHost := func(h string) {
		if err := os.WriteFile(flag(h), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if pid(h) == 0 {
			write("supervisor start probe --host " + h)
		}
		waitFor(t, "probe runs on "+h+" again", func() bool { return pid(h) != 0 })
	}

	t.Run("a verified reload through the hub", func(t *testing.T) {
		write("fpm reload --host web-01 --rolling")
		if err := fe.fpm.Dial("www"); err != nil {
			t.Errorf("www after the reload: %v", err)
		}
	})

	t.Run("invalid combinations change nothing", func(t *testing.T) {
		was, pids := map[string]string{}, map[string]int{}
		for _, h := range hosts {
			was[h], pids[h] = snapshot(h), pid(h)
		}
		for _, c := range []struct{ text, want string }{
			{"supervisor restart probe --host every --on-failure rollback", "changes no file"},
			{"supervisor edit probe --set stopwaitsecs=7 --host web-01 --on-failure rollback", "host group"},
			{"fpm reload --host web-01 --on-failure stop", "host group"},
		} {
			if r := hub.want("alice", c.text, "invalid", 2); !strings.Contains(r.Message, c.want) {
				t.Errorf("%s: %s", c.text, r.Message)
			}
		}
		for _, h := range hosts {
			if snapshot(h) != was[h] || pid(h) != pids[h] {
				t.Errorf("%s changed", h)
			}
		}
	})

	t.Run("a failing host stops the roll, the rest untouched", func(t *testing.T) {
		id := hub.want("alice", "supervisor restart probe --host every --rolling", "pending_approval", 4).ApprovalID
		breakHost("web-02") // its restart fails, after the plan passed at approval
		pids := map[string]int{"web-01": pid("web-01"), "worker-01": pid("worker-01")}
		r := hub.want("bob", "ops approve "+id, "failed", 1)
		steps, _ := r.roll(t)
		if want := []string{"web-01=done", "web-02=failed", "worker-01=untouched"}; !slices.Equal(steps, want) {
			t.Errorf("steps %v, want %v:\n%s", steps, want, r.Message)
		}
		if now := pid("web-01"); now == 0 || now == pids["web-01"] {
			t.Errorf("web-01 was not restarted: pid %d -> %d", pids["web-01"], now)
		}
		if now := pid("worker-01"); now != pids["worker-01"] {
			t.Errorf("worker-01 was restarted: pid %d -> %d", pids["worker-01"], now)
		}
		mendHost("web-02")
	})

	t.Run("rollback restores the hosts changed before the failure", func(t *testing.T) {
		before := map[string][]byte{}
		for _, h := range hosts {
			b, err := os.ReadFile(probeFile(h))
			if err != nil {
				t.Fatal(err)
			}
			before[h] = b
		}
		versions := func(h string) int {
			var d struct {
				Versions []json.RawMessage `json:"versions"`
			}
			_ = json.Unmarshal(hub.want("vic", "supervisor history probe --host "+h, "ok", 0).Data, &d)
			return len(d.Versions)
		}
		had := versions("web-01")
		id := hub.want("alice", "supervisor edit probe --set stopwaitsecs=7 --host every --on-failure rollback", "pending_approval", 4).ApprovalID
		breakHost("web-02") // the edit restarts probe, which fails there
		defer mendHost("web-02")
		worker := pid("worker-01")
		r := hub.want("bob", "ops approve "+id, "failed", 1)
		steps, undo := r.roll(t)
		if want := []string{"web-01=done", "web-02=failed", "worker-01=untouched"}; !slices.Equal(steps, want) {
			t.Errorf("steps %v, want %v:\n%s", steps, want, r.Message)
		}
		// web-02's failed edit left its file in place (the program would not
		// start): the hub rolls it back too. Its file is restored, but the
		// restart that comes with it fails as well, and the answer says so.
		if want := []string{"web-01 supervisor.program.rollback ok", "web-02 supervisor.program.rollback failed"}; !slices.Equal(undo, want) ||
			!strings.Contains(r.Message, "Rolled back probe on web-01. Could not roll back probe on web-02 (why is below).") ||
			!(strings.Contains(r.Message, "probe is FATAL") || strings.Contains(r.Message, "probe is BACKOFF")) { // BACKOFF until supervisord gives up
			t.Errorf("undo %v, want %v:\n%s", undo, want, r.Message)
		}
		for _, h := range hosts {
			if now, _ := os.ReadFile(probeFile(h)); string(now) != string(before[h]) {
				t.Errorf("%s's file:\n%s\nwant:\n%s", h, now, before[h])
			}
		}
		for _, h := range []string{"web-01", "web-02"} {
			if n := versions(h); n != had+2 {
				t.Errorf("%s has %d versions, want %d (the edit and its rollback)", h, n, had+2)
			}
		}
		if now := pid("worker-01"); now != worker {
			t.Errorf("worker-01 was restarted: pid %d -> %d", worker, now)
		}
	})
}
