package discordfake

import (
	"errors"
	"fmt"
	"time"
)

// GatewayURL is the URL GET /gateway/bot answers with.
func (s *Server) GatewayURL() string { return s.gw.wsURL(gatewayPath) }

// SetHeartbeatInterval sets the interval the next HELLOs ask for.
func (s *Server) SetHeartbeatInterval(d time.Duration) {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	s.gw.interval = d
}

// MuteHeartbeatAcks stops (or resumes) acknowledging heartbeats, as a
// connection that died without closing would.
func (s *Server) MuteHeartbeatAcks(mute bool) {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	s.gw.muteAcks = mute
}

// GatewayStats returns what the Gateway has seen so far.
func (s *Server) GatewayStats() GatewayStats {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	return s.gw.stats
}

// WaitGateway waits up to d until ok accepts the Gateway's stats.
func (s *Server) WaitGateway(d time.Duration, what string, ok func(GatewayStats) bool) error {
	deadline := time.After(d)
	for {
		s.gw.mu.Lock()
		st, ch := s.gw.stats, s.gw.changed
		s.gw.mu.Unlock()
		if ok(st) {
			return nil
		}
		select {
		case <-ch:
		case <-deadline:
			return fmt.Errorf("gateway: %s did not happen within %s; stats %+v", what, d, st)
		}
	}
}

// WaitReady waits until a connection holds a ready session (READY or
// RESUMED sent).
func (s *Server) WaitReady(d time.Duration) error {
	return s.WaitGateway(d, "a ready session", func(st GatewayStats) bool { return st.Ready })
}

// Dispatch sends event with data as the session's next dispatch and
// returns its sequence number. With no connection ready it is kept, and
// sent when the bot resumes the session.
func (s *Server) Dispatch(event string, data any) (int, error) {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	if s.gw.session == "" {
		return 0, errors.New("gateway: no session; the bot has not identified")
	}
	return s.gw.dispatch(s.gw.conn, event, data)
}

// SendInteraction dispatches an interaction (built with Command, Click or
// Submit) as INTERACTION_CREATE; its answer is a Call to
// interactions/{id}/{token}/callback.
func (s *Server) SendInteraction(in map[string]any) error {
	id, _ := in["id"].(string)
	tok, _ := in["token"].(string)
	typ, _ := in["type"].(int)
	if id == "" || tok == "" {
		return errors.New("gateway: an interaction needs an id and a token")
	}
	s.mu.Lock()
	s.interactions[tok] = &interaction{id: id, typ: typ}
	s.mu.Unlock()
	_, err := s.Dispatch("INTERACTION_CREATE", in)
	return err
}

// current returns the connection, or an error when there is none.
func (h *gatewayHub) current() (*gwClient, error) {
	if h.conn == nil {
		return nil, errors.New("gateway: no bot is connected")
	}
	return h.conn, nil
}

// DropGateway cuts the connection without a close frame, as a network
// failure would; the session survives for a RESUME.
func (s *Server) DropGateway() error {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	c, err := s.gw.current()
	if err != nil {
		return err
	}
	c.ws.Close()
	s.gw.conn, s.gw.stats.Ready = nil, false
	s.gw.notify()
	return nil
}

// CloseGateway closes the connection with code, as Discord does (4000:
// resume; 4004: bad token, final; 4009: session timed out, identify).
// Codes 4007 and 4009 end the session.
func (s *Server) CloseGateway(code int, text string) error {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	c, err := s.gw.current()
	if err != nil {
		return err
	}
	if code == 4007 || code == 4009 {
		s.gw.session, s.gw.sent = "", nil
	}
	s.gw.closeWith(c, code, text)
	s.gw.conn, s.gw.stats.Ready = nil, false
	s.gw.notify()
	return nil
}

// InvalidateSession sends INVALID_SESSION; unless resumable the session
// ends, and the bot must identify again.
func (s *Server) InvalidateSession(resumable bool) error {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	c, err := s.gw.current()
	if err != nil {
		return err
	}
	if !resumable {
		s.gw.session, s.gw.sent = "", nil
	}
	s.gw.stats.InvalidSessions++
	s.gw.notify()
	return s.gw.write(c, gwFrame{Op: 9, D: resumable})
}

// RequestReconnect sends RECONNECT: the bot should resume on a new
// connection.
func (s *Server) RequestReconnect() error { return s.send(gwFrame{Op: 7}) }

// RequestHeartbeat sends HEARTBEAT: the bot should send one at once.
func (s *Server) RequestHeartbeat() error { return s.send(gwFrame{Op: 1}) }

func (s *Server) send(f gwFrame) error {
	s.gw.mu.Lock()
	defer s.gw.mu.Unlock()
	c, err := s.gw.current()
	if err != nil {
		return err
	}
	return s.gw.write(c, f)
}
