package discordfake

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// limit is a number of 429 answers still to give to calls of one route,
// and how long each asks to wait.
type limit struct {
	times int
	after time.Duration
}

// RateLimitNext makes the next times calls whose "METHOD path" starts with
// route (like "POST channels/") answer as Discord does past a rate limit:
// HTTP 429 with Retry-After, the X-RateLimit-* headers and a JSON body
// whose retry_after (seconds, fractional) says how long to wait.
// https://discord.com/developers/docs/topics/rate-limits#exceeding-a-rate-limit
func (s *Server) RateLimitNext(route string, times int, after time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limits == nil {
		s.limits = map[string]limit{}
	}
	s.limits[route] = limit{times: times, after: after}
}

// rateLimited answers a 429 and records the call when the route is
// limited; it reports whether it did.
func (s *Server) rateLimited(w http.ResponseWriter, c Call) bool {
	key := c.Method + " " + c.Path
	s.mu.Lock()
	var hit *limit
	var route string
	for r, l := range s.limits {
		if l.times > 0 && strings.HasPrefix(key, r) {
			l.times--
			s.limits[r] = l
			hit, route = &l, r
			break
		}
	}
	s.mu.Unlock()
	if hit == nil {
		return false
	}
	secs := hit.after.Seconds()
	c.Err = "429: You are being rate limited."
	s.record(c)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Retry-After", fmt.Sprintf("%d", int(secs+0.999)))
	h.Set("X-RateLimit-Limit", "5")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset-After", fmt.Sprintf("%.3f", secs))
	h.Set("X-RateLimit-Bucket", fmt.Sprintf("%x", len(route)))
	h.Set("X-RateLimit-Scope", "user")
	w.WriteHeader(http.StatusTooManyRequests)
	fmt.Fprintf(w, `{"message": "You are being rate limited.", "retry_after": %.3f, "global": false}`, secs)
	return true
}
