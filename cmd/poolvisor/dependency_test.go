package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/cmd/internal/cli"
	"github.com/poolvisor/poolvisor/internal/app"
	"github.com/poolvisor/poolvisor/internal/config"
)

// ours are the only packages of poolvisor's that the thin client links:
// each of the others brings inits and pages it exists to avoid.
var ours = []string{
	"github.com/poolvisor/poolvisor/cmd/poolvisor",
	"github.com/poolvisor/poolvisor/cmd/internal/cli",
	"github.com/poolvisor/poolvisor/adapters/socket/wire",
	"github.com/poolvisor/poolvisor/internal/printable",
}

// heavy are packages of the standard library whose inits or size cost the
// thin client start-up time, and which it does without: one request over
// a unix socket needs no net (its poller, its resolver), no crypto, no
// regexp, no logger, no user database. (os/signal is linked, and used only
// by --json, where an interrupt must still print one object.)
var heavy = []string{"net/", "crypto/", "regexp/", "log/", "os/user", "encoding/gob"}

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
		if strings.Contains(strings.Split(d, "/")[0], ".") { // not the standard library
			if !slices.Contains(ours, d) {
				t.Errorf("the thin client imports %s", d)
			}
			continue
		}
		for _, h := range heavy {
			// "net/" is net and what is under it.
			if d == strings.TrimSuffix(h, "/") || strings.HasSuffix(h, "/") && strings.HasPrefix(d, h) {
				t.Errorf("the thin client imports %s", d)
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
