package slack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestEditFormSendsOnlyWhatChanged: web's edit form opens; then web's user
// changes on the host. Submitted as it opened, the form writes nothing and
// says so; with the directory filled in, it writes the directory alone,
// leaving the new user be; with the user changed too, it is refused on the
// user, which says what it is now. The view's metadata holds no value.
func TestEditFormSendsOnlyWhatChanged(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	v, _ := h.openForm(alice, "edit web")
	for _, value := range []string{"/usr/bin/php -S 0:80 it's", "www-data"} {
		if strings.Contains(v.View.PrivateMetadata, value) {
			t.Errorf("the view's metadata holds %q: %s", value, v.View.PrivateMetadata)
		}
	}
	deploy := "deploy"
	h.b.user.Store(&deploy)

	code, body := h.submit(alice, v, nil)
	if errs := formErrors(t, body); code != 200 || len(errs) != 1 || !strings.Contains(errs["command"], "Nothing to change") {
		t.Errorf("the form submitted as it opened: %d %v", code, errs)
	}
	code, body = h.submit(alice, v, map[string]string{"directory": "/srv", "user": "app"})
	if errs := formErrors(t, body); code != 200 || len(errs) != 1 || !strings.Contains(errs["user"], `now "deploy"`) {
		t.Errorf("the user changed in the form and on the host: %d %v", code, errs)
	}
	if h.b.writes.Load() != 0 {
		t.Fatalf("%d writes, want none", h.b.writes.Load())
	}

	// The directory alone filled in: the edit runs with --directory only.
	since := h.fake.Seq()
	if code, body := h.submit(alice, v, map[string]string{"directory": "/srv"}); code != 200 || body != "" {
		t.Fatalf("the directory filled in: %d %q", code, body)
	}
	if _, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return strings.Contains(m.All(), "Updated web") }); err != nil {
		t.Fatal(err)
	}
	op := h.b.lastOp.Load().(ops.Operation)
	var flags []string
	for _, a := range op.Args {
		flags = append(flags, a.Key)
	}
	if dir, _ := op.Get("directory"); dir != "/srv" || len(flags) != 1 || h.b.writes.Load() != 1 {
		t.Errorf("the edit ran with %v (%+v), want --directory alone", flags, op)
	}
	var m meta
	if err := json.Unmarshal([]byte(v.View.PrivateMetadata), &m); err != nil || m.shown() == nil {
		t.Errorf("the view's metadata has no digests of what it showed: %q %v", v.View.PrivateMetadata, err)
	}
}
