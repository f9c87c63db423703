package app_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// newInstancesEnv is newEnv with two php-fpm masters, each in a directory
// of its own, configured as the instances "old" and "new" (SPEC §6): two
// masters of the one installed PHP stand in for two versions.
func newInstancesEnv(t *testing.T, pools ...sandbox.Pool) (*env, map[string]*sandbox.PHPFPM) {
	t.Helper()
	fpms := map[string]*sandbox.PHPFPM{"old": sandbox.FPMDaemonized(t, pools...), "new": sandbox.FPMDaemonized(t, pools...)}
	yaml := "phpfpm:\n  enabled: true\n  default_instance: new\n  instances:\n"
	for _, name := range []string{"old", "new"} {
		yaml += "    - name: " + name + "\n" + fpmInstance(fpms[name], "      ")
	}
	return newEnvWith(t, envOptions{phpfpm: yaml}), fpms
}

func TestInstancesEndToEnd(t *testing.T) {
	e, fpms := newInstancesEnv(t, sandbox.Pool{Name: "www", StatusPath: "/status"}, sandbox.Pool{Name: "app", StatusPath: "/status"})
	old, cur := fpms["old"], fpms["new"]

	t.Run("list covers both with a PHP column", func(t *testing.T) {
		r := e.want("vic", "fpm pools", "ok", 0)
		var data struct {
			Pools []struct{ PHP, Name string } `json:"pools"`
		}
		if err := json.Unmarshal(r.Data, &data); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range data.Pools {
			got = append(got, p.PHP+"/"+p.Name)
		}
		slices.Sort(got)
		if want := []string{"new/app", "new/www", "old/app", "old/www"}; !slices.Equal(got, want) {
			t.Errorf("pools %v, want %v", got, want)
		}
		if !strings.Contains(r.Message, "PHP  NAME") {
			t.Errorf("no PHP column:\n%s", r.Message)
		}
		r = e.want("vic", "fpm pools --php old", "ok", 0)
		if strings.Contains(r.Message, "PHP  NAME") || !strings.Contains(r.Message, old.PoolDir) {
			t.Errorf("--php old lists more than old:\n%s", r.Message)
		}
	})

	t.Run("an edit with --php touches only its instance", func(t *testing.T) {
		oldFiles := digest(t, []string{old.PoolDir}, old.MainConfig)
		oldPID, oldWorkers := old.MasterPID(), fmt.Sprint(old.Workers("app"))
		if oldPID == 0 || oldWorkers == "[]" {
			t.Fatalf("old master %d, workers %s", oldPID, oldWorkers)
		}
		e.want("alice", "fpm pool edit app --php new --max-children 7", "ok", 0)
		b, err := os.ReadFile(filepath.Join(cur.PoolDir, "app.conf"))
		if err != nil || !strings.Contains(string(b), "pm.max_children = 7") {
			t.Errorf("new app.conf (%v):\n%s", err, b)
		}
		if digest(t, []string{old.PoolDir}, old.MainConfig) != oldFiles {
			t.Error("the edit of new changed old's files")
		}
		if old.MasterPID() != oldPID || fmt.Sprint(old.Workers("app")) != oldWorkers {
			t.Errorf("old was reloaded: master %d → %d, workers %s → %v", oldPID, old.MasterPID(), oldWorkers, old.Workers("app"))
		}
		// History is per instance: app of new has the version, app of old none.
		r := e.want("vic", "fpm pool history app --php new", "ok", 0)
		if !strings.Contains(r.Message, "fpm.pool.edit") {
			t.Errorf("history of new's app:\n%s", r.Message)
		}
		if r := e.exec("vic", "fpm pool history app --php old"); strings.Contains(r.Message, "fpm.pool.edit") {
			t.Errorf("history of old's app shows new's edit:\n%s", r.Message)
		}
	})

	t.Run("without --php a write goes to the default", func(t *testing.T) {
		oldFiles := digest(t, []string{old.PoolDir}, old.MainConfig)
		e.want("alice", "fpm pool edit app --max-children 6", "ok", 0)
		if b, _ := os.ReadFile(filepath.Join(cur.PoolDir, "app.conf")); !strings.Contains(string(b), "pm.max_children = 6") {
			t.Errorf("the default instance's app.conf:\n%s", b)
		}
		if digest(t, []string{old.PoolDir}, old.MainConfig) != oldFiles {
			t.Error("a write without --php changed the other instance")
		}
	})

	t.Run("a reload with --php reloads only its instance", func(t *testing.T) {
		newPID, newWorkers := cur.MasterPID(), fmt.Sprint(cur.Workers("app"))
		oldWorkers := fmt.Sprint(old.Workers("app"))
		e.want("olga", "fpm reload --php old", "ok", 0)
		if fmt.Sprint(old.Workers("app")) == oldWorkers {
			t.Errorf("old's workers %s survived its reload", oldWorkers)
		}
		if cur.MasterPID() != newPID || fmt.Sprint(cur.Workers("app")) != newWorkers {
			t.Errorf("new was reloaded too: master %d → %d, workers %s → %v", newPID, cur.MasterPID(), newWorkers, cur.Workers("app"))
		}
	})

	t.Run("unknown --php is refused", func(t *testing.T) {
		r := e.want("alice", "fpm pool edit app --php 9.9 --max-children 3", "invalid", 2)
		if !strings.Contains(r.Message, "old, new") {
			t.Errorf("refusal does not list the instances: %s", r.Message)
		}
		e.want("vic", "fpm status --php 9.9", "invalid", 2)
	})

	t.Run("status covers both", func(t *testing.T) {
		r := e.want("vic", "fpm status", "ok", 0)
		var data struct {
			State     string `json:"state"`
			Instances []struct {
				PHP   string `json:"php"`
				State string `json:"state"`
				PID   int    `json:"pid"`
				Pools []struct {
					PHP, Name string
					Figures   *json.RawMessage
				} `json:"pools"`
			} `json:"instances"`
		}
		if err := json.Unmarshal(r.Data, &data); err != nil {
			t.Fatal(err)
		}
		if len(data.Instances) != 2 || data.Instances[0].PHP != "old" || data.Instances[1].PHP != "new" {
			t.Fatalf("instances: %s", r.Data)
		}
		for _, in := range data.Instances {
			if in.State != "running" || in.PID == 0 || len(in.Pools) != 2 || in.Pools[0].Figures == nil {
				t.Errorf("instance %s: %+v", in.PHP, in)
			}
		}
		if !strings.Contains(r.Message, "php-fpm old on e2e") || !strings.Contains(r.Message, "php-fpm new on e2e") {
			t.Errorf("status text:\n%s", r.Message)
		}
	})

	t.Run("tune covers both", func(t *testing.T) {
		// --budget-mb is the budget of every PHP-FPM on the host: the
		// pools of both instances share it, in one split.
		r := e.want("vic", "fpm tune --budget-mb 4096", "ok", 0)
		all := tuneOf(t, r.Data)
		if len(all.Pools) != 4 || all.Pools[0].PHP != "old" || all.BudgetMB != 4096 || all.BudgetSource != "--budget-mb, shared by PHP old, new" {
			t.Fatalf("tune: %s", r.Data)
		}
		if sum := all.poolsMB(""); sum > 4096 || all.Shared == nil || math.Abs(all.Shared.FullLoadMB-sum) > 0.5 ||
			!slices.Equal(all.Shared.Instances, []string{"old", "new"}) {
			t.Errorf("the pools of both take %.1f MB of the one 4096 MB budget: %s", sum, r.Data)
		}
		if !strings.Contains(r.Message, "shared among the pools of PHP old, new") || strings.Contains(r.Message, "once per instance") {
			t.Errorf("tune text:\n%s", r.Message)
		}

		// --php old: old's part of the same split, not the whole budget.
		// Two runs sample apart, so the sizes may differ by a worker, and
		// are not compared; what must hold is that old's part with new's
		// fits the budget, and leaves new's pools at least a worker each
		// (advised the whole alone, old would come within one worker of
		// 4096 MB).
		r = e.want("vic", "fpm tune --php old --budget-mb 4096", "ok", 0)
		one := tuneOf(t, r.Data)
		oldMB := one.poolsMB("")
		if len(one.Pools) != 2 || one.BudgetMB != 4096 || one.Shared == nil || one.Shared.FullLoadMB > 4096 ||
			oldMB >= one.Shared.FullLoadMB || oldMB > 4096-minWorkersMB(all, "new") {
			t.Errorf("--php old takes %.1f MB of a budget it shares with new: %s", oldMB, r.Data)
		}
		if !strings.Contains(r.Message, "with the pools of every instance that shares it") {
			t.Errorf("--php old text:\n%s", r.Message)
		}
		// A pool, without --php, is routed to its instance and sized
		// within the same shared budget.
		r = e.want("vic", "fpm tune app --budget-mb 4096", "ok", 0)
		if p := tuneOf(t, r.Data); len(p.Pools) != 1 || p.BudgetSource != all.BudgetSource || p.Shared == nil || p.Shared.FullLoadMB > 4096 {
			t.Errorf("tune app: %s", r.Data)
		}

		// Measured: one budget, MemAvailable counted once.
		r = e.want("vic", "fpm tune", "ok", 0)
		m := tuneOf(t, r.Data)
		if m.BudgetSource != "measured, shared by PHP old, new" || m.Measured == nil || m.poolsMB("") > float64(m.BudgetMB) ||
			m.BudgetMB != m.Measured.MemAvailableMB+m.Measured.InstancePSSMB-m.Measured.ReserveMB {
			t.Errorf("measured tune: %s", r.Data)
		}
	})

	t.Run("a broken instance is off alone", func(t *testing.T) {
		cfg, err := os.ReadFile(e.config)
		if err != nil {
			t.Fatal(err)
		}
		broken := "    - {name: gone, version: \"8.2\", main_config: /nonexistent/php-fpm.conf, service: {mode: signal}}\n"
		cfg = []byte(strings.Replace(string(cfg), "  instances:\n", "  instances:\n"+broken, 1))
		if err := os.WriteFile(e.config, cfg, 0o600); err != nil {
			t.Fatal(err)
		}
		r := e.want("vic", "fpm pools", "ok", 0)
		if !strings.Contains(r.Message, "PHP gone: PHP-FPM gone is not available") || !strings.Contains(r.Message, "old  app") {
			t.Errorf("list with a broken instance:\n%s", r.Message)
		}
		r = e.want("vic", "fpm pools --php gone", "failed", 1)
		if !strings.Contains(r.Message, "pid_file") {
			t.Errorf("the broken instance does not say why: %s", r.Message)
		}
		e.want("alice", "fpm pool edit app --php old --max-children 5", "ok", 0)
	})
	// Last: it adds pools the subtests above count.
	t.Run("without --php a pool only another instance has is found there", func(t *testing.T) {
		// Free ports of this moment, not fixed ones: another test run on
		// the machine may hold any fixed port.
		e.want("alice", "fpm pool create legacy --php old --listen "+freeAddr(t), "ok", 0)
		r := e.want("vic", "fpm pool show legacy", "ok", 0)
		if !strings.Contains(r.Message, old.PoolDir) {
			t.Errorf("show legacy without --php did not find old's pool:\n%s", r.Message)
		}
		e.want("alice", "fpm pool create legacy --php new --listen "+freeAddr(t), "ok", 0)
		r = e.want("vic", "fpm pool show legacy", "ok", 0)
		if !strings.Contains(r.Message, cur.PoolDir) {
			t.Errorf("with legacy in both, show without --php is not the default's:\n%s", r.Message)
		}
	})
}

// tuneData is the part of fpm.tune's data the instances test reads.
type tuneData struct {
	BudgetMB     int64  `json:"budget_mb"`
	BudgetSource string `json:"budget_source"`
	Measured     *struct {
		MemAvailableMB int64 `json:"mem_available_mb"`
		InstancePSSMB  int64 `json:"instance_pss_mb"`
		ReserveMB      int64 `json:"reserve_mb"`
	} `json:"measured"`
	Shared *struct {
		Instances  []string `json:"instances"`
		FullLoadMB float64  `json:"full_load_mb"`
	} `json:"shared"`
	Pools []struct {
		PHP        string  `json:"php"`
		Name       string  `json:"name"`
		Advised    int64   `json:"advised_max_children"`
		WorkerMB   float64 `json:"worker_mb"`
		FullLoadMB float64 `json:"full_load_mb"`
	} `json:"pools"`
}

func tuneOf(t *testing.T, raw json.RawMessage) tuneData {
	t.Helper()
	var d tuneData
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("tune data %s: %v", raw, err)
	}
	return d
}

// poolsMB is the memory the pools of php ("" for every one) take at full load.
func (d tuneData) poolsMB(php string) float64 {
	sum := 0.0
	for _, p := range d.Pools {
		if php == "" || p.PHP == php {
			sum += p.FullLoadMB
		}
	}
	return sum
}

// minWorkersMB is the least the pools of php take: one worker each.
func minWorkersMB(d tuneData, php string) float64 {
	sum := 0.0
	for _, p := range d.Pools {
		if p.PHP == php {
			sum += p.WorkerMB
		}
	}
	return sum
}
