package view

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/fleet"
	"github.com/poolvisor/poolvisor/internal/ops"
)

func programs(states ...string) ops.ProgramList {
	var l ops.ProgramList
	for i, s := range states {
		l.Programs = append(l.Programs, ops.Process{Name: "p" + string(rune('a'+i)), State: s})
	}
	return l
}

func TestHosts(t *testing.T) {
	okWeb := ops.HostSection{Host: "web-01", Status: ops.StatusOK, Parts: []ops.Part{ops.Prose("2 process(es) on web-01:"), ops.ProcessTable(programs("RUNNING", "RUNNING").Programs)}, Data: programs("RUNNING", "RUNNING")}
	down := ops.HostSection{Host: "web-02", Status: ops.StatusFailed, Unreachable: true, Parts: []ops.Part{ops.Prose("host unreachable: no answer")}, Data: map[string]any{}}
	if parts := Hosts(ops.Result{Operation: "ops.hosts", Data: map[string]any{"hosts": []ops.HostInfo{{Name: "web-01", Healthy: true}}}}); len(parts) != 0 {
		t.Errorf("an answer without host sections has parts: %+v", parts)
	}
	parts := Hosts(ops.Result{Status: ops.StatusFailed, Operation: "supervisor.program.list", Body: ops.Body{Hosts: []ops.HostSection{okWeb, down}}})
	var names []string
	for _, p := range parts {
		names = append(names, p.Host)
		if p.Result.Operation != "supervisor.program.list" || p.Result.Status != p.Status {
			t.Errorf("%s: operation %q, status %q/%q", p.Host, p.Result.Operation, p.Result.Status, p.Status)
		}
	}
	if !slices.Equal(names, []string{"web-01", "web-02"}) {
		t.Errorf("hosts = %v", names)
	}
	if d := Decode(parts[0].Result.Data); d.Programs == nil || len(*d.Programs) != 2 || parts[0].Result.Summary() != "2 process(es) on web-01:" {
		t.Errorf("the host's own answer is not kept: %+v", parts[0].Result)
	}
	if parts[0].Unreachable() || !parts[1].Unreachable() || parts[1].OK() {
		t.Errorf("Unreachable or OK wrong: %+v", parts)
	}
}

func TestAttentionFirst(t *testing.T) {
	part := func(host string, status ops.Status, data any) HostPart {
		return HostPart{Host: host, Status: status, Result: ops.Result{Status: status, Data: data}}
	}
	parts := []HostPart{
		part("a", ops.StatusOK, programs("RUNNING")),
		part("b", ops.StatusOK, programs("RUNNING", "FATAL")),
		part("c", ops.StatusFailed, nil),
		part("d", ops.StatusOK, programs("STOPPED")), // stopped on purpose, most likely
		part("e", ops.StatusDenied, nil),
		part("f", ops.StatusOK, programs("BACKOFF")),
	}
	var got []string
	for _, p := range AttentionFirst(parts) {
		got = append(got, p.Host)
	}
	if want := []string{"c", "e", "b", "f", "a", "d"}; !slices.Equal(got, want) {
		t.Errorf("AttentionFirst = %v, want %v", got, want)
	}
	if s, ok := parts[1].NeedsLook(); !ok || s != "FATAL" {
		t.Errorf("NeedsLook = %q, %v", s, ok)
	}
	if _, ok := parts[3].NeedsLook(); ok {
		t.Errorf("a stopped process needs a look")
	}
}

func TestGistAndHeadline(t *testing.T) {
	tests := []struct {
		name string
		part HostPart
		want string
	}{
		{"all running", HostPart{Status: ops.StatusOK, Result: ops.Result{Data: programs("RUNNING", "RUNNING")}}, "2 processes, all RUNNING"},
		{"one", HostPart{Status: ops.StatusOK, Result: ops.Result{Data: programs("STOPPED")}}, "1 process, STOPPED"},
		{"mixed, attention first", HostPart{Status: ops.StatusOK, Result: ops.Result{Data: programs("RUNNING", "FATAL", "RUNNING")}},
			"3 processes: 1 FATAL, 2 RUNNING"},
		{"pools", HostPart{Status: ops.StatusOK, Result: ops.Result{Operation: "fpm.pool.list",
			Data: map[string]any{"pools": []map[string]string{{"name": "www"}, {"name": "api"}}}}}, "2 pools"},
		{"unreachable", HostPart{Status: ops.StatusFailed, Result: ops.Result{Message: "host unreachable: no answer\nmore"}}, "host unreachable: no answer"},
		{"failed without words", HostPart{Status: ops.StatusFailed}, "failed"},
		{"a write", HostPart{Status: ops.StatusOK, Result: ops.Result{Message: "Restarted web on web-01.\ndetail"}}, "Restarted web on web-01."},
	}
	for _, tt := range tests {
		if got := tt.part.Gist(); got != tt.want {
			t.Errorf("%s: Gist = %q, want %q", tt.name, got, tt.want)
		}
	}
	three := make([]HostPart, 3)
	sections := ops.Body{Hosts: []ops.HostSection{{Host: "web-01", Parts: []ops.Part{ops.Prose("2 process(es)")}}}}
	if got := HostsHeadline(ops.Result{Message: ops.Text(sections, nil), Body: sections}, three); got != "All 3 hosts answered." {
		t.Errorf("headline of an ok answer = %q", got)
	}
	sections.Parts = []ops.Part{ops.Prose("1 of 3 hosts did not answer or failed (web-02).")}
	failed := ops.Result{Message: ops.Text(sections, nil), Body: sections}
	if got := HostsHeadline(failed, three); got != "1 of 3 hosts did not answer or failed (web-02)." {
		t.Errorf("headline of a failed answer = %q", got)
	}
}

func TestJoinNames(t *testing.T) {
	names := []string{"web-01", "web-02", "web-03", "web-04"}
	if got := JoinNames(names, 100); got != "web-01, web-02, web-03, web-04" {
		t.Errorf("JoinNames = %q", got)
	}
	for max := 0; max < 40; max++ {
		got := JoinNames(names, max)
		if len(got) > max && max >= len("…") {
			t.Errorf("JoinNames(%d) = %q, %d bytes", max, got, len(got))
		}
		if len(got) < len("web-01, web-02, web-03, web-04") && max >= 20 && !strings.Contains(got, "more") {
			t.Errorf("JoinNames(%d) = %q does not count the names left out", max, got)
		}
	}
	if got := JoinNames(names, 26); got != "web-01 … and 3 more" {
		t.Errorf("JoinNames(26) = %q", got)
	}
}

func TestHostInfos(t *testing.T) {
	seen := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	infos := []ops.HostInfo{
		{Name: "web-01", Healthy: true, Components: []ops.Component{{Name: "supervisord", OK: true}}, LastSeen: seen},
		{Name: "web-02", Unreachable: "unreachable: no answer from web-02 within 5s", LastSeen: seen},
		{Name: "web-03", Components: []ops.Component{{Name: "supervisord", OK: true, Info: "RUNNING"}, {Name: "php-fpm", Info: "failed"}}},
	}
	got, ok := DecodeHostInfos(map[string]any{"hosts": infos})
	if !ok || len(got) != 3 || !got[1].LastSeen.Equal(seen) {
		t.Fatalf("DecodeHostInfos = %+v, %v", got, ok)
	}
	if _, ok := DecodeHostInfos(map[string]any{"target": "all", "hosts": []fleet.HostResult{{Host: "web-01", Status: ops.StatusOK}}}); ok {
		t.Error("a fleet answer decoded as /ops hosts")
	}
	var order []string
	for _, in := range HealthFirst(got) {
		order = append(order, in.Name+" "+Health(in))
	}
	if want := []string{"web-02 unreachable", "web-03 unhealthy", "web-01 healthy"}; !slices.Equal(order, want) {
		t.Errorf("HealthFirst = %v, want %v", order, want)
	}
	if c := Components(infos[2].Components); c != "php-fpm DOWN (failed); supervisord ok (RUNNING)" {
		t.Errorf("Components = %q", c)
	}
	if r := UnreachableReason(infos[1]); r != "no answer from web-02 within 5s" {
		t.Errorf("UnreachableReason = %q", r)
	}
}
