package phpfpm

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/fastcgi"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// busy holds n requests to pool name of f open in a PHP script until the
// test ends (or 20 s pass), and returns when the pool's status page shows
// them all active.
func busy(t *testing.T, f *sandbox.PHPFPM, b *Backend, name string, n int) {
	t.Helper()
	// Workers may run as nobody (php-fpm started by root), who cannot
	// enter the test's own temporary directories.
	dir, err := os.MkdirTemp("", "poolvisor-slow-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	release := filepath.Join(dir, "release")
	script := filepath.Join(dir, "slow.php")
	php := fmt.Sprintf("<?php $end = microtime(true) + 20; while (!file_exists(%q) && microtime(true) < $end) { usleep(10000); } echo 'done';\n", release)
	if err := os.WriteFile(script, []byte(php), 0o644); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		os.WriteFile(release, nil, 0o644)
		wg.Wait()
	})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			fastcgi.Get(ctx, "unix", f.SocketPath(name), script, "")
		}()
	}
	d, err := b.scanPools()
	if err != nil {
		t.Fatal(err)
	}
	e, err := d.find(name, "")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		page, err := b.readStatus(context.Background(), e, "/status", "json")
		if err == nil && page.ActiveProcesses >= int64(n+1) { // and the status request itself
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pool %s never had %d requests active: %+v %v", name, n, page, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tuneData(t *testing.T, r result) ops.FPMTune {
	t.Helper()
	if r.status != ops.StatusOK {
		t.Fatalf("tune: %s %s", r.status, r.msg)
	}
	return r.data.(ops.FPMTune)
}

// TestTuneSharesTheBudget: three pools, one of them busy, and an idle
// ondemand pool without workers: the advice fits the budget, gives the
// busy pool the most, and keeps the pool it cannot measure.
func TestTuneSharesTheBudget(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t,
		sandbox.Pool{Name: "hot", MaxChildren: 5, StatusPath: "/status"},
		sandbox.Pool{Name: "warm", PM: "dynamic", MaxChildren: 4, StatusPath: "/status"},
		sandbox.Pool{Name: "cold", MaxChildren: 2, StatusPath: "/status"},
		sandbox.Pool{Name: "idle", PM: "ondemand", MaxChildren: 3})
	b := testBackend(t, f)
	busy(t, f, b, "hot", 3)
	q := snapshot(t, f, "warm", "cold")

	const budget = 300
	res := run(t, b, op("fpm.tune", "", "budget-mb", strconv.Itoa(budget)))
	tune := tuneData(t, res)
	if tune.BudgetMB != budget || tune.BudgetSource != "--budget-mb" || len(tune.Pools) != 4 {
		t.Fatalf("tune = %+v", tune)
	}
	by := map[string]ops.PoolTune{}
	sum := 0.0
	for _, p := range tune.Pools {
		by[p.Name] = p
		if p.AdvisedMaxChildren < 1 {
			t.Errorf("%s advised %d", p.Name, p.AdvisedMaxChildren)
		}
		sum += float64(p.AdvisedMaxChildren) * p.WorkerMB
	}
	for _, name := range []string{"hot", "warm", "cold"} {
		if p := by[name]; p.Kept || p.Samples < minSamples || p.WorkerMB <= 0 {
			t.Errorf("%s = %+v", name, p)
		}
	}
	if idle := by["idle"]; !idle.Kept || idle.AdvisedMaxChildren != 3 || !strings.Contains(idle.Note, "too few") {
		t.Errorf("idle = %+v", idle)
	}
	// The sandbox's workers serve a few bytes of PHP: each measures a few
	// MB, an idle worker's size, and is counted at the floor instead, so
	// the advice is not hundreds of workers the host could never hold.
	for _, name := range []string{"warm", "cold"} {
		if p := by[name]; p.MeasuredMB <= 0 || p.MeasuredMB >= idleWorkerMB || p.WorkerMB != idleWorkerMB || !strings.Contains(p.Note, "served little or nothing") {
			t.Errorf("%s, idle workers: %+v", name, p)
		}
	}
	// The idle pool is counted at the dearest worker, which may exceed its own.
	dearest := max(by["hot"].WorkerMB, by["warm"].WorkerMB, by["cold"].WorkerMB)
	sum += float64(by["idle"].AdvisedMaxChildren) * (dearest - by["idle"].WorkerMB)
	if sum > budget || tune.FullLoadMB > budget {
		t.Errorf("advice takes %.1f MB (full load %.1f MB) of a %d MB budget: %+v", sum, tune.FullLoadMB, budget, tune.Pools)
	}
	if hot, cold := by["hot"], by["cold"]; hot.Demand <= cold.Demand || hot.AdvisedMaxChildren <= cold.AdvisedMaxChildren {
		t.Errorf("the busy pool gets no more than the cold one: hot %+v, cold %+v", hot, cold)
	}
	for _, want := range []string{"5 → ", "At full load", "Advice only"} {
		if !strings.Contains(res.msg, want) {
			t.Errorf("message lacks %q:\n%s", want, res.msg)
		}
	}
	q.check(t, f)

	one := tuneData(t, run(t, b, op("fpm.tune", "cold", "budget-mb", strconv.Itoa(budget))))
	if len(one.Pools) != 1 || one.Pools[0].Name != "cold" {
		t.Errorf("tune cold = %+v", one.Pools)
	}
}

// TestTuneApply: --apply writes every pool's advised size, with spare
// servers php-fpm accepts, and php-fpm reloads on it.
func TestTuneApply(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t,
		sandbox.Pool{Name: "api", PM: "dynamic", MaxChildren: 6, StatusPath: "/status"},
		sandbox.Pool{Name: "jobs", MaxChildren: 2, StatusPath: "/status"})
	b := testBackend(t, f)
	before := dirDigest(t, f.PoolDir)

	// A budget too small for one worker of each: refused, nothing written.
	for _, name := range []string{"fpm.tune", "fpm.tune.apply"} {
		if r := run(t, b, op(name, "", "budget-mb", "1")); r.status != ops.StatusInvalid || !strings.Contains(r.msg, "cannot be sized within 1 MB") {
			t.Errorf("%s with 1 MB: %s %s", name, r.status, r.msg)
		}
	}
	if dirDigest(t, f.PoolDir) != before {
		t.Fatal("a refused budget changed the pool dir")
	}

	// Room for about 3 workers: api (dynamic, 6 now) must shrink, and its
	// spare servers with it.
	look := tuneData(t, run(t, b, op("fpm.tune", "", "budget-mb", "10000")))
	cost := max(look.Pools[0].WorkerMB, look.Pools[1].WorkerMB)
	budget := strconv.Itoa(int(3*cost) + 1)

	// Planned only (--plan): the diffs are there, nothing is written.
	plan, err := b.Handlers()["fpm.tune.apply"].Plan(context.Background(), ops.Request{Op: op("fpm.tune.apply", "", "budget-mb", budget)})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Changes) == 0 || !strings.Contains(string(plan.Changes[0].After), "pm.max_children") ||
		string(plan.Changes[0].Before) == string(plan.Changes[0].After) || !slices.Contains(plan.Effects, "fpm.pool.edit") {
		t.Errorf("plan = %+v", plan)
	}
	if dirDigest(t, f.PoolDir) != before {
		t.Fatal("planning changed the pool dir")
	}
	res := run(t, b, op("fpm.tune.apply", "", "budget-mb", budget))
	tune := tuneData(t, res)
	if !strings.Contains(res.msg, "Resized pools") || !strings.Contains(res.msg, "php-fpm reloaded") {
		t.Errorf("message:\n%s", res.msg)
	}
	for _, p := range tune.Pools {
		raw, err := os.ReadFile(filepath.Join(f.PoolDir, p.Name+".conf"))
		if err != nil {
			t.Fatal(err)
		}
		pf, err := ParsePoolFile(p.Name, raw)
		if err != nil {
			t.Fatal(err)
		}
		d := pf.Directives()
		if d["pm.max_children"] != strconv.FormatInt(p.AdvisedMaxChildren, 10) {
			t.Errorf("%s: pm.max_children = %s, advised %d", p.Name, d["pm.max_children"], p.AdvisedMaxChildren)
		}
		if p.Name == "api" {
			n := func(k string) int { v, _ := strconv.Atoi(d[k]); return v }
			if !(1 <= n("pm.min_spare_servers") && n("pm.min_spare_servers") <= n("pm.start_servers") &&
				n("pm.start_servers") <= n("pm.max_spare_servers") && n("pm.max_spare_servers") <= n("pm.max_children")) {
				t.Errorf("api's spare servers break php-fpm's rules: %v", d)
			}
		}
	}
	// A static pool runs pm.max_children workers: jobs runs its new size
	// once php-fpm has reloaded.
	want := 0
	for _, p := range tune.Pools {
		if p.Name == "jobs" {
			want = int(p.AdvisedMaxChildren)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(f.Workers("jobs")) != want {
		if time.Now().After(deadline) {
			t.Fatalf("jobs runs %d workers, want %d after the reload", len(f.Workers("jobs")), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTuneSharedAcrossInstances: two php-fpm masters as the instances of
// one host. The alert's advice and --apply's plan of one instance are its
// part of the one budget both share, and a master that is not running
// still holds its pools' current size out of that budget while the other
// is advised, by its own tune, --apply and the table of all instances.
func TestTuneSharedAcrossInstances(t *testing.T) {
	t.Parallel()
	pools := []sandbox.Pool{{Name: "app", MaxChildren: 2, StatusPath: "/status"}}
	fa, fb := sandbox.FPM(t, pools...), sandbox.FPM(t, pools...)
	a, b := testBackend(t, fa), testBackend(t, fb)
	in := func(name string, be *Backend) Instance {
		return Instance{Name: name, Backend: be, Handlers: be.Handlers()}
	}
	all := NewInstances("web-test", []Instance{in("a", a), in("b", b)}, "a")

	// The alert's advice, measured: one budget for both.
	adv, err := a.PoolAdvice(context.Background(), "app")
	if err != nil {
		t.Fatal(err)
	}
	if adv.BudgetSource != "measured, shared by PHP a, b" || adv.Shared == nil || adv.Shared.FullLoadMB > float64(adv.BudgetMB) ||
		adv.Measured == nil || adv.Measured.MemAvailableMB+adv.Measured.InstancePSSMB-adv.Measured.ReserveMB != adv.BudgetMB {
		t.Errorf("alert advice = %+v (measured %+v, shared %+v)", adv, adv.Measured, adv.Shared)
	}

	// --apply's plan: the budget it names is the shared one, and the size
	// it writes is a's part of it: about half, not all of it.
	plan, err := a.Handlers()["fpm.tune.apply"].Plan(context.Background(), ops.Request{Op: op("fpm.tune.apply", "", "budget-mb", "400")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan.Summary, "to share 400 MB (--budget-mb, shared by PHP a, b)") || len(plan.Changes) != 1 {
		t.Fatalf("plan = %+v", plan)
	}
	// Each app worker is counted at least at idleWorkerMB (20): alone, a
	// would be advised up to 20 workers; sharing, at most 19 (b's app
	// holds one at least).
	pf, err := ParsePoolFile("app", plan.Changes[0].After)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := strconv.Atoi(pf.Directives()["pm.max_children"]); n < 1 || n > 19 {
		t.Errorf("a's app advised %d workers of a 400 MB budget it shares", n)
	}

	// b not running: its pools hold their current size (app's 2 workers)
	// at the dearest worker measured in a, out of the budget; a shares
	// the rest, so that both fit it when b starts again. b says why.
	if err := fb.Stop(); err != nil {
		t.Fatal(err)
	}
	res := run(t, a, op("fpm.tune", "", "budget-mb", "400"))
	one := tuneData(t, res)
	if one.BudgetSource != "--budget-mb, shared by PHP a, b" || one.Shared == nil || len(one.Shared.Held) != 1 {
		t.Fatalf("with b down, a = %+v (shared %+v)", one, one.Shared)
	}
	held, dearest := one.Shared.Held[0], 0.0
	for _, p := range one.Pools {
		dearest = max(dearest, p.WorkerMB)
	}
	if held.PHP != "b" || held.Why != "not running" || held.Workers != 2 || held.WorkerMB != max(dearest, idleWorkerMB) || held.MB != 2*held.WorkerMB {
		t.Errorf("b held = %+v (a's dearest worker %.1f MB)", held, dearest)
	}
	aMB := 0.0
	for _, p := range one.Pools {
		aMB += float64(p.AdvisedMaxChildren) * p.WorkerMB
	}
	if aMB+held.MB > 400 || math.Abs(one.Shared.FullLoadMB-(one.FullLoadMB+held.MB)) > 0.1 {
		t.Errorf("a's advice %.1f MB + b's current size %.1f MB over 400 MB (shared full load %.1f): %+v", aMB, held.MB, one.Shared.FullLoadMB, one.Pools)
	}
	sentence := fmt.Sprintf("PHP b is not running: its pools are counted at their current size, 2 workers × %s MB = %s MB of the budget.",
		strconv.FormatFloat(held.WorkerMB, 'f', -1, 64), strconv.FormatFloat(held.MB, 'f', -1, 64))
	if !strings.Contains(res.msg, sentence) || !strings.Contains(res.msg, "the pools of PHP b hold their current size of it (below), and the rest is shared among the pools of PHP a") {
		t.Errorf("a's advice with b down does not name b (%q):\n%s", sentence, res.msg)
	}
	if r := run(t, b, op("fpm.tune", "", "budget-mb", "400")); r.status != ops.StatusFailed || !strings.Contains(r.msg, "not running") {
		t.Errorf("b down: %s %s", r.status, r.msg)
	}
	// --apply with b down: allowed, within what b leaves, and its summary
	// names b as counted at its current size.
	plan, err = a.Handlers()["fpm.tune.apply"].Plan(context.Background(), ops.Request{Op: op("fpm.tune.apply", "", "budget-mb", "400")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan.Summary, "PHP b is not running: its pools are counted at their current size") || len(plan.Changes) != 1 {
		t.Fatalf("plan with b down = %+v", plan)
	}
	if pf, err = ParsePoolFile("app", plan.Changes[0].After); err != nil {
		t.Fatal(err)
	}
	if n, _ := strconv.Atoi(pf.Directives()["pm.max_children"]); n < 1 || float64(n)*dearest+held.MB > 400 {
		t.Errorf("with b down, a's app advised %d workers of %.1f MB besides b's %.1f MB of 400", n, dearest, held.MB)
	}
	// The table of all instances says it too, and that --apply changes one.
	r := runOn(t, all.Handlers()["fpm.tune"], op("fpm.tune", "", "budget-mb", "400"))
	if r.status != ops.StatusOK || !strings.Contains(r.msg, "PHP b is not running: its pools are counted at their current size") ||
		!strings.Contains(r.msg, "/fpm tune --apply --php NAME plans NAME's part (one write, through approval); without --php, PHP a's.") {
		t.Errorf("all instances with b down: %s\n%s", r.status, r.msg)
	}
	if d, ok := r.data.(ops.FPMTune); !ok || d.Shared == nil || len(d.Shared.Held) != 1 || d.Shared.Held[0].PHP != "b" {
		t.Errorf("all instances' data with b down: %+v", r.data)
	}
	// Both down: each says its own why, not the split's.
	if err := fa.Stop(); err != nil {
		t.Fatal(err)
	}
	if r := run(t, a, op("fpm.tune", "", "budget-mb", "400")); r.status != ops.StatusFailed || !strings.Contains(r.msg, "not running") {
		t.Errorf("both down, a: %s %s", r.status, r.msg)
	}
}
