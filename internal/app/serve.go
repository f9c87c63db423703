package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// healthTimeout bounds one /healthz probe, so a hung daemon makes the check
// answer "down" instead of hanging the prober.
const healthTimeout = 3 * time.Second

// Handler returns poolvisor's HTTP endpoints.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.Handle("GET /metrics", a.Metrics.Handler())
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

// Serve runs the HTTP endpoints until ctx ends, then shuts down gracefully.
func (a *App) Serve(ctx context.Context) error {
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
		Handler:           a.Handler(),
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
