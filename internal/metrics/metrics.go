// Package metrics exposes poolvisor's Prometheus metrics: operations by name
// and outcome with their latency, approvals, XML-RPC calls to supervisord,
// chat API calls and alerts. Each Metrics has its own registry (no global
// state), served at GET /metrics.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// Metrics holds poolvisor's collectors.
type Metrics struct {
	reg        *prometheus.Registry
	operations *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	decisions  *prometheus.CounterVec
	rpcCalls   *prometheus.CounterVec
	rpcErrors  *prometheus.CounterVec
	chatCalls  *prometheus.CounterVec
	chatErrors *prometheus.CounterVec
	rateLimits *prometheus.CounterVec
	alerts     *prometheus.CounterVec
	dropped    prometheus.Counter
}

var _ ops.Observer = (*Metrics)(nil)

// New registers poolvisor's metrics. pending reports the number of pending
// approvals at scrape time (nil: not exported).
func New(pending func(context.Context) (int, error)) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.operations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "poolvisor_operations_total", Help: "Requests by operation and outcome status.",
	}, []string{"operation", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "poolvisor_operation_duration_seconds", Help: "Time from request to result, by operation.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"operation"})
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "poolvisor_approval_decisions_total", Help: "Approval decisions by outcome status.",
	}, []string{"status"})
	m.rpcCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "poolvisor_supervisor_xmlrpc_calls_total", Help: "XML-RPC calls to supervisord by method.",
	}, []string{"method"})
	m.rpcErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "poolvisor_supervisor_xmlrpc_errors_total", Help: "XML-RPC calls to supervisord that failed, by method and kind (fault, unreachable, timeout, decode).",
	}, []string{"method", "kind"})
	m.chatCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "poolvisor_chat_api_calls_total", Help: "Chat platform API calls by platform and method.",
	}, []string{"platform", "method"})
	m.chatErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "poolvisor_chat_api_errors_total", Help: "Chat platform API calls that failed.",
	}, []string{"platform", "method"})
	m.rateLimits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "poolvisor_chat_rate_limited_total", Help: "Chat platform API calls answered with a rate limit.",
	}, []string{"platform"})
	m.alerts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "poolvisor_alerts_sent_total", Help: "Alerts posted, by platform.",
	}, []string{"platform"})
	m.dropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "poolvisor_fleet_slow_consumer_total",
		Help: "Times the NATS client dropped messages from agents to the hub because the hub took them too slowly (each one triggers a new discovery).",
	})
	m.reg.MustRegister(m.operations, m.latency, m.decisions, m.rpcCalls, m.rpcErrors,
		m.chatCalls, m.chatErrors, m.rateLimits, m.alerts, m.dropped,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pending != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "poolvisor_approvals_pending", Help: "Approval requests waiting for a decision.",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := pending(ctx)
			if err != nil {
				return -1
			}
			return float64(n)
		}))
	}
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveOperation implements ops.Observer.
func (m *Metrics) ObserveOperation(name string, status ops.Status, d time.Duration) {
	if name == "" {
		name = "(unparsed)"
	}
	m.operations.WithLabelValues(name, string(status)).Inc()
	m.latency.WithLabelValues(name).Observe(d.Seconds())
	if name == "ops.approve" {
		m.decisions.WithLabelValues(string(status)).Inc()
	}
}

// XMLRPCCall counts one call to supervisord; kind is "" on success.
func (m *Metrics) XMLRPCCall(method, kind string) {
	m.rpcCalls.WithLabelValues(method).Inc()
	if kind != "" {
		m.rpcErrors.WithLabelValues(method, kind).Inc()
	}
}

// ChatCall counts one chat API call; failed and rateLimited say how it ended.
func (m *Metrics) ChatCall(platform, method string, failed, rateLimited bool) {
	m.chatCalls.WithLabelValues(platform, method).Inc()
	if failed {
		m.chatErrors.WithLabelValues(platform, method).Inc()
	}
	if rateLimited {
		m.rateLimits.WithLabelValues(platform).Inc()
	}
}

// AlertSent counts one alert posted to platform.
func (m *Metrics) AlertSent(platform string) { m.alerts.WithLabelValues(platform).Inc() }

// FleetDropped counts one slow-consumer error on a fleet hub's connection:
// messages from agents were dropped.
func (m *Metrics) FleetDropped() { m.dropped.Inc() }
