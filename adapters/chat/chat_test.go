package chat

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

func TestAlertRefRoundTrips(t *testing.T) {
	ch, id, err := ParseAlertRef(AlertRef("C1", "1700000000.000100"))
	if err != nil || ch != "C1" || id != "1700000000.000100" {
		t.Fatalf("ParseAlertRef(AlertRef) = %q, %q, %v", ch, id, err)
	}
	if _, _, err := ParseAlertRef("no-slash"); err == nil {
		t.Error("a reference without a channel was accepted")
	}
}

func TestCheckTimestamp(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	notUnix := errors.New("not a unix time")
	tests := []struct {
		name string
		text string
		want error
	}{
		{"now", strconv.FormatInt(now.Unix(), 10), nil},
		{"4 minutes old", strconv.FormatInt(now.Add(-4*time.Minute).Unix(), 10), nil},
		{"6 minutes old", strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10), ErrStale},
		{"6 minutes ahead", strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10), ErrStale},
		{"not a number", "soon", notUnix},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckTimestamp(tt.text, now, 5*time.Minute, notUnix); !errors.Is(err, tt.want) {
				t.Errorf("CheckTimestamp(%q) = %v, want %v", tt.text, err, tt.want)
			}
		})
	}
}

type claims map[string]bool

func (c claims) Claim(_ context.Context, key string) (bool, error) {
	if c[key] {
		return false, nil
	}
	c[key] = true
	return true, nil
}

func TestClaimIsPerPlatform(t *testing.T) {
	ctx, c := context.Background(), claims{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, step := range []struct {
		platform, key string
		first         bool
	}{
		{"slack", "k", true},
		{"slack", "k", false},
		{"discord", "k", true},
		{"slack", "", true}, // no key: nothing to deduplicate
	} {
		if ok, err := Claim(ctx, c, log, step.platform, step.key); err != nil || ok != step.first {
			t.Errorf("Claim(%s, %q) = %v, %v; want %v", step.platform, step.key, ok, err, step.first)
		}
	}
}

func TestDecided(t *testing.T) {
	tests := []struct {
		name   string
		res    ops.Result
		id     string
		wantOK bool
	}{
		{"an approval accepted", ops.Result{Operation: "ops.approve", ApprovalID: "a1"}, "a1", true},
		{"another operation", ops.Result{Operation: "supervisor.status", ApprovalID: "a1"}, "", false},
		{"a refusal", ops.Result{Operation: "ops.approve", Status: ops.StatusDenied}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if id, ok := Decided(tt.res); id != tt.id || ok != tt.wantOK {
				t.Errorf("Decided = %q, %v; want %q, %v", id, ok, tt.id, tt.wantOK)
			}
		})
	}
}
