package chat

import (
	"context"
	"testing"

	"github.com/poolvisor/poolvisor/internal/alert"
)

// sent records what a Notifier asks of a platform's messages.
type sent struct{ calls []string }

func (s *sent) SendAlert(_ context.Context, ch, replyTo string, al alert.Alert) (string, string, error) {
	s.calls = append(s.calls, "send "+ch+" "+replyTo+" "+al.Program)
	return "C1", "M1", nil
}

func (s *sent) EditAlert(_ context.Context, ch, id string, al alert.Alert) error {
	s.calls = append(s.calls, "edit "+ch+" "+id+" "+al.Program)
	return nil
}

// TestNotifier: an alert is posted to the notify channel and referred to
// by the channel's ID the platform answered; its update edits that message
// and its recovery answers it. Without a notify channel there is none.
func TestNotifier(t *testing.T) {
	if NotifierFor("", &sent{}) != nil {
		t.Error("a Notifier without a notify channel")
	}
	m := &sent{}
	n := NotifierFor("#alerts", m)
	al := alert.Alert{Program: "web"}
	ref, err := n.PostAlert(t.Context(), al)
	if err != nil || ref != "C1/M1" {
		t.Fatalf("PostAlert: %q, %v", ref, err)
	}
	if err := n.UpdateAlert(t.Context(), ref, al); err != nil {
		t.Fatal(err)
	}
	if err := n.PostRecovery(t.Context(), ref, al); err != nil {
		t.Fatal(err)
	}
	if err := n.UpdateAlert(t.Context(), "no-slash", al); err == nil {
		t.Error("a bad reference was accepted")
	}
	want := []string{"send #alerts  web", "edit C1 M1 web", "send C1 M1 web"}
	if len(m.calls) != len(want) {
		t.Fatalf("calls %q, want %q", m.calls, want)
	}
	for i := range want {
		if m.calls[i] != want[i] {
			t.Errorf("call %d: %q, want %q", i, m.calls[i], want[i])
		}
	}
}
