package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/fastcgi"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// holdMS is how long each slow request of the saturation test runs: past
// the pool's request_slowlog_timeout (1s), so each is in its slow log, and
// long enough that php-fpm's once-a-second maintenance finds the pool's one
// worker busy and counts max children reached.
const holdMS = 1500

// newSaturationEnv is a real php-fpm with one pool, shop, of a single
// worker (pm.max_children = 1) with a status page and a slow log, and
// `poolvisor serve` between it and a fake Slack, reading the pools' status
// every second. olga's operator role may ask for /fpm tune --apply, which
// always waits for approval.
func newSaturationEnv(t *testing.T) (*slackEnv, *sandbox.PHPFPM, string) {
	t.Helper()
	fake := newSlackFake(t)
	logs := phpDir(t)
	f := sandbox.FPMDaemonized(t, sandbox.Pool{Name: "shop", PM: "dynamic", MaxChildren: 1, StatusPath: "/status",
		Extra: map[string]string{"request_slowlog_timeout": "1s", "slowlog": filepath.Join(logs, "shop.slow.log")}})
	addr := freeAddr(t)
	path := e2eConfig{listen: addr, log: "debug",
		phpfpm:   "phpfpm:\n  enabled: true\n" + fpmInstance(f, "  ", "memory_budget_mb: 256"),
		sections: "alerts: {pool_interval: 1s, stable_after: 10m}\n" + slackSection("http", fake),
		roles: `  roles:
    admin: ["*"]
    operator: [fpm.tune, fpm.tune.apply, fpm.pool.slowlog, ops.approvals]
    viewer: [fpm.tune]
`,
		bindings: []string{
			"{role: admin, slack_users: [U0ALICE, U0BOB], local_users: [alice]}",
			"{role: operator, slack_usergroups: [S0OPS]}",
			"{role: viewer, slack_users: [U0VIC], local_users: [vic]}",
		},
	}.write(t)
	script := filepath.Join(phpDir(t), "checkout.php")
	php := fmt.Sprintf("<?php\nfunction charge() {\n    usleep(%d);\n}\ncharge();\necho 'done';\n", holdMS*1000)
	if err := os.WriteFile(script, []byte(php), 0o644); err != nil {
		t.Fatal(err)
	}
	se := &slackEnv{env: &env{t: t, config: path}, fake: fake, base: "http://" + addr}
	return se, f, script
}

// phpDir is a directory the pool's workers (nobody, when the tests run as
// root) and its master may enter.
func phpDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "poolvisor-sat-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// saturate sends n requests for script to pool at once, which a pool of
// one worker serves one after the other, and waits for them all.
func saturate(t *testing.T, f *sandbox.PHPFPM, pool, script string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), settle) // reached only on failure
			defer cancel()
			if resp, err := fastcgi.Get(ctx, "unix", f.SocketPath(pool), script, ""); err != nil || string(resp.Body) != "done" {
				t.Errorf("request to %s: %v %+v", pool, err, resp)
			}
		})
	}
	wg.Wait()
}

// acceptedConn reads the pool's status page and returns how many requests
// it has accepted, this one included.
func acceptedConn(t *testing.T, f *sandbox.PHPFPM, pool string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), settle) // reached only on failure
	defer cancel()
	resp, err := fastcgi.Get(ctx, "unix", f.SocketPath(pool), "/status", "json")
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Accepted int64 `json:"accepted conn"`
	}
	if err := json.Unmarshal(resp.Body, &page); err != nil {
		t.Fatalf("status of %s: %v: %s", pool, err, resp.Body)
	}
	return page.Accepted
}

// TestSaturationAlertSaysWhatToDo (issue 18 item 5): a pool of one worker
// held by slow requests is alerted in Slack with /fpm tune's advice for it,
// the top of its slow log and an Apply advice button, which an operator's
// click turns into a request for approval of fpm.tune.apply.
func TestSaturationAlertSaysWhatToDo(t *testing.T) {
	se, f, script := newSaturationEnv(t)
	// php-fpm counts max children reached once while a pool stays at its
	// size, so serve must read the status before the first saturation:
	// wait until someone besides this test has read it.
	mine := acceptedConn(t, f, "shop")
	since := se.fake.Seq()
	se.logs = startServe(t, se.config, se.base)
	for deadline := time.Now().Add(settle); ; {
		n := acceptedConn(t, f, "shop")
		if n > mine+1 {
			break
		}
		mine = n
		if time.Now().After(deadline) {
			t.Fatalf("serve never read shop's status\n%s", se.logs.String())
		}
		time.Sleep(50 * time.Millisecond) // polling the status page, not waiting for time to pass
	}

	// Three requests at once hold the one worker for 4.5s: max children
	// reached goes from 0 to 1 and requests wait in the listen queue. Each
	// round that is not alerted yet (a busy machine) saturates it again,
	// queueing in two samples running.
	var alert slackfake.Message
	for deadline := time.Now().Add(settle); ; {
		saturate(t, f, "shop", script, 3)
		m, err := se.fake.Wait(time.Second, since, func(m slackfake.Message) bool {
			return m.Kind == "post" && m.Channel == slackNotify && strings.Contains(m.Text, "PHP-FPM pool shop")
		})
		if err == nil {
			alert = m
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no saturation alert within %s\n%s", settle, se.logs.String())
		}
	}
	text := alert.Text + "\n" + string(slackfake.Readable(alert.Blocks))
	for _, want := range []string{"pm.max_children 1 → ", "MB a worker", "MB at full load of a 256 MB budget (phpfpm.memory_budget_mb)",
		"Slowest in the last hour:", script, "usleep() " + script + ":3"} {
		if !strings.Contains(text, want) {
			t.Errorf("the alert does not say %q:\n%s", want, text)
		}
	}
	var apply, sizing string
	for _, b := range alert.Buttons() {
		switch b.Value {
		case "fpm tune shop --apply":
			apply = b.ActionID
		case "fpm tune shop":
			sizing = b.ActionID
		}
	}
	if apply == "" || sizing == "" {
		t.Fatalf("buttons %+v, want Sizing advice and Apply advice:\n%s", alert.Buttons(), text)
	}

	// A viewer's click is refused; an operator's is a request for approval
	// of the write, planned as if olga had typed it.
	since = se.fake.Seq()
	se.interact("http", click(sVic, alert, apply, "40.1", se.fake.ResponseURL()))
	se.wait(since, "the viewer's refusal", func(m slackfake.Message) bool {
		return strings.Contains(m.All(), "fpm.tune.apply") && !strings.Contains(m.All(), "Approval needed")
	})
	since = se.fake.Seq()
	se.interact("http", click(sOlga, alert, apply, "40.2", se.fake.ResponseURL()))
	se.wait(since, "the approval request olga's click made", func(m slackfake.Message) bool {
		return m.Kind == "post" && strings.Contains(m.All(), "Approval needed") &&
			strings.Contains(m.All(), "fpm.tune.apply shop") && strings.Contains(m.All(), "resize pools shop (1 → ")
	})
	if r := se.exec("alice", "ops approvals"); !strings.Contains(r.Message, "fpm.tune.apply shop") {
		t.Errorf("no approval of fpm.tune.apply waits:\n%s", r.Message)
	}
}
