package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/cmd/internal/cli"
	"github.com/poolvisor/poolvisor/internal/app"
	"github.com/poolvisor/poolvisor/internal/config"
)

// heavy are packages whose inits or size the thin client exists to avoid:
// it would start no faster than poolvisord with any of them.
var heavy = []string{
	"github.com/prometheus/",
	"github.com/nats-io/",
	"modernc.org/",
	"github.com/bwmarrin/discordgo",
	"github.com/slack-go/",
	"github.com/spf13/viper",
	"github.com/gorilla/websocket",
	"encoding/gob",
	"crypto/x509",
	"net/http",
	"github.com/poolvisor/poolvisor/internal/app",
	"github.com/poolvisor/poolvisor/internal/config",
}

// TestDependenciesStayThin: the thin client links none of what makes
// poolvisord slow to start.
func TestDependenciesStayThin(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed %d packages: %q", len(deps), out)
	}
	for _, d := range deps {
		for _, h := range heavy {
			if d == h || strings.HasPrefix(d, h) {
				t.Errorf("the thin client imports %s (from %s)", d, h)
			}
		}
	}
}

// TestSameConstantsAsFull: what the thin client keeps of internal/app and
// internal/config, not to import them, is what they say.
func TestSameConstantsAsFull(t *testing.T) {
	if cli.ExitFailed != app.ExitFailed || cli.ExitUsage != app.ExitUsage {
		t.Errorf("exit codes: cli %d/%d, app %d/%d", cli.ExitFailed, cli.ExitUsage, app.ExitFailed, app.ExitUsage)
	}
	if defaultSocket != config.DefaultSocket {
		t.Errorf("default socket %q, config says %q", defaultSocket, config.DefaultSocket)
	}
	for _, c := range []struct{ name, flag, env string }{
		{"default", "", ""},
		{"environment", "", "/tmp/env.sock"},
		{"flag over environment", "/tmp/flag.sock", "/tmp/env.sock"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("POOLVISOR_SOCKET", c.env)
			if got, want := socketPath(c.flag), app.SocketPath(c.flag); got != want {
				t.Errorf("socketPath(%q) = %q, app.SocketPath says %q", c.flag, got, want)
			}
		})
	}
}
