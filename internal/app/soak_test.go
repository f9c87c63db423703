package app_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// defaultSoak is how long the load runs when POOLVISOR_SOAK_DURATION is not
// set; a warm-up comes before it and a settling pass after.
const defaultSoak = 3 * time.Minute

// The programs of the soak: web and queue are read, each writer owns one
// program it stops, starts, edits and has restarted, so that writers do
// not turn each other's requests into refusals.
var (
	soakSlackWriters   = []string{"sw0", "sw1", "sw2"}
	soakDiscordWriters = []string{"dw0", "dw1", "dw2"}
	soakReaders        = 2 // per platform
)

// TestSoak is issue 7's bounded load test: concurrent signed Slack slash
// commands, button clicks and Discord interactions, reads and writes, go
// to `poolvisor serve` over HTTP on loopback, against a real supervisord
// that is restarted twice during the run (once gracefully, once killed as
// in a crash). It reports requests, errors, latency, RSS and goroutines,
// and checks that the audit trail lost nothing, that serve leaks neither
// goroutines nor memory, and that every program file is valid at the end.
//
// It runs only with POOLVISOR_SOAK set (make soak), for
// POOLVISOR_SOAK_DURATION (default 3m; 20s works).
func TestSoak(t *testing.T) {
	if os.Getenv("POOLVISOR_SOAK") == "" {
		t.Skip("set POOLVISOR_SOAK=1 (make soak) to run the soak test")
	}
	dur := defaultSoak
	if v := os.Getenv("POOLVISOR_SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Second {
			t.Fatalf("POOLVISOR_SOAK_DURATION=%q: want a duration of at least 10s", v)
		}
		dur = d
	}
	s := newSoak(t)
	s.waitRunning()

	// Warm-up: the same load, briefly, so that caches, pools and the
	// database are as they will stay; then a quiet sample.
	warm := min(max(dur/10, 5*time.Second), 20*time.Second)
	s.load(warm, nil)
	if warmed := s.drain(); len(warmed) > 0 {
		s.auditFrom = warmed[len(warmed)-1].ID
	}
	before := s.sample()
	t.Logf("after a %s warm-up: %s", warm, before)
	s.resetStats()

	// The run, with supervisord restarted at a third and two thirds of it,
	// and serve's memory traced under load, to tell a trend from a step.
	start := time.Now()
	var trace []string
	s.load(dur, func() {
		const steps = 12
		for i := 1; i <= steps; i++ {
			time.Sleep(time.Until(start.Add(dur * time.Duration(i) / steps)))
			switch i {
			case steps / 3:
				s.restartSupervisord("stop")
			case 2 * steps / 3:
				s.restartSupervisord("kill")
			}
			m := s.metrics()
			trace = append(trace, fmt.Sprintf("%.0f/%.0f", float64(vmRSS(t, s.pid))/1024, m["go_memstats_heap_inuse_bytes"]/(1<<20)))
		}
	})
	// On a busy machine the two restarts can take most of a short run
	// (seconds each, not the scheduled thirds), leaving the writers no
	// time with supervisord up. A last round after them lets every writer
	// complete one cycle, so each kind of operation had its chance.
	s.load(time.Second, nil)
	elapsed := time.Since(start)
	t.Logf("serve's RSS/heap in use (MB) at each twelfth of the run: %s", strings.Join(trace, " "))
	entries := s.drain()
	after := s.sampleSettled(before)

	r := s.report(elapsed, entries, before, after)
	t.Log(r.details)
	fmt.Println(r.summary)

	s.checkAudit(entries)
	s.checkOutcomes(r, entries)
	s.checkLeaks(before, after)
	s.checkConfigs()
}

// soak is one run: a real supervisord, fake Slack and Discord APIs, and
// `poolvisor serve` between them, all on loopback.
type soak struct {
	t      *testing.T
	env    *env
	slack  *slackEnv // the Slack side, for its helpers (slashCmd)
	sfake  *slackfake.Server
	dfake  *discordfake.Server
	key    discordfake.Key
	base   string // http://addr of serve
	pid    int    // serve's
	client *http.Client
	sv     *sandbox.Supervisord // the running daemon; restarts replace it

	// auditFrom is the last audit entry of the warm-up: the run's
	// requests are those after it.
	auditFrom int64

	mu       sync.Mutex
	stats    map[string]*platformStats // by platform
	restarts []restartWindow
	clicks   int
}

// restartWindow is one restart of supervisord: from when it went down to
// when serve's /healthz answered 200 again.
type restartWindow struct {
	how      string // stop (SIGTERM) or kill (SIGKILL, like a crash)
	from, to time.Time
}

func newSoak(t *testing.T) *soak {
	t.Helper()
	sfake := newSlackFake(t)
	dfake := newDiscordFake(t)
	key := discordfake.NewKey()

	progs := []sandbox.Program{
		{Name: "web", Command: loop("serving")},
		{Name: "queue", Command: loop("working"), NumProcs: 2},
	}
	for _, p := range append(append([]string{}, soakSlackWriters...), soakDiscordWriters...) {
		progs = append(progs, sandbox.Program{Name: p, Command: loop(p), Extra: map[string]string{"autorestart": "true"}})
	}
	sv := sandbox.Supervisor(t, progs...)
	addr := freeAddr(t)
	// Warnings only: serve's log is kept in memory for the failure report.
	path := e2eConfig{host: "soak", listen: addr, log: "warn", sv: sv,
		sections: slackSection("http", sfake) + discordSection("http", key.PublicHex(), dfake) +
			"approvals: {required: [supervisor.program.restart]} # stops and starts run at once in the soak's mix\n",
		bindings: []string{
			fmt.Sprintf(`{role: admin, slack_users: [U0ALICE], discord_users: ["%s"], local_users: [alice]}`, dAlice.ID),
			fmt.Sprintf(`{role: operator, slack_usergroups: [S0OPS], discord_roles: ["%s"]}`, dOpsRole),
			fmt.Sprintf(`{role: viewer, slack_users: [U0VIC], discord_users: ["%s"], local_users: [vic]}`, dVic.ID),
		},
	}.write(t)
	e := &env{t: t, config: path, sv: sv}
	s := &soak{
		t: t, env: e, sfake: sfake, dfake: dfake, key: key, base: "http://" + addr, sv: sv,
		client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	}
	s.slack = &slackEnv{env: e, fake: sfake, base: s.base}
	startServe(t, path, s.base)
	s.pid = servePID(t, path)
	s.resetStats()
	return s
}

// programs are the processes supervisord must run at the end.
func (s *soak) programs() []string {
	names := []string{"web", "queue:queue_00", "queue:queue_01"}
	names = append(names, soakSlackWriters...)
	return append(names, soakDiscordWriters...)
}

func (s *soak) waitRunning() { s.env.waitRunning(s.programs()...) }

// load runs every client until d has passed (a writer finishes the cycle
// it is in) and, beside them, during (when not nil) in this goroutine.
func (s *soak) load(d time.Duration, during func()) {
	until := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := range soakReaders {
		wg.Go(func() { s.slackReader(i, until) })
		wg.Go(func() { s.discordReader(i, until) })
	}
	for _, p := range soakSlackWriters {
		wg.Go(func() { s.slackWriter(p, until) })
	}
	for _, p := range soakDiscordWriters {
		wg.Go(func() { s.discordWriter(p, until) })
	}
	if during != nil {
		during()
	}
	wg.Wait()
}

// restartSupervisord takes supervisord down (SIGTERM, or SIGKILL as in a
// crash) and starts it again in place: the same directory, config, program
// files and socket. It returns once serve reports it healthy again.
func (s *soak) restartSupervisord(how string) {
	s.t.Helper()
	from := time.Now()
	old := s.sv
	stop := old.Stop
	if how == "kill" {
		stop = old.Kill
	}
	if err := stop(); err != nil {
		s.t.Fatalf("%s supervisord: %v", how, err)
	}
	sv, err := sandbox.StartSupervisord(old.Dir)
	if err != nil {
		s.t.Fatalf("start supervisord again: %v", err)
	}
	s.t.Cleanup(func() {
		if err := sv.Stop(); err != nil {
			s.t.Errorf("stop supervisord: %v", err)
		}
	})
	if sv.URL != old.URL {
		s.t.Fatalf("supervisord came back at %s, not %s", sv.URL, old.URL)
	}
	s.sv = sv
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := quiet.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("serve not healthy 30s after supervisord came back")
		}
	}
	w := restartWindow{how: how, from: from, to: time.Now()}
	s.mu.Lock()
	s.restarts = append(s.restarts, w)
	s.mu.Unlock()
	s.t.Logf("supervisord restarted (%s): serve healthy again after %s", how, w.to.Sub(w.from).Round(time.Millisecond))
}

// checkConfigs checks what the run left behind: supervisord accepts every
// program file (a reread parses them all) and runs what they say, only
// program files are in the directory, and after putting each writer's
// program back as it was, every process runs.
func (s *soak) checkConfigs() {
	t := s.t
	r := s.env.exec("alice", "supervisor reread")
	if r.Status != "ok" {
		t.Errorf("supervisor reread after the soak: %s %s", r.Status, r.Message)
	} else if !strings.Contains(r.Message, "no changes") {
		t.Errorf("program files and supervisord differ after the soak:\n%s", r.Message)
	}
	files, err := os.ReadDir(s.sv.ProgramDir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Name())
	}
	var want []string
	for _, p := range append([]string{"queue", "web"}, append(soakSlackWriters, soakDiscordWriters...)...) {
		want = append(want, p+".conf")
	}
	if fmt.Sprint(sortedCopy(got)) != fmt.Sprint(sortedCopy(want)) {
		t.Errorf("program directory holds %v, want %v", got, want)
	}
	for _, p := range append(append([]string{}, soakSlackWriters...), soakDiscordWriters...) {
		for _, text := range []string{"supervisor edit " + p + " --autorestart true", "supervisor start " + p} {
			// An edit of a running program waits for the restart's approval.
			if r := s.env.exec("alice", text); r.Status != "ok" && r.Status != "invalid" && r.Status != "pending_approval" {
				t.Errorf("%s: %s %s", text, r.Status, r.Message)
			}
		}
	}
	s.waitRunning()
	if r := s.env.exec("alice", "supervisor reread"); r.Status != "ok" || !strings.Contains(r.Message, "no changes") {
		t.Errorf("supervisor reread after settling: %s %s", r.Status, r.Message)
	}
}
