package discord

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
)

func TestVerify(t *testing.T) {
	key, other := discordfake.NewKey(), discordfake.NewKey()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"type":1}`)
	signed := func(k discordfake.Key, at time.Time, b []byte) http.Header {
		ts := strconv.FormatInt(at.Unix(), 10)
		h := http.Header{}
		h.Set("X-Signature-Timestamp", ts)
		h.Set("X-Signature-Ed25519", k.Sign(ts, b))
		return h
	}
	for _, tc := range []struct {
		name string
		h    http.Header
		body []byte
		want error
	}{
		{"good", signed(key, now, body), body, nil},
		{"good, 4 minutes old", signed(key, now.Add(-4*time.Minute), body), body, nil},
		{"another key", signed(other, now, body), body, chat.ErrBadSignature},
		{"tampered body", signed(key, now, body), []byte(`{"type":2}`), chat.ErrBadSignature},
		{"stale", signed(key, now.Add(-6*time.Minute), body), body, chat.ErrStale},
		{"ahead", signed(key, now.Add(6*time.Minute), body), body, chat.ErrStale},
		{"missing signature", func() http.Header { h := signed(key, now, body); h.Del("X-Signature-Ed25519"); return h }(), body, errNoSignature},
		{"missing timestamp", func() http.Header { h := signed(key, now, body); h.Del("X-Signature-Timestamp"); return h }(), body, errNoSignature},
		{"not hex", func() http.Header { h := signed(key, now, body); h.Set("X-Signature-Ed25519", "zz"); return h }(), body, chat.ErrBadSignature},
		{"zeros", func() http.Header {
			h := signed(key, now, body)
			h.Set("X-Signature-Ed25519", strings.Repeat("0", 128))
			return h
		}(), body, chat.ErrBadSignature},
		{"timestamp not a number", func() http.Header { h := signed(key, now, body); h.Set("X-Signature-Timestamp", "soon"); return h }(), body, errBadTimestamp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := verify(tc.h, tc.body, key.Public, now); !errors.Is(err, tc.want) {
				t.Errorf("verify: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParsePublicKey(t *testing.T) {
	if _, err := ParsePublicKey(discordfake.NewKey().PublicHex()); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "abc", strings.Repeat("g", 64), strings.Repeat("0", 62)} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
