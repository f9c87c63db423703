package fleet

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

func TestANewHubStillNamesAHostThatWentDown(t *testing.T) {
	e := newFleet(t, "web-01", "web-02", "extra-01", "worker-01") // extra-01 is in no group or channel
	db, err := sqlitedb.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	reg, err := NewRegister(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	newHub := func() *Hub {
		h := NewHub(e.dial("hub"), HubConfig{Key: e.key, AgentKeys: e.pins(), Timeout: time.Second, DefaultHost: "web-01", Register: reg, Log: testLog(t)})
		if err := h.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.Stop)
		return h
	}
	if got := newHub().Hosts(t.Context()); !slices.Contains(got, "extra-01") {
		t.Fatalf("the first hub did not discover extra-01: %v", got)
	}
	e.cancel["extra-01"]()
	later := newHub() // as an exec started after extra-01 went down
	if got := later.Hosts(t.Context()); !slices.Contains(got, "extra-01") {
		t.Fatalf("a new hub forgot extra-01: %v", got)
	}
	if s, ok := later.lastSeen("extra-01"); !ok || s.Version != "test" {
		t.Errorf("a new hub does not remember when and as what it saw extra-01: %+v %v", s, ok)
	}
	out, err := later.read(t.Context(), later.expand(All), false, ops.Request{Actor: operator, Op: ops.Operation{Name: "supervisor.program.list", Host: All}})
	if err == nil || !strings.Contains(err.Error(), "== extra-01 ==\nhost unreachable") {
		t.Errorf("status across all: %v %+v", err, out)
	}
}
