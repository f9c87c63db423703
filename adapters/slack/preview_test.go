package slack

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
)

// viewRecorder is the Web API with views.update, which the fake does not
// serve: it records the views a preview draws.
type viewRecorder struct {
	API
	mu      sync.Mutex
	updates []viewUpdate
}

type viewUpdate struct {
	View         slackgo.ModalViewRequest
	Hash, ViewID string
}

func (r *viewRecorder) UpdateViewContext(_ context.Context, v slackgo.ModalViewRequest, _, hash, viewID string) (*slackgo.ViewResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, viewUpdate{View: v, Hash: hash, ViewID: viewID})
	return &slackgo.ViewResponse{}, nil
}

func (r *viewRecorder) wait(t *testing.T, n int) viewUpdate {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		r.mu.Lock()
		if len(r.updates) > n {
			u := r.updates[n]
			r.mu.Unlock()
			return u
		}
		r.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no views.update #%d", n+1)
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
		View: slackgo.View{ID: v.ID, Hash: "hash-1", CallbackID: v.View.CallbackID, PrivateMetadata: v.View.PrivateMetadata, State: state}}
	cb.User.ID, cb.User.Name = who.UserID, who.UserName
	cb.ActionCallback.BlockActions = []*slackgo.BlockAction{{ActionID: actionPreview, BlockID: blockPreview}}
	return cb
}

func TestPreviewShowsThePlanInTheForm(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	rec := &viewRecorder{API: h.a.api}
	h.a.api = rec
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
			[]string{"The form cannot be applied as it is", "*User*: A key cannot be removed", "*Other settings*: Write one KEY=VALUE a line"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.a.preview(context.Background(), clickPreview(alice, v, tt.values))
			u := rec.wait(t, i)
			if u.ViewID != v.ID || u.Hash != "hash-1" {
				t.Errorf("updated view %s (hash %s), want %s (hash-1)", u.ViewID, u.Hash, v.ID)
			}
			raw, _ := json.Marshal(u.View)
			var sv slackfake.View
			if err := json.Unmarshal(raw, &sv); err != nil {
				t.Fatal(err)
			}
			if err := slackfake.ValidateView(sv); err != nil {
				t.Errorf("Slack would refuse the preview: %v", err)
			}
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
