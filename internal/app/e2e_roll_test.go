package app_test

import (
	"bufio"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// TestRollingRestartCancelled: a roll approved in one process prints a
// line as each batch begins, with its ID; /ops cancel from another process
// stops it before its next batch, for its requester but not for someone
// who neither asked nor approved; the batches not begun keep their pids.
func TestRollingRestartCancelled(t *testing.T) {
	e := newEnv(t, sandbox.Program{Name: "queue", Command: loop("q"), NumProcs: 3, Extra: map[string]string{"startsecs": "0"}})
	names := []string{"queue:queue_00", "queue:queue_01", "queue:queue_02"}
	before := e.waitRunning(names...)

	e.want("alice", "supervisor restart queue:* --rolling --batch 0", "invalid", 2)
	plan := e.want("olga", "supervisor restart queue:* --rolling --settle 5s --plan", "ok", 0)
	for _, want := range []string{"1 at a time", "batch 1 (settle 5s): queue:queue_00", "batch 3 (settle 5s): queue:queue_02"} {
		if !strings.Contains(plan.Message, want) {
			t.Errorf("the plan does not say %q:\n%s", want, plan.Message)
		}
	}
	id := e.want("olga", "supervisor restart queue:* --rolling --settle 5s", "pending_approval", 4).ApprovalID

	approve := exec.Command(binary, "exec", "--config", e.config, "--as", "bob", "--", "ops approve "+id)
	stdout, err := approve.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := approve.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	runLine := regexp.MustCompile(`^\[([a-z0-9]+)\] Rolling restart of queue:\* on e2e: 0/3 done, batch 1 running \(queue:queue_00\)`)
	var run string
	var out []string
	for run == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the roll ended before printing its first batch:\n%s", strings.Join(out, "\n"))
			}
			out = append(out, l)
			if m := runLine.FindStringSubmatch(l); m != nil {
				run = m[1]
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("no progress line within 60s:\n%s", strings.Join(out, "\n"))
		}
	}

	e.want("vic", "ops cancel "+run, "denied", 3)      // no ops.cancel
	e.want("alice", "ops cancel nosuch", "invalid", 2) // no such run
	r := e.want("olga", "ops cancel "+run, "ok", 0)    // the requester
	if !strings.Contains(r.Message, "Cancelling run "+run) {
		t.Errorf("cancel says %q", r.Message)
	}
	e.want("alice", "ops cancel "+run, "ok", 0) // an approver; already being cancelled

	for l := range lines {
		out = append(out, l)
	}
	if err := approve.Wait(); err != nil {
		t.Fatalf("approve: %v\n%s", err, strings.Join(out, "\n"))
	}
	text := strings.Join(out, "\n")
	if !strings.Contains(text, "Cancelled by local:olga before batch 2") {
		t.Errorf("the roll's answer does not say it was cancelled before batch 2:\n%s", text)
	}
	after := e.waitRunning(names...)
	if after["queue:queue_00 RUNNING"] == before["queue:queue_00 RUNNING"] {
		t.Errorf("batch 1 did not restart queue_00")
	}
	for _, n := range names[1:] {
		if after[n+" RUNNING"] != before[n+" RUNNING"] {
			t.Errorf("%s was restarted after the cancel: %d → %d", n, before[n+" RUNNING"], after[n+" RUNNING"])
		}
	}
	e.want("olga", "ops cancel "+run, "invalid", 2) // it has ended
	audit := e.want("alice", "ops audit 10", "ok", 0).Message
	if !strings.Contains(audit, "[run "+run+", batch 1: queue:queue_00]") {
		t.Errorf("the audit has no entry for batch 1:\n%s", audit)
	}
}
