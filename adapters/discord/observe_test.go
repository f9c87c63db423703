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
	var sends sync.Map // channel -> calls so far
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/channels/3/messages": // limited once, briefly
			if n, _ := sends.LoadOrStore("3", 1); n.(int) == 1 {
				sends.Store("3", 2)
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				w.Write([]byte(`{"message": "You are being rate limited.", "retry_after": 0.05, "global": false}`))
				return
			}
			w.Write([]byte(`{"id": "9"}`))
		case strings.HasPrefix(r.URL.Path, "/channels/"): // limited for longer than anyone should wait
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"message": "You are being rate limited.", "retry_after": 600, "global": true}`))
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
	if id, err := c.Send(ctx, "3", &m); err != nil || id != "9" {
		t.Errorf("a brief 429 was not waited out: %q %v", id, err)
	}
	if _, err := c.Send(ctx, "4", &m); err == nil {
		t.Error("a 429 of ten minutes is not an error")
	}
	err := c.Followup(ctx, "1", "secret-token", &m)
	if err == nil {
		t.Error("a 404 is not an error")
	} else if strings.Contains(err.Error(), "secret-token") {
		t.Errorf("the error shows the interaction token: %v", err)
	}
	want := []seen{{"commands.get", false, false}, {"message.create", true, true}, {"message.create", false, false},
		{"message.create", true, true}, {"webhook.followup", true, false}}
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
