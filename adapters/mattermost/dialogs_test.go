package mattermost

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/mattermost/mmfake"
	"github.com/poolvisor/poolvisor/internal/ops"
)

func TestDialogAddsAProgram(t *testing.T) {
	h := newHarness(t, func(a ops.Actor, text string) ops.Result {
		switch {
		case strings.Contains(text, "--directory relative"):
			return ops.Result{Status: ops.StatusInvalid, Operation: "supervisor.program.add", Field: "directory",
				Message: "directory must be an absolute path"}
		case strings.HasSuffix(text, "--plan"):
			return ops.Result{Status: ops.StatusOK, Operation: "supervisor.program.add", Message: "Would add worker."}
		}
		return ops.Result{Status: ops.StatusOK, Operation: "supervisor.program.add", Message: "Added worker."}
	})
	since := h.fake.Seq()
	ans := h.command(alice, "tok-sup", "/supervisor", "add")
	if ans.Response.Text != "" {
		t.Errorf("opening a dialog answers nothing: %+v", ans.Response)
	}
	d, err := h.fake.WaitDialog(wait, since)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range d.Body.Elements {
		names = append(names, e.Name)
	}
	if !slices.Equal(names, []string{"name", "command", "directory", "user", "autorestart"}) {
		t.Errorf("fields: %v", names)
	}

	tests := []struct {
		name   string
		values map[string]any
		field  string // the field the error is on; "" for none
	}{
		{"bad name", map[string]any{"name": "bad name!", "command": "/bin/true"}, "name"},
		{"error from the plan on its field", map[string]any{"name": "worker", "command": "/bin/true", "directory": "relative"}, "directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := h.fake.Submit(d, channel, tt.values)
			if err != nil || a.Status != 200 || a.Errors[tt.field] == "" {
				t.Errorf("%v %+v", err, a)
			}
		})
	}
	if slices.ContainsFunc(h.run.calls(), func(s string) bool { return !strings.HasSuffix(s, "--plan") }) {
		t.Errorf("an invalid form applied something: %v", h.run.calls())
	}

	since = h.fake.Seq()
	a, err := h.fake.Submit(d, channel, map[string]any{"name": "worker", "command": "/usr/bin/php artisan queue:work", "autorestart": "true"})
	if err != nil || a.Status != 200 || len(a.Errors) > 0 || a.Error != "" {
		t.Fatalf("%v %+v", err, a)
	}
	p := h.waitPost(since, "the result in the channel", func(p mmfake.Post) bool { return strings.Contains(p.Message, "Added worker") })
	if p.For != "" {
		t.Errorf("a write that ran is for the channel: %+v", p)
	}
	want := "supervisor add worker --command '/usr/bin/php artisan queue:work' --autorestart true"
	if !slices.Contains(h.run.calls(), want) {
		t.Errorf("ran %q, want %q among them", h.run.calls(), want)
	}
}

func TestForgedDialogSubmissionIsRefused(t *testing.T) {
	h := newHarness(t, okAnswer)
	since := h.fake.Seq()
	h.command(alice, "tok-sup", "/supervisor", "add")
	d, err := h.fake.WaitDialog(wait, since)
	if err != nil {
		t.Fatal(err)
	}
	moved := d
	a, _ := h.fake.Submit(moved, notify, map[string]any{"name": "x", "command": "/bin/true"}) // signed for another channel
	forged := d
	forged.Body.State = `{"command":"supervisor add","sig":"00"}`
	b, _ := h.fake.Submit(forged, channel, map[string]any{"name": "x", "command": "/bin/true"})
	if a.Status != http.StatusUnauthorized || b.Status != http.StatusUnauthorized || len(h.run.calls()) != 0 {
		t.Errorf("moved %d, forged %d, ran %v", a.Status, b.Status, h.run.calls())
	}
}
