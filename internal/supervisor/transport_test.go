package supervisor

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"plain", "<string>hello</string>", "<string>hello</string>"},
		{"allowed whitespace", "a\tb\nc\rd", "a\tb\nc\rd"},
		{"ansi escape", "\x1b[31mred\x1b[0m", "\ue01b[31mred\ue01b[0m"},
		{"nul and other C0", "\x00\x01\x08\x0b\x0c\x1f", "\ue000\ue001\ue008\ue00b\ue00c\ue01f"},
		{"DEL and C1 are legal XML", "\x7f\u0085", "\x7f\u0085"},
		{"multibyte", "café ☕ 𝄞", "café ☕ 𝄞"},
		{"invalid utf-8", "a\xffb\xc3", "a\ufffdb\ufffd"},
		{"non-characters", "\uFFFE\uFFFF", "\ufffd\ufffd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(sanitize([]byte(tt.in))); got != tt.want {
				t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRestoreControls(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"nothing to do", "plain café", "plain café"},
		{"ansi", "\ue01b[1mbold\ue01b[0m", "\x1b[1mbold\x1b[0m"},
		{"range ends", "\ue000\ue01f\ue020", "\x00\x1f\ue020"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RestoreControls(tt.in); got != tt.want {
				t.Errorf("RestoreControls(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	for b := range 0x20 {
		s := string([]byte{byte(b)})
		if b == '\t' || b == '\n' || b == '\r' {
			continue
		}
		if got := RestoreControls(string(sanitize([]byte(s)))); got != s {
			t.Errorf("round trip of byte %#x = %q", b, got)
		}
	}
}

func TestCheckEnvelope(t *testing.T) {
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{"params", `<?xml version='1.0'?><methodResponse><params><param><value><int>1</int></value></param></params></methodResponse>`, true},
		{"fault", `<methodResponse><fault><value><struct></struct></value></fault></methodResponse>`, true},
		{"html", `<html><body>hello</body></html>`, false},
		{"text", `hello`, false},
		{"empty", ``, false},
		{"truncated", `<methodResponse><params><param><value><string>abc`, false},
		{"empty methodResponse", `<methodResponse></methodResponse>`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := checkEnvelope([]byte(tt.body)); (err == nil) != tt.ok {
				t.Errorf("checkEnvelope = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestNewClient(t *testing.T) {
	tests := []struct {
		name     string
		url      string
		user     string
		timeout  time.Duration
		wantURL  string
		endpoint string
		wantUser string
		wantErr  bool
	}{
		{name: "unix", url: "unix:///run/supervisor.sock", wantURL: "unix:///run/supervisor.sock", endpoint: "http://supervisord/RPC2"},
		{name: "http adds RPC2", url: "http://127.0.0.1:9001", wantURL: "http://127.0.0.1:9001", endpoint: "http://127.0.0.1:9001/RPC2"},
		{name: "http slash", url: "http://h:9001/", wantURL: "http://h:9001/", endpoint: "http://h:9001/RPC2"},
		{name: "http keeps path", url: "https://h/custom", wantURL: "https://h/custom", endpoint: "https://h/custom"},
		{name: "credentials in URL", url: "http://bob:secret@h:9001", wantURL: "http://h:9001", endpoint: "http://h:9001/RPC2", wantUser: "bob"},
		{name: "explicit user wins", url: "http://bob:secret@h:9001", user: "alice", wantURL: "http://h:9001", endpoint: "http://h:9001/RPC2", wantUser: "alice"},
		{name: "relative unix path", url: "unix://run/x.sock", wantErr: true},
		{name: "unix without path", url: "unix://", wantErr: true},
		{name: "http without host", url: "http:///RPC2", wantErr: true},
		{name: "other scheme", url: "ftp://h", wantErr: true},
		{name: "no scheme", url: "/run/supervisor.sock", wantErr: true},
		{name: "negative timeout", url: "unix:///x.sock", timeout: -time.Second, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.url, tt.user, "pw", tt.timeout)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("NewClient(%q) succeeded", tt.url)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.URL() != tt.wantURL || c.endpoint != tt.endpoint || c.username != tt.wantUser || c.timeout != DefaultTimeout {
				t.Errorf("got url %q endpoint %q user %q timeout %s", c.URL(), c.endpoint, c.username, c.timeout)
			}
		})
	}
}

const rpcStateResponse = `<?xml version='1.0'?>
<methodResponse><params><param><value><struct>
<member><name>statecode</name><value><int>1</int></value></member>
<member><name>statename</name><value><string>RUNNING</string></value></member>
</struct></value></param></params></methodResponse>`

// TestClientHTTP covers what a Unix socket cannot: the HTTP path, basic auth
// and answers from something that is not supervisord.
func TestClientHTTP(t *testing.T) {
	var mu sync.Mutex
	var path, auth, method, body string
	status, answer := http.StatusOK, rpcStateResponse
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		path, auth, method, body = r.URL.Path, r.Header.Get("Authorization"), r.Method, string(b)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	defer srv.Close()
	set := func(s int, a string) { mu.Lock(); status, answer = s, a; mu.Unlock() }
	ctx := context.Background()

	c, err := NewClient(srv.URL, "user", "secret", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, name, err := c.GetState(ctx)
	mu.Lock()
	if err != nil || name != "RUNNING" || path != "/RPC2" || method != http.MethodPost ||
		auth != "Basic dXNlcjpzZWNyZXQ=" || !strings.Contains(body, "<methodName>supervisor.getState</methodName>") {
		t.Errorf("GetState = %q, %v; server saw %s %s auth %q body %q", name, err, method, path, auth, body)
	}
	mu.Unlock()

	anon, err := NewClient(srv.URL+"/custom", "", "", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = anon.GetState(ctx)
	mu.Lock()
	if err != nil || path != "/custom" || auth != "" {
		t.Errorf("without credentials: err %v, path %s, auth %q", err, path, auth)
	}
	mu.Unlock()

	tests := []struct {
		name       string
		status     int
		answer     string
		wantStatus int
	}{
		{"unauthorized", http.StatusUnauthorized, "Unauthorized", 401},
		{"server error", http.StatusInternalServerError, "oops", 500},
		{"plain text", http.StatusOK, "hello, I am a web server", 0},
		{"html", http.StatusOK, "<html><body>login</body></html>", 0},
		{"truncated XML", http.StatusOK, rpcStateResponse[:100], 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set(tt.status, tt.answer)
			_, _, err := c.GetState(ctx)
			ue := assertUnreachable(t, err, srv.URL)
			var he *HTTPStatusError
			if got := errors.As(ue, &he); got != (tt.wantStatus != 0) || got && he.StatusCode != tt.wantStatus {
				t.Errorf("cause %v, want HTTP status %d", ue.Err, tt.wantStatus)
			}
		})
	}

	set(http.StatusOK, rpcStateResponse)
	if _, _, err := c.GetState(ctx); err != nil {
		t.Errorf("client broken after bad answers: %v", err)
	}
}
