package slack

import (
	"bufio"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
)

// vector is Slack's published signing example (../shared/vectors).
type vector struct {
	secret, timestamp, signature, body string
}

func loadVector(t *testing.T) vector {
	t.Helper()
	f, err := os.Open("testdata/slack-signature.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var v vector
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ": ")
		switch {
		case !ok || strings.HasPrefix(key, "#"):
		case key == "signing_secret":
			v.secret = val
		case key == "X-Slack-Request-Timestamp":
			v.timestamp = val
		case key == "X-Slack-Signature":
			v.signature = val
		case key == "body":
			v.body = val
		}
	}
	if v.secret == "" || v.body == "" || v.signature == "" {
		t.Fatalf("incomplete vector: %+v", v)
	}
	return v
}

func header(ts, sig string) http.Header {
	h := http.Header{}
	if ts != "" {
		h.Set("X-Slack-Request-Timestamp", ts)
	}
	if sig != "" {
		h.Set("X-Slack-Signature", sig)
	}
	return h
}

func TestVerifyPublishedVector(t *testing.T) {
	v := loadVector(t)
	ts, _ := strconv.ParseInt(v.timestamp, 10, 64)
	at := time.Unix(ts, 0)
	if err := verify(header(v.timestamp, v.signature), []byte(v.body), v.secret, at); err != nil {
		t.Fatalf("the published example is refused: %v", err)
	}
	// Every one-byte change of the body, the timestamp or the secret is refused.
	flip := func(s string, i int) string {
		b := []byte(s)
		b[i] ^= 0x01
		return string(b)
	}
	for i := range len(v.body) {
		if verify(header(v.timestamp, v.signature), []byte(flip(v.body, i)), v.secret, at) == nil {
			t.Fatalf("body changed at byte %d is accepted", i)
		}
	}
	for i := range len(v.timestamp) {
		if verify(header(flip(v.timestamp, i), v.signature), []byte(v.body), v.secret, at) == nil {
			t.Fatalf("timestamp changed at byte %d is accepted", i)
		}
	}
	for i := range len(v.secret) {
		if verify(header(v.timestamp, v.signature), []byte(v.body), flip(v.secret, i), at) == nil {
			t.Fatalf("secret changed at byte %d is accepted", i)
		}
	}
	for i := len("v0="); i < len(v.signature); i++ {
		if verify(header(v.timestamp, flip(v.signature, i)), []byte(v.body), v.secret, at) == nil {
			t.Fatalf("signature changed at byte %d is accepted", i)
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	const secret = "s3cret"
	now := time.Now()
	body := []byte("command=%2Fsupervisor&text=status")
	good := func(at time.Time) http.Header {
		return header(strconv.FormatInt(at.Unix(), 10), slackfake.Sign(secret, at.Unix(), body))
	}
	tests := []struct {
		name string
		h    http.Header
		want error
	}{
		{"fresh", good(now), nil},
		{"4 minutes old", good(now.Add(-4 * time.Minute)), nil},
		{"6 minutes old", good(now.Add(-6 * time.Minute)), chat.ErrStale},
		{"6 minutes ahead", good(now.Add(6 * time.Minute)), chat.ErrStale},
		{"no signature", header(strconv.FormatInt(now.Unix(), 10), ""), errNoSignature},
		{"no timestamp", header("", slackfake.Sign(secret, now.Unix(), body)), errNoSignature},
		{"timestamp not a number", header("soon", slackfake.Sign(secret, now.Unix(), body)), errBadTimestamp},
		{"v1 scheme", header(strconv.FormatInt(now.Unix(), 10), "v1="+slackfake.Sign(secret, now.Unix(), body)[3:]), chat.ErrBadSignature},
		{"not hex", header(strconv.FormatInt(now.Unix(), 10), "v0=zz"), chat.ErrBadSignature},
		{"short", header(strconv.FormatInt(now.Unix(), 10), "v0=abcd"), chat.ErrBadSignature},
	}
	for _, tt := range tests {
		if got := verify(tt.h, body, secret, now); got != tt.want {
			t.Errorf("%s: verify = %v, want %v", tt.name, got, tt.want)
		}
	}
	if verify(good(now), body, "", now) == nil {
		t.Error("an empty signing secret accepts requests")
	}
}
