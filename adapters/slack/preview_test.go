package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
)

// waitUpdate waits until the fake's view id has been updated n times and
// returns it.
func (h *harness) waitUpdate(t *testing.T, id string, n int) slackfake.OpenedView {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		for _, v := range h.fake.Views() {
			if v.ID == id && v.Updates >= n {
				return v
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("view %s not updated %d times", id, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// clickPreview is a click on an open form's Preview button with values
// typed in, as block_actions delivers it.
func clickPreview(who slackfake.Slash, v slackfake.OpenedView, values map[string]string) slackgo.InteractionCallback {
	state := &slackgo.ViewState{Values: map[string]map[string]slackgo.BlockAction{}}
	for block, value := range values {
		state.Values[block] = map[string]slackgo.BlockAction{valueAction: {Value: value}}
	}
	cb := slackgo.InteractionCallback{Type: slackgo.InteractionTypeBlockActions,
		View: slackgo.View{ID: v.ID, CallbackID: v.View.CallbackID, PrivateMetadata: v.View.PrivateMetadata, State: state}}
	cb.User.ID, cb.User.Name = who.UserID, who.UserName
	cb.ActionCallback.BlockActions = []*slackgo.BlockAction{{ActionID: actionPreview, BlockID: blockPreview}}
	return cb
}

func TestPreviewShowsThePlanInTheForm(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	v, _ := h.openForm(alice, "edit web")
	if !strings.Contains(string(v.View.Blocks), `"action_id":"pv:preview"`) {
		t.Fatalf("the form has no Preview button: %s", v.View.Blocks)
	}
	tests := []struct {
		name   string
		values map[string]string
		want   []string
	}{
		{"a valid form shows its plan", map[string]string{"command": "/bin/true", "user": "www-data", "autostart": "true", "directory": "/srv"},
			[]string{"Plan only, nothing applied", "write web"}},
		{"a refused form shows why", map[string]string{"command": "/no/such/binary", "user": "www-data", "autostart": "true"},
			[]string{":warning:", "/no/such/binary does not exist"}},
		{"a form that cannot be read names the fields", map[string]string{"command": "/bin/true", "autostart": "true", "set": "stopsignal"},
			[]string{"The form cannot be applied as it is", "*User*: A form cannot remove user", "*Other settings*: Write one KEY=VALUE a line"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cb := clickPreview(alice, v, tt.values)
			cb.View.Hash = h.waitUpdate(t, v.ID, i).Hash() // the view as the click saw it
			h.a.preview(context.Background(), cb)
			sv := h.waitUpdate(t, v.ID, i+1).View // the fake validated it as Slack would
			for _, w := range tt.want {
				if !strings.Contains(string(sv.Blocks), w) {
					t.Errorf("the preview lacks %q:\n%s", w, slackfake.Readable(sv.Blocks))
				}
			}
			got := inputs(t, slackfake.OpenedView{View: sv})
			for k, want := range tt.values {
				if got[k] != want {
					t.Errorf("field %s reads %q after the preview, want %q as typed", k, got[k], want)
				}
			}
			if sv.PrivateMetadata != v.View.PrivateMetadata || sv.CallbackID != v.View.CallbackID {
				t.Errorf("the preview lost the form's metadata: %q %q", sv.PrivateMetadata, sv.CallbackID)
			}
		})
	}
	if h.b.writes.Load() != 0 {
		t.Fatal("a preview applied something")
	}
}

// TestPreviewThroughTheEndpoint clicks Preview as Slack delivers it (a
// signed block_actions POST) and reads the form back from the fake, which
// serves views.update as Slack does (hash checked).
func TestPreviewThroughTheEndpoint(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	v, _ := h.openForm(alice, "edit web")
	cb := clickPreview(alice, v, map[string]string{"command": "/bin/true", "user": "www-data", "autostart": "true"})
	cb.View.Hash = v.Hash()
	if code, body := h.post("/slack/interactions", slackfake.InteractionForm(cb)); code != 200 {
		t.Fatalf("click answered %d %s", code, body)
	}
	if now := h.waitUpdate(t, v.ID, 1); !strings.Contains(string(now.View.Blocks), "Plan only, nothing applied") {
		t.Errorf("the updated form shows no plan:\n%s", slackfake.Readable(now.View.Blocks))
	}
	if h.b.writes.Load() != 0 {
		t.Fatal("a preview applied something")
	}
}
