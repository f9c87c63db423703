package fleet

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// rollData is the data of a group write's answer.
type rollData struct {
	Hosts []HostResult `json:"hosts"`
	Roll  ops.Progress `json:"roll"`
	Undo  []Undo       `json:"undo"`
}

func dataOf(t *testing.T, res ops.Result) rollData {
	t.Helper()
	raw, _ := json.Marshal(res.Data)
	var d rollData
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("data %s: %v", raw, err)
	}
	return d
}

func states(p ops.Progress) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Name+"="+string(s.State))
	}
	return out
}

// approved asks for text as the operator and has the admin approve it.
func (e *fleetEnv) approved(text string) ops.Result {
	e.t.Helper()
	req := e.run(operator, text)
	if req.Status != ops.StatusPending {
		e.t.Fatalf("%s: %s %s", text, req.Status, req.Message)
	}
	return e.run(admin, "ops approve "+req.ApprovalID)
}

const appFile = "[program:app]\ncommand=/bin/old --flag\n"

func newFileFleet(t *testing.T) *fleetEnv {
	e := newFleet(t, "web-01", "web-02", "worker-01")
	for _, h := range e.hosts {
		h.files.write(t, "app", appFile)
	}
	return e
}

func TestGroupRollStopsAtTheFailingHost(t *testing.T) {
	e := newFileFleet(t)
	e.hosts["web-02"].files.fail.Store(true)
	res := e.approved("supervisor edit app --set command=/bin/new --host every")
	if res.Status != ops.StatusFailed {
		t.Fatalf("got %s: %s", res.Status, res.Message)
	}
	if got := string(e.hosts["web-01"].files.read(t, "app")); got != "[program:app]\ncommand=/bin/new\n" {
		t.Errorf("web-01, before the failure, was not changed: %q", got)
	}
	for _, h := range []string{"web-02", "worker-01"} {
		if got := string(e.hosts[h].files.read(t, "app")); got != appFile {
			t.Errorf("%s changed: %q", h, got)
		}
	}
	d := dataOf(t, res)
	if want := []string{"web-01=done", "web-02=failed", "worker-01=untouched"}; !slices.Equal(states(d.Roll), want) || !d.Roll.Finished {
		t.Errorf("roll %v (finished %v), want %v", states(d.Roll), d.Roll.Finished, want)
	}
	if !d.Hosts[2].Untouched || !strings.Contains(d.Hosts[2].Message, "stopped after web-02 failed") {
		t.Errorf("worker-01: %+v", d.Hosts[2])
	}
	if !strings.Contains(res.Message, "The roll stopped at web-02") || strings.Contains(res.Message, "Rolled back") {
		t.Errorf("message:\n%s", res.Message)
	}
}

func TestGroupRollbackRestoresTheHostsChanged(t *testing.T) {
	e := newFileFleet(t)
	e.hosts["worker-01"].files.fail.Store(true)
	res := e.approved("supervisor edit app --set command=/bin/new --host every --on-failure rollback")
	if res.Status != ops.StatusFailed {
		t.Fatalf("got %s: %s", res.Status, res.Message)
	}
	ctx := context.Background()
	for _, h := range []string{"web-01", "web-02", "worker-01"} {
		if got := string(e.hosts[h].files.read(t, "app")); got != appFile {
			t.Errorf("%s not restored byte for byte: %q", h, got)
		}
	}
	for _, h := range []string{"web-01", "web-02"} {
		// By hand (the file as found), the edit, its rollback: a new version.
		list, err := e.hosts[h].files.versions.List(ctx, programKind, "app")
		if err != nil || len(list) != 3 || string(list[2].Content) != appFile || list[2].Actor != "local:olive" || list[2].Approver != "local:ada" {
			t.Errorf("%s versions: %+v %v", h, list, err)
		}
	}
	d := dataOf(t, res)
	if len(d.Undo) != 2 || d.Undo[0].Host != "web-01" || d.Undo[1].Host != "web-02" || d.Undo[0].Operation != programOps.Rollback ||
		d.Undo[0].Status != ops.StatusOK || d.Undo[1].Status != ops.StatusOK {
		t.Errorf("undo %+v", d.Undo)
	}
	if !strings.Contains(res.Message, "Rolled back app on web-01, app on web-02.") {
		t.Errorf("message:\n%s", res.Message)
	}

	// A program the write created is undone by deleting it.
	res = e.approved("supervisor add fresh --command /bin/x --host every --on-failure rollback")
	if res.Status != ops.StatusFailed {
		t.Fatalf("add: %s %s", res.Status, res.Message)
	}
	for _, h := range []string{"web-01", "web-02", "worker-01"} {
		if got := e.hosts[h].files.read(t, "fresh"); got != nil {
			t.Errorf("%s keeps the added program: %q", h, got)
		}
	}
	if d := dataOf(t, res); len(d.Undo) != 2 || d.Undo[0].Operation != programOps.Delete || d.Undo[1].Status != ops.StatusOK {
		t.Errorf("undo of an add: %+v", d.Undo)
	}

	// An undo that fails says so, per host, and the others are undone.
	e.hosts["web-01"].files.failUndo.Store(true)
	res = e.approved("supervisor edit app --set command=/bin/newer --host every --on-failure rollback")
	d = dataOf(t, res)
	if len(d.Undo) != 2 || d.Undo[0].Status != ops.StatusFailed || !strings.Contains(d.Undo[0].Message, "the daemon refused it") || d.Undo[1].Status != ops.StatusOK {
		t.Errorf("undo %+v", d.Undo)
	}
	if !strings.Contains(res.Message, "Could not roll back app on web-01 (why is below).") ||
		!strings.Contains(res.Message, "The undo of app on web-01 (supervisor.program.rollback) failed:\nsupervisor.program.edit of app failed: the daemon refused it") || string(e.hosts["web-02"].files.read(t, "app")) != appFile {
		t.Errorf("message:\n%s", res.Message)
	}
}

func TestInvalidRollCombinationsChangeNothing(t *testing.T) {
	e := newFileFleet(t)
	for _, c := range []struct{ name, text, want string }{
		{"rollback of a restart", "supervisor restart web --host web --on-failure rollback", "changes no file"},
		{"one host", "supervisor edit app --set command=/bin/new --host web-01 --on-failure rollback", "host group"},
		{"one host, stop", "supervisor restart web --host web-01 --on-failure stop", "host group"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := e.run(operator, c.text)
			if res.Status != ops.StatusInvalid || !strings.Contains(res.Message, c.want) || res.ApprovalID != "" {
				t.Errorf("%s %q: %s", res.Status, res.Message, res.ApprovalID)
			}
		})
	}
	for name, h := range e.hosts {
		if h.restarts.Load() != 0 || string(h.files.read(t, "app")) != appFile {
			t.Errorf("%s changed: %d restarts, %q", name, h.restarts.Load(), h.files.read(t, "app"))
		}
	}
}

func TestCancelStopsAGroupRollBetweenHosts(t *testing.T) {
	e := newFileFleet(t)
	web01 := e.hosts["web-01"]
	web01.gate, web01.entered = make(chan struct{}), make(chan string, 1)
	req := e.run(operator, "supervisor restart web --host every")
	if req.Status != ops.StatusPending {
		t.Fatalf("%+v", req)
	}
	var mu sync.Mutex
	var reports []ops.Progress
	ctx := ops.WithWatcher(context.Background(), func(p ops.Progress) {
		mu.Lock()
		defer mu.Unlock()
		reports = append(reports, p)
	})
	done := make(chan ops.Result)
	go func() { done <- e.pipe.Run(ctx, admin, "ops approve "+req.ApprovalID) }()
	var id string
	select {
	case id = <-web01.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("web-01's restart never began")
	}
	if c := e.run(operator, "ops cancel "+id); c.Status != ops.StatusOK {
		t.Fatalf("cancel: %+v", c)
	}
	close(web01.gate)
	res := <-done
	if res.Status != ops.StatusOK || !strings.Contains(res.Message, "Cancelled by local:olive before web-02") {
		t.Errorf("%s:\n%s", res.Status, res.Message)
	}
	// web-01's apply was under way: the cancel reached its run too, which
	// the stub looks at before it restarts, as a roll does before each batch.
	if web01.restarts.Load() != 0 || e.hosts["web-02"].restarts.Load() != 0 || e.hosts["worker-01"].restarts.Load() != 0 {
		t.Errorf("restarts %d %d %d", web01.restarts.Load(), e.hosts["web-02"].restarts.Load(), e.hosts["worker-01"].restarts.Load())
	}
	d := dataOf(t, res)
	if want := []string{"web-01=done", "web-02=untouched", "worker-01=untouched"}; !slices.Equal(states(d.Roll), want) || d.Roll.CancelledBy != "local:olive" {
		t.Errorf("roll %v cancelled by %q", states(d.Roll), d.Roll.CancelledBy)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reports) < 3 || reports[0].RunID != id || reports[0].Steps[0].Items[0] != "web-01" {
		t.Errorf("reports %+v", reports)
	}
	// The host done has an audit entry of its own on the hub.
	a := e.run(admin, "ops audit 20")
	if raw, _ := json.Marshal(a.Data); !strings.Contains(string(raw), "web-01 of run "+id+": done") {
		t.Errorf("the hub's audit lacks web-01's step: %s", raw)
	}
}

func TestCancelOfAOneHostRunReachesItsAgent(t *testing.T) {
	e := newFileFleet(t)
	web02 := e.hosts["web-02"]
	web02.gate, web02.entered = make(chan struct{}), make(chan string, 1)
	// The hub reports the one host's rolling apply as a step, so that the
	// surface shows the run's ID.
	shown := make(chan string, 4)
	ctx := ops.WithWatcher(context.Background(), func(p ops.Progress) { shown <- p.RunID })
	done := make(chan ops.Result)
	go func() { done <- e.pipe.Run(ctx, operator, "supervisor restart web --host web-02 --rolling") }()
	var id string
	select {
	case id = <-web02.entered:
		if got := <-shown; got != id {
			t.Errorf("the hub showed run %q, the agent runs %q", got, id)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("web-02's restart never began")
	}
	// Someone with no say over the run is refused on the hub.
	stranger := ops.Actor{Platform: "local", ID: "sam"}
	if c := e.run(stranger, "ops cancel "+id); c.Status == ops.StatusOK {
		t.Errorf("a stranger cancelled: %+v", c)
	}
	if c := e.run(operator, "ops cancel "+id); c.Status != ops.StatusOK {
		t.Fatalf("cancel: %+v", c)
	}
	close(web02.gate)
	res := <-done
	if !strings.Contains(res.Message, "run "+id+" cancelled by local:olive") || web02.restarts.Load() != 0 {
		t.Errorf("the agent's run was not cancelled: %s (restarts %d)", res.Message, web02.restarts.Load())
	}
}

// TestGroupRollbackUndoesOnlyItsOwnChange: between a host's apply and the
// undo, someone else may change the same file there (their own request on
// that host). The rollback of the history undoes the last change, which is
// then theirs: the undo must not take back a change this write did not
// make, and must leave the file as they left it.
func TestGroupRollbackUndoesOnlyItsOwnChange(t *testing.T) {
	e := newFileFleet(t)
	web := e.hosts["web-01"].files
	alice := "[program:app]\ncommand=/bin/alice\n"
	e.hosts["worker-01"].files.fail.Store(true)
	e.hosts["worker-01"].files.onFail = func() {
		// Alice's edit on web-01, through its own poolvisor, mid-roll.
		before := web.read(t, "app")
		web.write(t, "app", alice)
		c := ops.FileChange{Kind: programKind, Name: "app", Path: web.path("app"), Before: before, After: []byte(alice)}
		if err := web.versions.Record(context.Background(), c, ops.VersionMeta{Actor: ops.Actor{Platform: "local", ID: "alice"}, Operation: programOps.Edit}); err != nil {
			t.Error(err)
		}
	}
	res := e.approved("supervisor edit app --set command=/bin/new --host every --on-failure rollback")
	if res.Status != ops.StatusFailed {
		t.Fatalf("got %s: %s", res.Status, res.Message)
	}
	if got := string(web.read(t, "app")); got != alice {
		t.Errorf("web-01: the undo took back alice's change: %q, want %q", got, alice)
	}
	if got := string(e.hosts["web-02"].files.read(t, "app")); got != appFile {
		t.Errorf("web-02 not restored: %q", got)
	}
	d := dataOf(t, res)
	if len(d.Undo) != 2 || d.Undo[0].Host != "web-01" || d.Undo[0].Status == ops.StatusOK || !strings.Contains(d.Undo[0].Message, "changed since") ||
		d.Undo[1].Status != ops.StatusOK {
		t.Errorf("undo %+v", d.Undo)
	}
}
