package app_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// soakSample is serve's footprint at one moment.
type soakSample struct {
	rssKB      int
	goroutines int
	fds        int
}

func (x soakSample) String() string {
	return fmt.Sprintf("RSS %.1f MB, %d goroutines, %d open fds", float64(x.rssKB)/1024, x.goroutines, x.fds)
}

// quiet reaches serve without keeping a connection open, so that sampling
// does not add to what it samples.
var quiet = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// sample measures serve once it is idle: VmRSS from /proc, goroutines and
// open files from its /metrics (the Prometheus Go and process collectors).
// Goroutines and files are the least of three readings, so that one
// finishing its work a moment late does not count.
func (s *soak) sample() soakSample {
	s.t.Helper()
	time.Sleep(2 * time.Second) // closed connections end, background work finishes
	best := soakSample{goroutines: 1 << 30, fds: 1 << 30}
	for range 3 {
		m := s.metrics()
		best.goroutines = min(best.goroutines, int(m["go_goroutines"]))
		best.fds = min(best.fds, int(m["process_open_fds"]))
		best.rssKB = vmRSS(s.t, s.pid)
		time.Sleep(500 * time.Millisecond)
	}
	return best
}

// sampleSettled samples serve until its goroutines and open files are back
// within leakMargin of before, or a minute has passed: work that ends late
// on a busy machine is not a leak, and one that never ends still shows.
func (s *soak) sampleSettled(before soakSample) soakSample {
	s.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		after := s.sample()
		settled := after.goroutines <= before.goroutines+leakMargin && after.fds <= before.fds+leakMargin
		if settled || time.Now().After(deadline) {
			return after
		}
	}
}

// metrics reads serve's unlabelled metrics.
func (s *soak) metrics() map[string]float64 {
	s.t.Helper()
	resp, err := quiet.Get(s.base + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out := map[string]float64{}
	for line := range strings.SplitSeq(string(body), "\n") {
		name, val, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(val, 64); err == nil {
			out[name] = v
		}
	}
	for _, k := range []string{"go_goroutines", "process_open_fds", "go_memstats_heap_inuse_bytes"} {
		if _, ok := out[k]; !ok {
			s.t.Fatalf("serve's /metrics has no %s", k)
		}
	}
	return out
}

// vmRSS is the resident set of process pid, in kB.
func vmRSS(t *testing.T, pid int) int {
	t.Helper()
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatalf("serve (pid %d): %v", pid, err)
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb
		}
	}
	t.Fatalf("no VmRSS for pid %d", pid)
	return 0
}

// servePID finds the `poolvisor serve` running with config.
func servePID(t *testing.T, config string) int {
	t.Helper()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		// The thin poolvisor hands serve to the poolvisord beside it, in
		// the same process: its command line then names poolvisord.
		daemon := filepath.Join(filepath.Dir(binary), "poolvisord")
		if len(args) > 1 && (args[0] == binary || args[0] == daemon) && args[1] == "serve" && slices.Contains(args, config) {
			return pid
		}
	}
	t.Fatalf("no `poolvisor serve --config %s` among the processes", config)
	return 0
}
