package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/kolo/xmlrpc"
)

// State returns supervisord's state name (RUNNING once it is ready).
func (s *Supervisord) State(ctx context.Context) (string, error) {
	var reply struct {
		Name string `xmlrpc:"statename"`
	}
	if err := s.call(ctx, "supervisor.getState", &reply); err != nil {
		return "", err
	}
	return reply.Name, nil
}

// ProcessStates returns the state name (RUNNING, STOPPED, FATAL, ...) of
// every process, keyed by "group:name".
func (s *Supervisord) ProcessStates(ctx context.Context) (map[string]string, error) {
	var reply []struct {
		Name      string `xmlrpc:"name"`
		Group     string `xmlrpc:"group"`
		StateName string `xmlrpc:"statename"`
	}
	if err := s.call(ctx, "supervisor.getAllProcessInfo", &reply); err != nil {
		return nil, err
	}
	states := make(map[string]string, len(reply))
	for _, p := range reply {
		states[p.Group+":"+p.Name] = p.StateName
	}
	return states, nil
}

// call is a minimal XML-RPC call over the daemon's socket, enough for the
// sandbox's own needs; the real client lives in internal/supervisor.
func (s *Supervisord) call(ctx context.Context, method string, reply any, args ...any) error {
	body, err := xmlrpc.EncodeMethodCall(method, args...)
	if err != nil {
		return fmt.Errorf("encode %s: %w", method, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://supervisord/RPC2", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build %s request: %w", method, err)
	}
	req.Header.Set("Content-Type", "text/xml")
	socket := s.SocketPath
	client := &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("call %s: %w", method, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read %s response: %w", method, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("call %s: HTTP %s", method, resp.Status)
	}
	if err := xmlrpc.Response(data).Err(); err != nil {
		return fmt.Errorf("call %s: %w", method, err)
	}
	if err := xmlrpc.Response(data).Unmarshal(reply); err != nil {
		return fmt.Errorf("decode %s: %w", method, err)
	}
	return nil
}
