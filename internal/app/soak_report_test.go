package app_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// soakAudit is one line of audit.jsonl, as much of it as the soak reads.
type soakAudit struct {
	ID        int64     `json:"id"`
	Time      time.Time `json:"time"`
	Actor     string    `json:"actor"`
	Operation string    `json:"operation"`
	Status    string    `json:"status"`
	Message   string    `json:"message"`
}

func (s *soak) auditPath() string {
	return filepath.Join(filepath.Dir(s.env.config), "data", "audit.jsonl")
}

// readAudit reads every line of audit.jsonl; a line that does not decode
// fails the test.
func (s *soak) readAudit() []soakAudit {
	s.t.Helper()
	raw, err := os.ReadFile(s.auditPath())
	if err != nil {
		s.t.Fatalf("read the audit trail: %v", err)
	}
	var out []soakAudit
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var e soakAudit
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			s.t.Fatalf("audit line %d is not JSON (%v): %s", len(out)+1, err, sc.Text())
		}
		out = append(out, e)
	}
	return out
}

// since keeps the entries written after the warm-up.
func (s *soak) since(entries []soakAudit) []soakAudit {
	return slices.DeleteFunc(slices.Clone(entries), func(e soakAudit) bool { return e.ID <= s.auditFrom })
}

// missing lists the served requests that have no audit entry (yet), as
// "actor operation: served N, audited M".
func (s *soak) missing(entries []soakAudit) []string {
	got := map[string]int{}
	for _, e := range s.since(entries) {
		got[e.Actor+" "+e.Operation]++
	}
	var out []string
	for _, name := range []string{"slack", "discord"} {
		ps := s.platform(name)
		ps.mu.Lock()
		for k, n := range ps.want {
			if got[k] < n {
				out = append(out, fmt.Sprintf("%s: served %d, audited %d", k, n, got[k]))
			}
		}
		ps.mu.Unlock()
	}
	slices.Sort(out)
	return out
}

// drain waits, up to a minute, until every served request is in the audit
// trail (deferred work finishes after its HTTP answer), then lets idle
// connections go. It returns the audit trail.
func (s *soak) drain() []soakAudit {
	var entries []soakAudit
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(250 * time.Millisecond) {
		entries = s.readAudit()
		if len(s.missing(entries)) == 0 || time.Now().After(deadline) {
			break
		}
	}
	s.client.CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()
	return entries
}

// soakReport is the run's figures, for the log and for the README.
type soakReport struct {
	summary, details string
	httpErrs         int
	refused          int
	late             int
	unexpected       []string // failed outcomes not explained by a restart
	missing          []string
}

func (s *soak) report(elapsed time.Duration, entries []soakAudit, before, after soakSample) soakReport {
	var r soakReport
	var d strings.Builder
	var all []time.Duration
	total, served, writes := 0, 0, 0
	perPlatform := []string{}
	for _, name := range []string{"slack", "discord"} {
		ps := s.platform(name)
		ps.mu.Lock()
		lat := slices.Clone(ps.latencies)
		w := 0
		for k, n := range ps.want {
			if !slices.ContainsFunc(soakReads, func(r soakRead) bool { return strings.HasSuffix(k, " "+r.op) }) {
				w += n
			}
		}
		fmt.Fprintf(&d, "%s: %d requests, %d served (%d writes and approvals), %d HTTP errors, %d refused, %d answers that did not follow; latency p50 %s p99 %s\n",
			name, ps.requests, ps.served, w, ps.httpErrs, ps.refused, ps.late, percentile(lat, 0.50), percentile(lat, 0.99))
		writes += w
		for _, e := range ps.samples {
			fmt.Fprintf(&d, "  %s\n", e)
		}
		total, served = total+ps.requests, served+ps.served
		r.httpErrs, r.refused, r.late = r.httpErrs+ps.httpErrs, r.refused+ps.refused, r.late+ps.late
		perPlatform = append(perPlatform, fmt.Sprintf("%s %d", name, ps.requests))
		all = append(all, lat...)
		ps.mu.Unlock()
	}

	run := s.since(entries)
	statuses := map[string]int{}
	failed, expected := 0, 0
	for _, e := range run {
		statuses[e.Status]++
		if e.Status != "failed" {
			continue
		}
		failed++
		if s.whileDown(e) {
			expected++
		} else {
			r.unexpected = append(r.unexpected, fmt.Sprintf("%s %s %s: %s", e.Time.Format(time.TimeOnly), e.Actor, e.Operation, e.Message))
		}
	}
	var st []string
	for k, n := range statuses {
		st = append(st, fmt.Sprintf("%s %d", k, n))
	}
	slices.Sort(st)
	fmt.Fprintf(&d, "outcomes in the audit trail: %s\n", strings.Join(st, ", "))
	for _, u := range r.unexpected {
		fmt.Fprintf(&d, "  unexpected failure: %s\n", u)
	}
	r.missing = s.missing(entries)
	var downs []string
	for _, w := range s.restarts {
		downs = append(downs, fmt.Sprintf("%s, healthy again after %s", w.how, w.to.Sub(w.from).Round(100*time.Millisecond)))
	}
	fmt.Fprintf(&d, "supervisord restarts: %s\n", strings.Join(downs, "; "))
	fmt.Fprintf(&d, "serve before: %s\nserve after:  %s", before, after)
	r.details = d.String()

	lost := "none lost"
	if len(r.missing) > 0 {
		lost = fmt.Sprintf("%d kinds of request missing", len(r.missing))
	}
	r.summary = fmt.Sprintf("soak %s: %d requests (%s) at %.0f/s, %d served (%d of them writes and approvals); HTTP errors %d; failed outcomes %d (%d while supervisord was restarting); "+
		"answer p50 %s p99 %s; audit %d entries, %s; supervisord restarts %d; RSS %.1f -> %.1f MB; goroutines %d -> %d; open fds %d -> %d",
		elapsed.Round(time.Second), total, strings.Join(perPlatform, ", "), float64(total)/elapsed.Seconds(), served, writes,
		r.httpErrs, failed, expected, percentile(all, 0.50), percentile(all, 0.99), len(run), lost, len(s.restarts),
		float64(before.rssKB)/1024, float64(after.rssKB)/1024, before.goroutines, after.goroutines, before.fds, after.fds)
	return r
}

// whileDown reports whether a failed outcome is the expected kind: it says
// supervisord did not answer or was shutting down, or it happened while
// supervisord was restarting (or in the seconds after, while the programs
// came back).
func (s *soak) whileDown(e soakAudit) bool {
	if strings.Contains(e.Message, "did not answer") || strings.Contains(e.Message, "shutting down") {
		return true
	}
	for _, w := range s.restarts {
		if !e.Time.Before(w.from.Add(-time.Second)) && !e.Time.After(w.to.Add(5*time.Second)) {
			return true
		}
	}
	return false
}

// percentile is the q-quantile of ds (nearest rank), rounded for a report.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	i := max(int(float64(len(ds))*q+0.5)-1, 0)
	i = min(i, len(ds)-1)
	round := time.Millisecond
	if ds[i] < 10*time.Millisecond {
		round = 100 * time.Microsecond
	}
	return ds[i].Round(round)
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// checkAudit checks that nothing was lost: every served request has its
// entry, the file mirrors the database with no gap in its ids, and the
// database holds no entry the file lacks.
func (s *soak) checkAudit(entries []soakAudit) {
	t := s.t
	for _, m := range s.missing(entries) {
		t.Errorf("audit trail lacks requests that were answered: %s", m)
	}
	// Concurrent requests append in the order they finish, not always in
	// the order of their ids, so the ids are compared as a set.
	ids := make([]int64, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	slices.Sort(ids)
	for i, id := range ids {
		if id != int64(i+1) {
			t.Errorf("audit.jsonl: the %dth smallest id is %d: entries are missing or repeated", i+1, id)
			break
		}
	}
	r := s.env.exec("vic", "ops audit 1")
	var data struct {
		Entries []struct {
			ID int64 `json:"id"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(r.Data, &data); err != nil || len(data.Entries) != 1 {
		t.Fatalf("ops audit 1: %v %s", err, r.Data)
	}
	if last := data.Entries[0].ID; last != int64(len(entries)) {
		t.Errorf("the database's last audit entry is %d, audit.jsonl has %d lines", last, len(entries))
	}
}

// checkOutcomes checks that serve kept answering: no HTTP error, nothing
// refused or left unanswered, no failure but those of supervisord's
// restarts, and writes and approvals that went through on both platforms.
func (s *soak) checkOutcomes(r soakReport, entries []soakAudit) {
	t := s.t
	if r.httpErrs+r.refused+r.late > 0 {
		t.Errorf("%d HTTP errors, %d requests refused, %d answers that did not follow", r.httpErrs, r.refused, r.late)
	}
	if len(r.unexpected) > 0 {
		t.Errorf("%d failures not explained by supervisord's restarts", len(r.unexpected))
	}
	if len(s.restarts) != 2 {
		t.Errorf("supervisord restarted %d times, want 2", len(s.restarts))
	}
	done := map[string]int{}
	for _, e := range s.since(entries) {
		if e.Status == "ok" {
			done[strings.SplitN(e.Actor, ":", 2)[0]+" "+e.Operation]++
		}
	}
	for _, p := range []string{"slack", "discord"} {
		for _, op := range []string{"supervisor.program.list", "supervisor.program.stop", "supervisor.program.start",
			"supervisor.program.edit", "ops.approve", "supervisor.program.restart"} {
			if done[p+" "+op] == 0 {
				t.Errorf("no %s succeeded on %s", op, p)
			}
		}
	}
}

// leakMargin is how many goroutines and open files more than before the
// run are not a leak: a few kept-alive connections.
const leakMargin = 10

// checkLeaks checks serve's footprint: goroutines and open files back to
// where they were, give or take a few kept-alive connections; memory
// within twice its size plus 20 MB (the Go heap grows in steps and gives
// memory back slowly).
func (s *soak) checkLeaks(before, after soakSample) {
	t := s.t
	if after.goroutines > before.goroutines+leakMargin {
		t.Errorf("goroutines grew from %d to %d", before.goroutines, after.goroutines)
	}
	if after.fds > before.fds+leakMargin {
		t.Errorf("open files grew from %d to %d", before.fds, after.fds)
	}
	if after.rssKB > 2*before.rssKB+20*1024 {
		t.Errorf("RSS grew from %s to %s", before, after)
	}
}
