package app_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/app"
	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// TestApprovalBounds: asking again returns the pending request, one
// person's queue is capped, and pruning archives the audit trail before
// deleting it (issue 14 item 9).
func TestApprovalBounds(t *testing.T) {
	e := newEnv(t,
		sandbox.Program{Name: "web", Command: loop("serving")},
		sandbox.Program{Name: "queue", Command: loop("working")},
		sandbox.Program{Name: "mail", Command: loop("sending")},
	)
	f, err := os.OpenFile(e.config, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("approvals: {max_pending_per_person: 2}\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	e.waitRunning("web", "queue", "mail")

	first := e.want("olga", "supervisor restart web", "pending_approval", 4)
	again := e.want("olga", "supervisor   restart web", "pending_approval", 4)
	if again.ApprovalID != first.ApprovalID || !strings.Contains(again.Message, "already asked") {
		t.Fatalf("asking again: approval %s (%s), want the existing %s", again.ApprovalID, again.Message, first.ApprovalID)
	}
	e.want("olga", "supervisor restart queue", "pending_approval", 4)
	capped := e.want("olga", "supervisor restart mail", "conflict", 5)
	if !strings.Contains(capped.Message, "approvals.max_pending_per_person: 2") {
		t.Errorf("over the cap: %s", capped.Message)
	}
	if got := strings.Count(e.want("vic", "ops approvals", "ok", 0).Message, "requested by local:olga"); got != 2 {
		t.Errorf("%d of olga's requests pending, want 2", got)
	}
	e.want("bob", "ops deny "+first.ApprovalID, "ok", 0) // decided: room for one more
	e.want("olga", "supervisor restart mail", "pending_approval", 4)

	// A year and more later, serve's pruning moves everything out.
	cfg, err := config.Load(e.config)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Prune(context.Background(), time.Now().Add(cfg.Audit.Retention+48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if msg := e.want("vic", "ops approvals", "ok", 0).Message; !strings.Contains(msg, "No pending") {
		t.Errorf("expired requests survived pruning: %s", msg)
	}
	archives, _ := filepath.Glob(filepath.Join(cfg.DataDir, "audit-archive-*.jsonl"))
	if len(archives) != 1 {
		t.Fatalf("archives: %v", archives)
	}
	af, err := os.Open(archives[0])
	if err != nil {
		t.Fatal(err)
	}
	defer af.Close()
	var lines []string
	for sc := bufio.NewScanner(af); sc.Scan(); {
		lines = append(lines, sc.Text())
	}
	if len(lines) < 8 || !strings.Contains(strings.Join(lines, "\n"), `"status":"conflict"`) {
		t.Errorf("archive holds %d lines, without the refused request:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	// Only what was asked since is left in the database.
	if entries := e.want("vic", "ops audit 100", "ok", 0).Message; strings.Contains(entries, "restart") {
		t.Errorf("pruned entries still listed:\n%s", entries)
	}
}

// TestApprovalRelayBounds: a request made with exec reaches the notify
// channel through Slack's 429s, and asking again posts nothing (issue 14
// item 9). exec posts before it exits, so what it did not post by then it
// never will.
func TestApprovalRelayBounds(t *testing.T) {
	se := newSlackEnv(t, "http", slackPrograms()...)
	se.waitRunning("web")

	se.fake.RateLimitNext("chat.postMessage", 2, 1)
	since := se.fake.Seq()
	req := se.want("alice", "supervisor restart web", "pending_approval", 4)
	se.wait(since, "the request in the notify channel, after two 429s", func(m slackfake.Message) bool {
		return m.Kind == "post" && m.Channel == slackNotify && strings.Contains(m.All(), req.ApprovalID) && len(m.Buttons()) == 2
	})

	since = se.fake.Seq()
	again := se.want("alice", "supervisor restart web", "pending_approval", 4)
	if again.ApprovalID != req.ApprovalID {
		t.Fatalf("asking again made request %s beside %s", again.ApprovalID, req.ApprovalID)
	}
	for _, m := range se.fake.Messages() {
		if m.Seq > since {
			t.Errorf("asking again posted: %s", m.All())
		}
	}
}
