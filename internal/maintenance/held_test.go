package maintenance

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestHeldSurvivesRestart: what a window held is summed up at its end by
// the Hold of a later serve (a new Store over the same data directory),
// once, and only for the notifier it was held from.
func TestHeldSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	now := time.Now()
	s := open(t, dir)
	if _, err := s.Start(ctx, Window{Host: "web-01", Start: now.Add(-time.Minute), End: now.Add(time.Hour), By: "local:alice"}); err != nil {
		t.Fatal(err)
	}
	before := NewHold("slack", &fakeNotifier{}, s, discard)
	before.now = func() time.Time { return now }
	ref, err := before.PostAlert(ctx, alertOf("web-01", "web", "BACKOFF"))
	if err != nil {
		t.Fatal(err)
	}
	if err := before.UpdateAlert(ctx, ref, alert.Alert{Kind: alert.KindProgram, Host: "web-01", Program: "web", State: "FATAL", Count: 2}); err != nil {
		t.Fatal(err)
	}

	// serve restarts: new connections, new Holds.
	s = open(t, dir)
	slack, discord := &fakeNotifier{}, &fakeNotifier{}
	after := NewHold("slack", slack, s, discard)
	other := NewHold("discord", discord, s, discard)
	if _, err := s.Stop(ctx, "web-01", now); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		after.Check(ctx)
		other.Check(ctx)
	}
	if len(slack.posts) != 1 || len(discord.posts) != 0 {
		t.Fatalf("summaries after the restart: slack %+v, discord %+v; want one on slack", slack.posts, discord.posts)
	}
	if sum := slack.posts[0]; sum.Kind != alert.KindMaintenance || sum.Count != 2 || sum.State != "web BACKOFF ×1, web FATAL ×1" {
		t.Errorf("summary %+v", sum)
	}
}

// TestMutedCountedInSummary: a muted program's alert during a window is
// not posted, and the window's summary counts it as muted; the host's
// engine lets it through to the Hold while the window runs. Outside a
// window a mute silences it as before, uncounted.
func TestMutedCountedInSummary(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	now := time.Now()
	if _, _, err := s.Mute(ctx, Mute{Host: "web-01", Target: "worker", Until: now.Add(time.Hour), By: "local:olga"}, now); err != nil {
		t.Fatal(err)
	}
	m := s.Muter("web-01", discard)
	if !m.Muted([]string{"worker"}, now) {
		t.Fatal("a muted program outside a window is not muted")
	}
	if _, err := s.Start(ctx, Window{Host: "web-01", Start: now.Add(-time.Minute), End: now.Add(time.Hour), By: "local:alice"}); err != nil {
		t.Fatal(err)
	}
	if m.Muted([]string{"worker"}, now) {
		t.Error("during a window the engine drops a muted alert the summary should count")
	}
	inner := &fakeNotifier{}
	h := NewHold("slack", inner, s, discard)
	h.now = func() time.Time { return now }
	for _, a := range []alert.Alert{alertOf("web-01", "worker", "FATAL"), alertOf("web-01", "web", "FATAL")} {
		if _, err := h.PostAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Stop(ctx, "web-01", now); err != nil {
		t.Fatal(err)
	}
	h.Check(ctx)
	if len(inner.posts) != 1 {
		t.Fatalf("posts %+v, want the summary alone", inner.posts)
	}
	if sum := inner.posts[0]; sum.Count != 2 || sum.State != "web FATAL ×1; muted (/ops mute): worker FATAL ×1" {
		t.Errorf("summary %+v", sum)
	}
	if _, err := h.PostAlert(ctx, alertOf("web-01", "worker", "FATAL")); err != nil {
		t.Fatal(err)
	}
	h.Check(ctx)
	if len(inner.posts) != 1 {
		t.Errorf("a muted alert after the window was posted or summed up: %+v", inner.posts)
	}
}

// TestMuteRenewalAnnounced: muting a program whose mute runs is announced
// as a renewal, naming the end it replaces and who set it.
func TestMuteRenewalAnnounced(t *testing.T) {
	s := open(t, t.TempDir())
	var told []string
	o := Ops{Store: s, Host: "web-01", Max: 24 * time.Hour,
		Announce: func(_ context.Context, text string) error { told = append(told, text); return nil }}
	mute := func(d string, who string) ops.Outcome {
		t.Helper()
		out, err := run(t, o, ops.Operation{Name: "ops.mute", Target: "web", Args: []ops.Arg{{Key: "duration", Value: d}}}, ops.Actor{Platform: "local", ID: who})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	mute("10m", "olga")
	out := mute("2h", "vic")
	if len(told) != 2 || !strings.Contains(told[1], "local:vic renewed the mute of web on web-01") || !strings.Contains(told[1], "muted by local:olga") {
		t.Errorf("announced %q", told)
	}
	if !strings.Contains(out.Message, "renewed") {
		t.Errorf("the answer does not say it renewed: %s", out.Message)
	}
}
