package mattermost

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat/fleettest"
	"github.com/poolvisor/poolvisor/adapters/mattermost/mmfake"
	"github.com/poolvisor/poolvisor/internal/audit"
	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

// fileOf waits for a post in channel ch that carries a file, and returns
// the post and its one file.
func (h *harness) fileOf(since int, ch string) (mmfake.Post, mmfake.File) {
	h.t.Helper()
	p := h.waitPost(since, "a post with a file in "+ch, func(p mmfake.Post) bool { return p.ChannelID == ch && len(p.FileIDs) > 0 })
	files := h.fake.PostFiles(p.ID)
	if len(files) != 1 {
		h.t.Fatalf("post %s has %d files, want 1", p.ID, len(files))
	}
	return p, files[0]
}

// A read across a thousand hosts is a summary for the asker alone and
// the whole answer as a file: the summary comes ephemeral by the
// response_url, the file in the asker's direct messages with the bot,
// since an ephemeral post cannot carry one.
func TestFleetSummaryArrivesWithItsFile(t *testing.T) {
	h := newHarness(t, func(ops.Actor, string) ops.Result { return fleettest.Result() })
	ans := h.command(alice, "tok-sup", "/supervisor", "status --host all")
	if ans.Status != 200 || ans.Response.ResponseType != Ephemeral || !strings.Contains(ans.Response.Text, "file") {
		t.Fatalf("the acknowledgement: %d %+v", ans.Status, ans.Response)
	}
	summary := h.waitPost(0, "the summary", func(p mmfake.Post) bool { return strings.Contains(p.Message, "hosts answered") })
	if summary.For != alice.ID || summary.Via != "response_url" || summary.ChannelID != channel {
		t.Errorf("the summary went %s to %q in %s, want the response_url, for alice alone, in %s", summary.Via, summary.For, summary.ChannelID, channel)
	}
	for _, want := range []string{"1000 of 1000 hosts answered", "web-0399", "web-0799", fleettest.FileName, "direct messages"} {
		if !strings.Contains(summary.Message, want) {
			t.Errorf("the summary lacks %q:\n%.2000s", want, summary.Message)
		}
	}
	if strings.Contains(summary.Message, "web-0398") {
		t.Error("the summary lists a host without a problem")
	}
	dm := h.fake.DirectChannel(alice.ID)
	if dm == "" || dm == channel {
		t.Fatalf("no direct channel with alice (%q)", dm)
	}
	p, f := h.fileOf(0, dm)
	if f.Name != fleettest.FileName || string(f.Content) != fleettest.Whole() {
		t.Errorf("file %q of %d bytes, want %s with the whole answer (%d bytes)", f.Name, len(f.Content), fleettest.FileName, len(fleettest.Whole()))
	}
	if p.For != "" || !strings.Contains(p.Message, "supervisor.program.list") {
		t.Errorf("the file's post: %+v", p)
	}
	if r := h.fake.Refused(); len(r) > 0 {
		t.Errorf("the fake refused: %v", r)
	}
}

// A write across a thousand hosts is for the channel: the summary and the
// file arrive in one post of the bot's there.
func TestFleetWriteSummaryPostsWithItsFileInTheChannel(t *testing.T) {
	h := newHarness(t, func(ops.Actor, string) ops.Result {
		res := fleettest.Result()
		res.Operation = "supervisor.program.start"
		return res
	})
	h.command(alice, "tok-sup", "/supervisor", "start web --host all")
	p, f := h.fileOf(0, channel)
	if string(f.Content) != fleettest.Whole() {
		t.Errorf("the file is not the whole answer (%d bytes)", len(f.Content))
	}
	for _, want := range []string{"1000 of 1000 hosts answered", "web-0399", "Asked by alice"} {
		if !strings.Contains(p.Message, want) {
			t.Errorf("the post lacks %q:\n%.2000s", want, p.Message)
		}
	}
	if p.Via != "api" || p.For != "" {
		t.Errorf("the post came %s for %q, want a post of the bot's for the channel", p.Via, p.For)
	}
}

// A bot outside the channel cannot upload there: the summary still
// arrives by the response_url, saying the file could not be attached.
func TestFleetWriteSummaryWithoutTheChannel(t *testing.T) {
	h := newHarness(t, func(ops.Actor, string) ops.Result {
		res := fleettest.Result()
		res.Operation = "supervisor.program.start"
		return res
	})
	h.fake.LeaveChannel(channel)
	h.command(alice, "tok-sup", "/supervisor", "start web --host all")
	p := h.waitPost(0, "the summary", func(p mmfake.Post) bool { return strings.Contains(p.Message, "hosts answered") })
	if p.Via != "response_url" || !strings.Contains(p.Message, "could not be attached") || !strings.Contains(p.Message, "poolvisor exec") {
		t.Errorf("the summary came %s:\n%.2000s", p.Via, p.Message)
	}
	if len(p.FileIDs) != 0 {
		t.Error("a post in a channel the bot is not in carries files")
	}
}

// auditRunner is a real pipeline whose audit trail holds n entries, one
// with a secret recorded unmasked (as an older poolvisor would have).
func auditRunner(t *testing.T, n int) func(ops.Actor, string) ops.Result {
	t.Helper()
	ctx := context.Background()
	db, err := sqlitedb.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	trail, err := audit.New(ctx, db, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		e := ops.AuditEntry{Time: time.Now().UTC(), Host: "test", Actor: "mattermost:" + alice.ID, Operation: "supervisor.program.restart",
			Target: fmt.Sprintf("worker-%03d", i), Status: ops.StatusOK, Message: strings.Repeat("restarted, all fine. ", 4)}
		if i == 0 {
			e.Operation, e.Args = "supervisor.program.add", []ops.Arg{{Key: "command", Value: "app --password=hunter2"}}
		}
		if err := trail.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	policy := authz.New(map[string][]string{"viewer": {"ops.*"}},
		[]authz.Binding{{Role: "viewer", Users: map[string][]string{"mattermost": {alice.ID}}}})
	pipe := ops.New(ops.Config{Host: "test", Parser: command.Parser{}, Authz: policy, Audit: trail})
	return func(actor ops.Actor, text string) ops.Result { return pipe.Run(context.Background(), actor, text) }
}

// A long audit export arrives as a file in the asker's direct messages,
// masked, with a note where the answer would have been cut.
func TestLongAuditExportArrivesAsAFile(t *testing.T) {
	h := newHarness(t, auditRunner(t, 300))
	h.command(alice, "tok-ops", "/ops", "audit 500 --format csv")
	note := h.waitPost(0, "the note", func(p mmfake.Post) bool { return strings.Contains(p.Message, "direct messages") })
	if note.For != alice.ID || !strings.Contains(note.Message, "too long") || strings.Contains(note.Message, "worker-") {
		t.Errorf("the note: %+v", note)
	}
	_, f := h.fileOf(0, h.fake.DirectChannel(alice.ID))
	if !strings.HasPrefix(f.Name, "audit-test-") || !strings.HasSuffix(f.Name, ".csv") {
		t.Errorf("file %q", f.Name)
	}
	rows, err := csv.NewReader(strings.NewReader(string(f.Content))).ReadAll()
	if err != nil {
		t.Fatalf("the file is no CSV: %v", err)
	}
	if !slices.Equal(rows[0], ops.AuditColumns) || len(rows) != 301 {
		t.Errorf("%d rows, header %q", len(rows), rows[0])
	}
	if s := string(f.Content); strings.Contains(s, "hunter2") || !strings.Contains(s, "--password=••••") {
		t.Error("the file does not mask the secret")
	}
}

// A short export is an answer like any other, without a file.
func TestShortAuditExportInline(t *testing.T) {
	h := newHarness(t, auditRunner(t, 3))
	ans := h.command(alice, "tok-ops", "/ops", "audit 3 --format csv")
	if ans.Response.ResponseType != Ephemeral || !strings.Contains(ans.Response.Text, "id,time,host") || strings.Contains(ans.Raw, "hunter2") {
		t.Errorf("a short export should be an inline ephemeral answer, masked: %+v", ans.Response)
	}
	if dm := h.fake.DirectChannel(alice.ID); dm != "" {
		t.Errorf("a short export opened a direct channel %s", dm)
	}
}

// rollRunner reports a run's progress and, once its progress post is
// there, ends with a thousand-host answer, as a roll across the fleet does.
type rollRunner struct {
	fake *mmfake.Server
}

func (r rollRunner) Run(ctx context.Context, actor ops.Actor, text string) ops.Result {
	res := fleettest.Result()
	res.Operation = "supervisor.program.restart"
	w := ops.WatcherOf(ctx)
	if w == nil {
		return ops.Result{Status: ops.StatusFailed, Message: "no watcher"}
	}
	w(ops.Progress{RunID: "r1", Operation: res.Operation, Title: "Restart of web across all hosts", Requester: actor,
		Steps: []ops.Step{{Name: "web-0000", State: ops.StepRunning}}})
	if _, err := r.fake.Wait(wait, 0, func(p mmfake.Post) bool { return strings.Contains(p.Message, "Restart of web") }); err != nil {
		return ops.Result{Status: ops.StatusFailed, Message: err.Error()}
	}
	return res
}

func (r rollRunner) Execute(ctx context.Context, actor ops.Actor, op ops.Operation) ops.Result {
	return r.Run(ctx, actor, op.Text)
}

func (rollRunner) Host() string { return "web-01" }

// A roll's progress post shows its result; the whole answer follows in
// that post's thread as a file.
func TestRollResultFileInTheProgressThread(t *testing.T) {
	fake := mmfake.New(botToken)
	t.Cleanup(fake.Close)
	a, err := New(Config{URL: fake.URL(), BotToken: botToken, CommandTokens: tokens, ActionSecret: secret,
		PublicURL: "http://poolvisor.invalid", NotifyChannelID: notify}, rollRunner{fake: fake}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(func() { a.bg.Drain(wait) })
	if _, err := fake.SendCommand(srv.URL+commandsPath, mmfake.Command{Token: "tok-sup", Command: "/supervisor",
		Text: "restart web --host all", User: alice, ChannelID: channel}); err != nil {
		t.Fatal(err)
	}
	result, err := fake.Wait(wait, 0, func(p mmfake.Post) bool { return strings.Contains(p.Message, "hosts answered") })
	if err != nil {
		t.Fatal(err)
	}
	if result.Edits == 0 {
		t.Errorf("the result is not in the progress post: %+v", result)
	}
	p, err := fake.Wait(wait, 0, func(p mmfake.Post) bool { return len(p.FileIDs) > 0 })
	if err != nil {
		t.Fatal(err)
	}
	files := fake.PostFiles(p.ID)
	if p.RootID != result.ID || p.ChannelID != channel || len(files) != 1 || string(files[0].Content) != fleettest.Whole() {
		t.Errorf("the file's post %+v (root %q, want %q) with %d files", p, p.RootID, result.ID, len(files))
	}
}
