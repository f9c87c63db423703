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

	"github.com/poolvisor/poolvisor/adapters/chat"
)

// healthTimeout bounds one /healthz probe, so a hung daemon makes the check
// answer "down" instead of hanging the prober.
const healthTimeout = 3 * time.Second

// Handler returns poolvisor's HTTP endpoints without any chat surface.
func (a *App) Handler() http.Handler { return a.handler(nil) }

// handler returns the HTTP endpoints, with the routes of each platform.
func (a *App) handler(chats []chat.Platform) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.Handle("GET /metrics", a.Metrics.Handler())
	for _, p := range chats {
		for _, r := range p.Routes() {
			mux.Handle(r.Pattern, r.Handler)
		}
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
	chats, err := a.newPlatforms(ctx)
	if err != nil {
		return err
	}
	sock, err := a.listenSocket()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, len(chats)+2)
	if sock != nil {
		wg.Go(func() {
			if err := a.serveSocket(ctx, sock); err != nil {
				errc <- fmt.Errorf("local socket: %w", err)
				cancel()
			}
		})
	}
	for _, p := range chats {
		wg.Go(func() {
			if err := p.Run(ctx); err != nil {
				errc <- fmt.Errorf("%s: %w", p.Name(), err)
				cancel()
			}
		})
		a.Log.Info(p.Name()+" enabled", "mode", p.Mode())
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
	err = a.serveHTTP(ctx, chats)
	cancel()
	wg.Wait()
	close(errc)
	if err != nil {
		return err
	}
	return <-errc
}

func (a *App) serveHTTP(ctx context.Context, chats []chat.Platform) error {
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
		Handler:           a.handler(chats),
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
