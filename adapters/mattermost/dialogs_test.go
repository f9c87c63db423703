package mattermost

import (
	"maps"
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

// TestDialogStateIsTheOpenersOnly: a dialog's state reaches the client of
// the user who opened it (Mattermost sends the whole dialog, url and state
// included, to open it there). Posted straight to the dialog URL with
// another user's user_id, it must not run anything in that user's name.
func TestDialogStateIsTheOpenersOnly(t *testing.T) {
	h := newHarness(t, okAnswer)
	since := h.fake.Seq()
	h.command(alice, "tok-sup", "/supervisor", "add")
	d, err := h.fake.WaitDialog(wait, since)
	if err != nil {
		t.Fatal(err)
	}
	asOlga := d
	asOlga.User = olga.ID
	a, err := h.fake.Submit(asOlga, channel, map[string]any{"name": "x", "command": "/bin/true"})
	if err != nil || a.Status != http.StatusUnauthorized || len(h.run.calls()) != 0 {
		t.Errorf("alice's dialog submitted as olga: %v %+v, ran %v as %v", err, a, h.run.calls(), h.run.by)
	}
	a, err = h.fake.Submit(d, channel, map[string]any{"name": "x", "command": "/bin/true"})
	if err != nil || a.Status != http.StatusOK || !slices.Contains(h.run.calls(), "supervisor add x --command /bin/true --plan") {
		t.Errorf("alice's own submission: %v %+v, ran %v", err, a, h.run.calls())
	}
}

// TestEditDialog: `/supervisor edit web` opens a dialog holding web's
// current values, read as the user; a field emptied is refused on that
// field, a typed value on its own (a number), and a valid submission is
// planned as the user and then applied through the pipeline, whose
// approval request is posted in the channel. Only the fields changed from
// what the dialog showed become flags.
func TestEditDialog(t *testing.T) {
	current := map[string]any{"program": map[string]any{"name": "web", "file": "/etc/supervisor/conf.d/web.conf",
		"directives": map[string]any{"command": "/usr/bin/php worker.php", "user": "www-data", "autorestart": "true", "numprocs": "2"}}}
	h := newHarness(t, func(a ops.Actor, text string) ops.Result {
		switch {
		case text == "supervisor show web" && a.ID == alice.ID:
			return ops.Result{Status: ops.StatusOK, Operation: "supervisor.program.show", Data: current}
		case text == "supervisor show web":
			return ops.Result{Status: ops.StatusDenied, Operation: "supervisor.program.show", Message: "You may not read web."}
		case strings.HasSuffix(text, "--plan"):
			return ops.Result{Status: ops.StatusOK, Operation: "supervisor.program.edit", Message: "Would update web."}
		case strings.HasPrefix(text, "supervisor edit web "):
			p := pending("ef56ab")
			p.Operation = "supervisor.program.edit"
			return p
		}
		return ops.Result{Status: ops.StatusInvalid, Message: "unexpected " + text}
	})

	ans := h.command(olga, "tok-sup", "/supervisor", "edit web")
	if !strings.Contains(ans.Response.Text, "may not read web") {
		t.Errorf("a user who may not read web gets a form: %+v", ans.Response)
	}

	since := h.fake.Seq()
	h.command(alice, "tok-sup", "/supervisor", "edit web")
	d, err := h.fake.WaitDialog(wait, since)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	required := map[string]bool{}
	for _, e := range d.Body.Elements {
		got[e.Name], required[e.Name] = e.Default, !e.Optional
	}
	want := map[string]string{"command": "/usr/bin/php worker.php", "directory": "", "user": "www-data", "autorestart": "true", "set": ""}
	if !maps.Equal(got, want) {
		t.Errorf("the dialog starts with %v, want %v", got, want)
	}
	if !required["user"] || required["directory"] {
		t.Errorf("a field with a current value is required, an empty one not: %v", required)
	}
	if d.Body.CallbackID != "supervisor edit web" {
		t.Errorf("callback_id %q", d.Body.CallbackID)
	}

	for _, tt := range []struct {
		name   string
		values map[string]any
		field  string
	}{
		{"emptied", map[string]any{"command": "/usr/bin/php worker.php", "user": ""}, "user"},
		{"not a choice", map[string]any{"command": "/usr/bin/php worker.php", "user": "www-data", "autorestart": "sometimes"}, "autorestart"},
		{"not KEY=VALUE", map[string]any{"command": "/usr/bin/php worker.php", "user": "www-data", "set": "stopsignal"}, "set"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := h.fake.Submit(d, channel, tt.values)
			if err != nil || a.Status != 200 || a.Errors[tt.field] == "" {
				t.Errorf("%v %+v", err, a)
			}
		})
	}
	// Each submission of an edit reads web again, and runs nothing else.
	if slices.ContainsFunc(h.run.calls(), func(c string) bool { return c != "supervisor show web" }) {
		t.Errorf("an invalid form ran something: %v", h.run.calls())
	}

	since = h.fake.Seq()
	a, err := h.fake.Submit(d, channel, map[string]any{"command": "/usr/bin/php worker.php --queue=mail", "user": "www-data",
		"autorestart": "true", "set": "stopsignal=TERM"})
	if err != nil || a.Status != 200 || len(a.Errors) > 0 || a.Error != "" {
		t.Fatalf("%v %+v", err, a)
	}
	h.waitPost(since, "the approval request", func(p mmfake.Post) bool { return strings.Contains(p.Message, "ef56ab") })
	// Only what changed from what the dialog showed is sent.
	cmd := "supervisor edit web --command '/usr/bin/php worker.php --queue=mail' --set stopsignal=TERM"
	if calls := h.run.calls(); !slices.Contains(calls, cmd+" --plan") || !slices.Contains(calls, cmd) {
		t.Errorf("ran %q, want the plan and then %q", calls, cmd)
	}
}

// TestEditDialogStateIsSigned: the fields shown with a current value
// travel signed, so a submission cannot claim none were shown to empty one.
func TestEditDialogStateIsSigned(t *testing.T) {
	h := newHarness(t, func(a ops.Actor, text string) ops.Result {
		if text == "fpm pool show www --php 8.3" {
			return ops.Result{Status: ops.StatusOK, Data: map[string]any{"pool": map[string]any{"name": "www",
				"directives": map[string]any{"user": "www-data", "pm": "dynamic", "pm.max_children": "5"}}}}
		}
		return ops.Result{Status: ops.StatusOK, Message: "ok"}
	})
	since := h.fake.Seq()
	h.command(alice, "tok-fpm", "/fpm", "pool edit www --php 8.3")
	d, err := h.fake.WaitDialog(wait, since)
	if err != nil {
		t.Fatal(err)
	}
	if d.Body.CallbackID != "fpm pool edit www --php 8.3" {
		t.Fatalf("callback_id %q", d.Body.CallbackID)
	}
	forged := d
	forged.Body.State = strings.Replace(d.Body.State, `max-children`, `x`, 1)
	if forged.Body.State == d.Body.State {
		t.Fatalf("the state does not name the prefilled fields: %s", d.Body.State)
	}
	a, _ := h.fake.Submit(forged, channel, map[string]any{"user": "www-data", "pm": "dynamic", "max-children": ""})
	if a.Status != http.StatusUnauthorized || len(h.run.calls()) != 1 {
		t.Errorf("forged state: %d, ran %v", a.Status, h.run.calls())
	}
}
