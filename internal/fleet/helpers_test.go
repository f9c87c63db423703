package fleet

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"regexp"
	"testing"

	"github.com/poolvisor/poolvisor/internal/alert"
)

func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func matchString(pattern, s string) (bool, error) { return regexp.MatchString(pattern, s) }

// recorder is a chat notifier that tells what it was asked to post.
type recorder chan string

func (r recorder) PostAlert(_ context.Context, a alert.Alert) (string, error) {
	post := fmt.Sprintf("post %s %s on %s: %s", a.Program, a.State, a.Host, a.Action)
	if a.Pool != nil {
		post += " | apply: " + a.Pool.Apply
	}
	r <- post
	return "m1", nil
}

func (r recorder) UpdateAlert(_ context.Context, ref string, a alert.Alert) error {
	r <- fmt.Sprintf("update %s %s %s", ref, a.Program, a.State)
	return nil
}

func (r recorder) PostRecovery(_ context.Context, ref string, a alert.Alert) error {
	r <- fmt.Sprintf("recover %s %s", ref, a.Program)
	return nil
}

func alertFor(program, state string) alert.Alert {
	return alert.Alert{Kind: "program", Host: "spoofed", Program: program, State: state,
		Action: "supervisor restart " + program, ActionLabel: "Restart"}
}

// pins returns the hub's fleet.agent_keys for the agents' keys.
func (e *fleetEnv) pins() map[string]ed25519.PublicKey {
	out := map[string]ed25519.PublicKey{}
	for h, k := range e.agentKeys {
		out[h] = k.Public().(ed25519.PublicKey)
	}
	return out
}

func newKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}
