package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/adapters/discord"
	"github.com/poolvisor/poolvisor/adapters/slack"
)

// healthTimeout bounds one /healthz probe, so a hung daemon makes the check
// answer "down" instead of hanging the prober.
const healthTimeout = 3 * time.Second

// Handler returns poolvisor's HTTP endpoints without any chat surface.
func (a *App) Handler() http.Handler { return a.handler(nil, nil) }

// handler returns the HTTP endpoints, with Slack's when sl serves over HTTP
// and Discord's when dc does.
func (a *App) handler(sl *slack.Adapter, dc *discord.Adapter) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.Handle("GET /metrics", a.Metrics.Handler())
	if sl != nil && a.Config.Slack.Mode == slack.ModeHTTP {
		mux.Handle("POST /slack/commands", sl.CommandsHandler())
		mux.Handle("POST /slack/interactions", sl.InteractionsHandler())
	}
	if dc != nil {
		mux.Handle("POST /discord/interactions", dc.Handler())
	}
	return mux
}

func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	parts := a.health(ctx)
	status, code := "ok", http.StatusOK
	for _, p := range parts {
		if !p.OK {
			status, code = "unhealthy", http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "host": a.Config.Host, "components": parts})
}

// Serve runs the HTTP endpoints and the chat adapters until ctx ends, then
// shuts down gracefully: the HTTP server first, then work in flight.
func (a *App) Serve(ctx context.Context) error {
	sl, err := a.newSlack(ctx)
	if err != nil {
		return err
	}
	dc, err := a.newDiscord(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	if sl != nil {
		wg.Go(func() {
			if err := sl.Run(ctx); err != nil {
				errc <- fmt.Errorf("slack: %w", err)
				cancel()
			}
		})
		a.Log.Info("slack enabled", "mode", a.Config.Slack.Mode)
	}
	if dc != nil {
		wg.Go(func() {
			if err := dc.Run(ctx); err != nil {
				errc <- fmt.Errorf("discord: %w", err)
				cancel()
			}
		})
		a.Log.Info("discord enabled", "mode", a.Config.Discord.Mode)
	}
	if a.Config.Mode == ModeAgent {
		wg.Go(func() {
			if err := a.runAgent(ctx); err != nil {
				errc <- fmt.Errorf("fleet agent: %w", err)
				cancel()
			}
		})
		a.Log.Info("fleet agent enabled", "host", a.Config.Host, "nats", a.Config.NATS.URL)
	}
	err = a.serveHTTP(ctx, sl, dc)
	cancel()
	wg.Wait()
	close(errc)
	if err != nil {
		return err
	}
	return <-errc
}

func (a *App) serveHTTP(ctx context.Context, sl *slack.Adapter, dc *discord.Adapter) error {
	if a.Config.Listen == "" {
		a.startBackground(ctx)
		a.Log.Info("no listen address: HTTP endpoints are off")
		<-ctx.Done()
		return nil
	}
	ln, err := net.Listen("tcp", a.Config.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Listen, err)
	}
	srv := &http.Server{
		Handler:           a.handler(sl, dc),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	a.Log.Info("serving", "listen", ln.Addr().String(), "host", a.Config.Host)
	a.startBackground(ctx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shut down HTTP server: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	a.Log.Info("stopped")
	return nil
}
