package mattermost

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/mattermost/mmfake"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestEditDialogSendsOnlyWhatChanged: web's edit dialog opens; then web's
// user changes on the host. Submitted as it opened, the dialog runs no
// plan and says there is nothing to change; with autorestart changed, only
// --autorestart is planned and applied (the new user stands); with the user
// changed too, it is refused on the user, saying what it is now. The
// dialog's state holds no value.
func TestEditDialogSendsOnlyWhatChanged(t *testing.T) {
	var user atomic.Pointer[string]
	www := "www-data"
	user.Store(&www)
	h := newHarness(t, func(a ops.Actor, text string) ops.Result {
		switch {
		case text == "supervisor show web":
			return ops.Result{Status: ops.StatusOK, Operation: "supervisor.program.show", Data: map[string]any{"program": map[string]any{
				"name": "web", "directives": map[string]any{"command": "/usr/bin/php worker.php", "user": *user.Load(), "autorestart": "true"}}}}
		case strings.HasSuffix(text, "--plan"):
			return ops.Result{Status: ops.StatusOK, Operation: "supervisor.program.edit", Message: "Would update web."}
		}
		return ops.Result{Status: ops.StatusOK, Operation: "supervisor.program.edit", Message: "Updated web."}
	})
	since := h.fake.Seq()
	h.command(alice, "tok-sup", "/supervisor", "edit web")
	d, err := h.fake.WaitDialog(wait, since)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(d.Body.State, "worker.php") || strings.Contains(d.Body.State, "www-data") {
		t.Errorf("the dialog's state holds values: %s", d.Body.State)
	}
	values := map[string]any{}
	for _, e := range d.Body.Elements {
		values[e.Name] = e.Default
	}
	deploy := "deploy"
	user.Store(&deploy)

	a, err := h.fake.Submit(d, channel, values)
	if err != nil || a.Status != 200 || !strings.Contains(a.Error, "Nothing to change") || len(a.Errors) > 0 {
		t.Errorf("submitted as it opened: %v %+v", err, a)
	}
	values["user"] = "app"
	values["autorestart"] = "false"
	a, err = h.fake.Submit(d, channel, values)
	if err != nil || a.Status != 200 || !strings.Contains(a.Errors["user"], `now "deploy"`) || len(a.Errors) != 1 {
		t.Errorf("the user changed in the dialog and on the host: %v %+v", err, a)
	}
	if calls := h.run.calls(); slices.ContainsFunc(calls, func(c string) bool { return c != "supervisor show web" }) {
		t.Fatalf("ran %q, want reads alone", calls)
	}

	values["user"] = "www-data"
	since = h.fake.Seq()
	a, err = h.fake.Submit(d, channel, values)
	if err != nil || a.Status != 200 || len(a.Errors) > 0 || a.Error != "" {
		t.Fatalf("autorestart changed: %v %+v", err, a)
	}
	h.waitPost(since, "the result", func(p mmfake.Post) bool { return strings.Contains(p.Message, "Updated web") })
	cmd := "supervisor edit web --autorestart false"
	if calls := h.run.calls(); !slices.Contains(calls, cmd+" --plan") || !slices.Contains(calls, cmd) {
		t.Errorf("ran %q, want %q planned and applied", calls, cmd)
	}
}
