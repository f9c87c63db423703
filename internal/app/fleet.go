package app

import (
	"context"
	"crypto/ed25519"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/fleet"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/phpfpm"
	"github.com/poolvisor/poolvisor/internal/supervisor"
)

// Modes of the config key mode.
const (
	ModeStandalone = "standalone"
	ModeHub        = "hub"
	ModeAgent      = "agent"
)

func connConfig(cfg *config.Config, name string, wait bool) fleet.ConnConfig {
	return fleet.ConnConfig{
		URL: cfg.NATS.URL, CredentialsFile: cfg.NATS.CredentialsFile,
		CAFile: cfg.NATS.TLS.CAFile, CertFile: cfg.NATS.TLS.CertFile, KeyFile: cfg.NATS.TLS.KeyFile,
		Name: name, Wait: wait,
	}
}

// newHub connects a hub to NATS and learns which agents are there. exec and
// console need the connection at once; serve keeps trying in the background.
func (a *App) newHub(ctx context.Context, serving bool) (map[string]ops.Handler, error) {
	cfg := a.Config
	key, err := fleet.LoadPrivateKey("fleet.hub_key_file", cfg.Fleet.HubKeyFile)
	if err != nil {
		return nil, err
	}
	agentKeys := make(map[string]ed25519.PublicKey, len(cfg.Fleet.AgentKeys))
	for host, hexKey := range cfg.Fleet.AgentKeys {
		if agentKeys[host], err = fleet.ParsePublicKey("fleet.agent_keys."+host, hexKey); err != nil {
			return nil, err
		}
	}
	register, err := fleet.NewRegister(ctx, a.db)
	if err != nil {
		return nil, err
	}
	nc, err := fleet.Connect(connConfig(cfg, "poolvisor hub "+cfg.Host, serving), a.Log.With("part", "fleet"))
	if err != nil {
		return nil, err
	}
	a.nc = nc
	a.Hub = fleet.NewHub(nc, fleet.HubConfig{
		Key: key, AgentKeys: agentKeys, Timeout: cfg.Fleet.RequestTimeout, DefaultHost: cfg.DefaultHost,
		Groups: cfg.HostGroups, Channels: cfg.Channels, Register: register, Log: a.Log.With("part", "fleet"),
		Dropped: a.Metrics.FleetDropped,
		Files:   map[string]ops.FileOps{supervisor.ProgramKind: supervisor.ProgramOps, phpfpm.PoolKind: phpfpm.PoolOps},
	})
	if err := a.Hub.Start(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return a.Hub.Handlers(), nil
}

// runAgent serves this host's operations to the hub until ctx ends,
// connecting (and reconnecting) to NATS in the background.
func (a *App) runAgent(ctx context.Context) error {
	cfg := a.Config
	hubKey, err := fleet.ParsePublicKey("fleet.hub_public_key", cfg.Fleet.HubPublicKey)
	if err != nil {
		return err
	}
	key, err := fleet.LoadPrivateKey("fleet.agent_key_file", cfg.Fleet.AgentKeyFile)
	if err != nil {
		return err
	}
	replays, err := fleet.NewReplayCache(ctx, a.db)
	if err != nil {
		return err
	}
	nc, err := fleet.Connect(connConfig(cfg, "poolvisor agent "+cfg.Host, true), a.Log.With("part", "fleet"))
	if err != nil {
		return err
	}
	defer nc.Close()
	a.setNATS(nc)
	ag := fleet.NewAgent(nc, a.Pipeline, fleet.AgentConfig{
		Host: cfg.Host, Version: a.version, HubKey: hubKey, Key: key, Replays: replays,
		Health: a.daemonHealth, OpenAlerts: a.openAlerts,
		Log: a.Log.With("part", "fleet"),
	})
	if a.Alerts != nil {
		a.Alerts.AddNotifier("hub", a.hold("hub", ag.Notifier()))
	}
	return ag.Run(ctx)
}

func (a *App) setNATS(nc *nats.Conn) {
	a.natsMu.Lock()
	defer a.natsMu.Unlock()
	a.nc = nc
}

// natsHealth is the NATS connection as a part of /healthz, in fleet mode.
func (a *App) natsHealth() (ops.Component, bool) {
	a.natsMu.Lock()
	defer a.natsMu.Unlock()
	if a.nc == nil {
		if a.Config.Mode == ModeAgent {
			return ops.Component{Name: "nats", OK: false, Info: "not connected yet"}, true
		}
		return ops.Component{}, false
	}
	return fleet.Health(a.nc), true
}

func (a *App) openAlerts() int {
	if a.Alerts == nil {
		return 0
	}
	return a.Alerts.Open()
}

// addNotifier has alerts posted to a chat platform: this host's alerts in
// standalone mode, every agent's on a hub; either way held back while a
// maintenance window covers their host. Announcements (a break-glass
// session) are not alerts: they go out whatever window is open.
func (a *App) addNotifier(platform string, n alert.Notifier) {
	a.notifyMu.Lock()
	a.notifiers = append(a.notifiers, n)
	a.notifyMu.Unlock()
	n = a.hold(platform, n)
	switch {
	case a.Hub != nil:
		a.Hub.AddNotifier(platform, n)
	case a.Alerts != nil:
		a.Alerts.AddNotifier(platform, n)
	}
}

// runner is what the chat adapters run requests through: the pipeline,
// and on a hub the list of hosts for the Discord host option.
func (a *App) runner() hostRunner {
	return hostRunner{Pipeline: a.Pipeline, hub: a.Hub}
}

type hostRunner struct {
	*ops.Pipeline
	hub *fleet.Hub
}

// HostIn is the host a request from channel targets without --host.
func (r hostRunner) HostIn(channel string) string {
	if r.hub == nil {
		return r.Host()
	}
	return r.hub.DefaultFor(channel)
}

// Hosts lists what requests may name with --host: hosts, groups and all.
func (r hostRunner) Hosts(ctx context.Context) []string {
	if r.hub == nil {
		return []string{r.Host()}
	}
	return r.hub.Targets(ctx)
}

func modeError(mode string) error {
	return fmt.Errorf("mode %q: use standalone, hub or agent", mode)
}
