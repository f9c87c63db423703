package discord

import (
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat/fleettest"
	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// longTrail records n entries, one with a secret recorded unmasked (as an
// older poolvisor would have), enough to overflow one message.
func longTrail(t *testing.T, h *harness, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		e := ops.AuditEntry{Time: time.Now().UTC(), Host: "test", Actor: "discord:1", Operation: "supervisor.program.restart",
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
	h := newHarness(t)
	longTrail(t, h, 3)
	r := h.command(vic, "ops", []string{"audit"}, discordfake.Opt{Name: "n", Value: 3.0}, discordfake.Opt{Name: "format", Value: "csv"})
	m := r.msg(t)
	if r.Type != 4 || m.Flags&int(discordgo.MessageFlagsEphemeral) == 0 || !strings.Contains(fmt.Sprint(m), "id,time,host") {
		t.Errorf("a short export should be an inline ephemeral answer: %d %+v", r.Type, m)
	}
	if strings.Contains(string(r.Data), "hunter2") {
		t.Errorf("the secret shows: %s", r.Data)
	}
}

func TestLongAuditExportArrivesAsAFile(t *testing.T) {
	h := newHarness(t)
	longTrail(t, h, 300)
	seq := h.fake.Seq()
	r := h.command(vic, "ops", []string{"audit"}, discordfake.Opt{Name: "n", Value: 500.0}, discordfake.Opt{Name: "format", Value: "csv"})
	if r.Type != 5 || !strings.Contains(string(r.Data), `"flags":64`) {
		t.Fatalf("want an ephemeral deferral (a read is the asker's alone), got %d %s", r.Type, r.Data)
	}
	c := h.wait(seq, "the edit with the file", func(c discordfake.Call) bool { return len(c.Files) > 0 })
	if c.Method != "PATCH" || !strings.HasSuffix(c.Path, "/messages/@original") {
		t.Errorf("the file came with %s %s, want the deferral's edit", c.Method, c.Path)
	}
	if len(c.Files) != 1 {
		t.Fatalf("%d files", len(c.Files))
	}
	f := c.Files[0]
	if f.ID != 0 || !strings.HasSuffix(f.Name, ".csv") || !strings.HasPrefix(f.ContentType, "text/csv") {
		t.Errorf("file %+v", f)
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
	if !strings.Contains(c.Msg.Content+fmt.Sprint(c.Msg.Embeds), "attached") {
		t.Errorf("no note with the file: %+v", c.Msg)
	}
}

// A fleet answer across a thousand hosts is a summary whose document is
// every host's answer: the deferral is edited with both, the summary as
// the message and the whole answer as its file, for the asker alone.
func TestFleetSummaryArrivesWithItsFile(t *testing.T) {
	h := newHarness(t)
	h.b.fleet.Store(true)
	seq := h.fake.Seq()
	r := h.command(vic, "supervisor", []string{"status"})
	if r.Type != 5 || !strings.Contains(string(r.Data), `"flags":64`) {
		t.Fatalf("want an ephemeral deferral (a read is the asker's alone), got %d %s", r.Type, r.Data)
	}
	c := h.wait(seq, "the edit with the file", func(c discordfake.Call) bool { return len(c.Files) > 0 })
	if c.Method != "PATCH" || !strings.HasSuffix(c.Path, "/messages/@original") {
		t.Errorf("the file came with %s %s, want the deferral's edit", c.Method, c.Path)
	}
	if len(c.Files) != 1 {
		t.Fatalf("%d files", len(c.Files))
	}
	f := c.Files[0]
	if f.Name != fleettest.FileName || !strings.HasPrefix(f.ContentType, "text/plain") {
		t.Errorf("file %q (%s), want %s", f.Name, f.ContentType, fleettest.FileName)
	}
	if string(f.Content) != fleettest.Whole() {
		t.Errorf("the file is not the whole answer (%d bytes, want %d)", len(f.Content), len(fleettest.Whole()))
	}
	shown := c.Msg.Content + fmt.Sprint(c.Msg.Embeds)
	for _, want := range []string{"1000 of 1000 hosts answered", "web-0399", "web-0799", fleettest.FileName} {
		if !strings.Contains(shown, want) {
			t.Errorf("the message lacks %q:\n%.2000s", want, shown)
		}
	}
	if strings.Contains(shown, "web-0398") || strings.Contains(shown, "too long") {
		t.Errorf("the message is not the summary:\n%.2000s", shown)
	}
}

// A write across a thousand hosts is for the channel: the deferral is
// public, and its edit carries the summary and the file.
func TestFleetWriteSummaryAndFileInTheChannel(t *testing.T) {
	h := newHarness(t)
	h.b.fleet.Store(true)
	seq := h.fake.Seq()
	r := h.command(alice, "supervisor", []string{"stop"}, discordfake.Opt{Name: "program", Value: "web"})
	if r.Type != 5 || strings.Contains(string(r.Data), `"flags":64`) {
		t.Fatalf("want a public deferral (a write is the channel's), got %d %s", r.Type, r.Data)
	}
	c := h.wait(seq, "the edit with the file", func(c discordfake.Call) bool { return len(c.Files) > 0 })
	if len(c.Files) != 1 || string(c.Files[0].Content) != fleettest.Whole() {
		t.Fatalf("%d files; want the whole answer", len(c.Files))
	}
	shown := string(c.Body) // the payload_json, footers and all
	for _, want := range []string{"1000 of 1000 hosts answered", "web-0399", "Requested by"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the message lacks %q:\n%.2000s", want, shown)
		}
	}
	if c.Msg.Flags&int(discordgo.MessageFlagsEphemeral) != 0 {
		t.Error("the channel's answer is ephemeral")
	}
}
