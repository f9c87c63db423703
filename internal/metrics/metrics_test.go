package metrics

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

func TestMetricsExposition(t *testing.T) {
	m := New(func(context.Context) (int, error) { return 3, nil })
	m.ObserveOperation("supervisor.program.list", ops.StatusOK, 40*time.Millisecond)
	m.ObserveOperation("ops.approve", ops.StatusConflict, time.Millisecond)
	m.XMLRPCCall("supervisor.getState", "unreachable")
	m.ChatCall("slack", "chat.postMessage", true, true)
	m.AlertSent("discord")
	m.FleetDropped()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`poolvisor_operations_total{operation="supervisor.program.list",status="ok"} 1`,
		`poolvisor_approval_decisions_total{status="conflict"} 1`,
		`poolvisor_approvals_pending 3`,
		`poolvisor_supervisor_xmlrpc_errors_total{kind="unreachable",method="supervisor.getState"} 1`,
		`poolvisor_chat_rate_limited_total{platform="slack"} 1`,
		`poolvisor_alerts_sent_total{platform="discord"} 1`,
		`poolvisor_fleet_slow_consumer_total 1`,
		`poolvisor_operation_duration_seconds_bucket{operation="supervisor.program.list",le="0.05"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
