package slack

import (
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat/fleettest"
	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// longTrail records n entries, one with a secret recorded unmasked (as an
// older poolvisor would have), enough to overflow one message.
func longTrail(t *testing.T, h *harness, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		e := ops.AuditEntry{Time: time.Now().UTC(), Host: "test", Actor: "slack:U0ALICE", Operation: "supervisor.program.restart",
			Target: fmt.Sprintf("worker-%03d", i), Status: ops.StatusOK, Message: strings.Repeat("restarted, all fine. ", 4)}
		if i == 0 {
			e.Operation, e.Args = "supervisor.program.add", []ops.Arg{{Key: "command", Value: "app --password=hunter2"}}
		}
		if err := h.trail.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
}

func TestShortAuditExportInline(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	longTrail(t, h, 3)
	_, body, _ := h.slash(vic, "ops audit 3 --format csv")
	r := decodeReply(t, body)
	if r.ResponseType != visEphemeral || !strings.Contains(r.Text+fmt.Sprint(r.Blocks), "id,time,host") {
		t.Errorf("a short export should be an inline ephemeral answer: %+v", r)
	}
	if strings.Contains(body, "hunter2") {
		t.Errorf("the secret shows: %s", body)
	}
	if n := h.fake.Calls("files.getUploadURLExternal"); n != 0 {
		t.Errorf("a short export was uploaded (%d)", n)
	}
}

func TestLongAuditExportArrivesAsAFile(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	longTrail(t, h, 300)
	_, body, _ := h.slash(vic, "ops audit 500 --format csv")
	if r := decodeReply(t, body); r.ResponseType != visEphemeral || !strings.Contains(r.Text, "as a file") {
		t.Errorf("the acknowledgement: %+v", r)
	}
	f, err := h.fake.WaitFile(wait, 1)
	if err != nil {
		t.Fatal(err)
	}
	if f.Channel != "D"+vic.UserID { // the asker's direct message: a read is theirs alone
		t.Errorf("the file went to %q, want the asker's DM", f.Channel)
	}
	for _, m := range []string{"conversations.open", "files.getUploadURLExternal", "files.completeUploadExternal"} {
		if n := h.fake.Calls(m); n != 1 {
			t.Errorf("%s called %d times, want 1", m, n)
		}
	}
	if !strings.HasSuffix(f.Name, ".csv") || f.Title != f.Name {
		t.Errorf("file %q titled %q", f.Name, f.Title)
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
	if _, err := h.fake.Wait(wait, 0, func(m slackfake.Message) bool { return strings.Contains(m.All(), "direct messages") }); err != nil {
		t.Errorf("no note of where the file went: %v", err)
	}
}

// A fleet answer across a thousand hosts is a summary whose document is
// every host's answer: both arrive, the summary where the answer goes
// (the asker alone, for a read) and the file in the asker's direct
// message, however short the summary.
func TestFleetSummaryArrivesWithItsFile(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	h.b.fleet.Store(true)
	_, body, _ := h.slash(vic, "status")
	if r := decodeReply(t, body); r.ResponseType != visEphemeral || !strings.Contains(r.Text, "as a file") {
		t.Errorf("the acknowledgement: %+v", r)
	}
	f, err := h.fake.WaitFile(wait, 1)
	if err != nil {
		t.Fatal(err)
	}
	if f.Channel != "D"+vic.UserID || f.Name != fleettest.FileName || f.Title != f.Name {
		t.Errorf("file %q titled %q went to %q, want %s in the asker's DM", f.Name, f.Title, f.Channel, fleettest.FileName)
	}
	if string(f.Content) != fleettest.Whole() {
		t.Errorf("the file is not the whole answer (%d bytes, want %d)", len(f.Content), len(fleettest.Whole()))
	}
	for i := range fleettest.Hosts {
		if !strings.Contains(string(f.Content), fleettest.Host(i)) {
			t.Fatalf("the file leaves out %s", fleettest.Host(i))
		}
	}
	m, err := h.fake.Wait(wait, 0, func(m slackfake.Message) bool { return strings.Contains(m.All(), "hosts answered") })
	if err != nil {
		t.Fatalf("no summary: %v", err)
	}
	all := m.All()
	if m.Kind != "response" || m.ResponseType != visEphemeral { // a read is the asker's alone
		t.Errorf("the summary came as %s %s, want the command's ephemeral response", m.Kind, m.ResponseType)
	}
	for _, want := range []string{"1000 of 1000 hosts answered", "web-0399", "web-0799", fleettest.FileName, "direct messages"} {
		if !strings.Contains(all, want) {
			t.Errorf("the summary lacks %q:\n%.2000s", want, all)
		}
	}
	if strings.Contains(all, "web-0398") {
		t.Error("the summary lists a host without a problem")
	}
}

// A write across a thousand hosts is for the channel: the file is shared
// there, and the summary follows, saying where it is.
func TestFleetWriteSummaryAndFileInTheChannel(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	h.b.fleet.Store(true)
	h.slash(alice, "stop web")
	f, err := h.fake.WaitFile(wait, 1)
	if err != nil {
		t.Fatal(err)
	}
	if f.Channel != channel || string(f.Content) != fleettest.Whole() {
		t.Errorf("file went to %q with %d bytes, want the whole answer in %s", f.Channel, len(f.Content), channel)
	}
	m, err := h.fake.Wait(wait, 0, func(m slackfake.Message) bool { return strings.Contains(m.All(), "hosts answered") })
	if err != nil {
		t.Fatalf("no summary: %v", err)
	}
	if m.Kind != "response" || m.ResponseType != visChannel {
		t.Errorf("the summary came as %s %s, want the channel's response", m.Kind, m.ResponseType)
	}
	for _, want := range []string{"1000 of 1000 hosts answered", "web-0399", "in this channel", "Requested by"} {
		if !strings.Contains(m.All(), want) {
			t.Errorf("the summary lacks %q:\n%.2000s", want, m.All())
		}
	}
	if n := h.fake.Calls("conversations.open"); n != 0 {
		t.Errorf("a write's file went by a direct message (%d opens)", n)
	}
}
