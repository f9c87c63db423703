package discord

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestRESTCallsAreObserved: every call is counted by route (never by its
// path, which holds IDs and tokens), with failures and rate limits.
func TestRESTCallsAreObserved(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/channels/"):
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"message": "You are being rate limited.", "retry_after": 1, "global": false}`))
		case strings.HasPrefix(r.URL.Path, "/webhooks/"):
			w.WriteHeader(http.StatusNotFound)
		default:
			w.Write([]byte(`[]`))
		}
	}))
	defer srv.Close()
	type seen struct {
		route           string
		failed, limited bool
	}
	var (
		mu  sync.Mutex
		got []seen
	)
	c := newRESTClient(srv.URL, "bot", func(route string, failed, limited bool) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, seen{route, failed, limited})
	})
	ctx := context.Background()
	m := RenderText("hi")
	if _, err := c.Commands(ctx, "1", "2"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, "3", &m); err == nil {
		t.Error("a 429 is not an error")
	}
	if err := c.Followup(ctx, "1", "tok", &m); err == nil {
		t.Error("a 404 is not an error")
	}
	want := []seen{{"commands.get", false, false}, {"message.create", true, true}, {"webhook.followup", true, false}}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("observed %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("call %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
