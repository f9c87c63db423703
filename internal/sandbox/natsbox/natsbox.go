// Package natsbox runs a real NATS server (the nats-server module, embedded)
// for tests of fleet mode, on a loopback port that stays the same when the
// server is restarted, so that clients reconnect to it.
package natsbox

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is an embedded NATS server.
type Server struct {
	t    testing.TB
	port int
	conf func(*server.Options)

	mu  sync.Mutex
	srv *server.Server
}

// Start runs a NATS server on a free loopback port until the test ends.
// conf, when given, changes its options (authorization, for instance).
func Start(t testing.TB, conf func(*server.Options)) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &Server{t: t, port: port, conf: conf}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// StartFile runs a NATS server from a server config file (authorization,
// permissions and limits as written there), on a free loopback port.
func StartFile(t testing.TB, path string) *Server {
	t.Helper()
	return Start(t, func(o *server.Options) {
		fo, err := server.ProcessConfigFile(path)
		if err != nil {
			t.Fatalf("nats server config %s: %v", path, err)
		}
		fo.Host, fo.Port, fo.NoLog, fo.NoSigs = o.Host, o.Port, true, true
		*o = *fo
	})
}

// URL is the server's client URL.
func (s *Server) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

func (s *Server) start() {
	s.t.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: s.port, NoLog: true, NoSigs: true}
	if s.conf != nil {
		s.conf(opts)
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		s.t.Fatalf("nats server: %v", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		s.t.Fatal("nats server did not start within 10s")
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
}

// Stop shuts the server down (clients see their connection drop).
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// Restart stops the server and starts a new one on the same port.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}
