package phpfpm

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// fakeInstance answers fpm.pool.list with its pools and records which
// writes reached it.
func fakeInstance(name string, pools []string, wrote *[]string) Instance {
	list := ops.ReadFunc(func(context.Context, ops.Request) (ops.Outcome, error) {
		d := ops.PoolList{Pools: []ops.Pool{}}
		for _, p := range pools {
			d.Pools = append(d.Pools, ops.Pool{Name: p, PM: "dynamic", Listen: "/run/" + name + "-" + p + ".sock", File: "/etc/" + name + "/" + p + ".conf"})
		}
		return ops.Outcome{Message: "pools of " + name, Data: d}, nil
	})
	edit := writeFunc(func(_ context.Context, req ops.Request) (*ops.Plan, error) {
		ch := ops.FileChange{Kind: PoolKind, Name: req.Op.Target, Path: "/etc/" + name + "/" + req.Op.Target + ".conf"}
		return &ops.Plan{Changes: []ops.FileChange{ch}, Apply: func(context.Context) (ops.Outcome, error) {
			*wrote = append(*wrote, name+":"+req.Op.Target)
			return ops.Outcome{Message: "edited", Changes: []ops.FileChange{ch}}, nil
		}}, nil
	})
	return Instance{Name: name, Handlers: map[string]ops.Handler{"fpm.pool.list": list, "fpm.pool.edit": edit}}
}

type writeFunc func(context.Context, ops.Request) (*ops.Plan, error)

func (f writeFunc) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) { return f(ctx, req) }

func runOp(t *testing.T, h ops.Handler, op ops.Operation) (ops.Outcome, error) {
	t.Helper()
	plan, err := h.Plan(context.Background(), ops.Request{Op: op})
	if err != nil {
		return ops.Outcome{}, err
	}
	return plan.Apply(context.Background())
}

func wantErrStatus(t *testing.T, err error, status ops.Status, text string) {
	t.Helper()
	var e *ops.Error
	if !errors.As(err, &e) || e.Status != status || !strings.Contains(e.Msg, text) {
		t.Errorf("err = %v, want %s containing %q", err, status, text)
	}
}

func TestInstancesRoute(t *testing.T) {
	var wrote []string
	two := func(def string) map[string]ops.Handler {
		return NewInstances("web-01", []Instance{fakeInstance("7.4", []string{"www", "legacy"}, &wrote),
			fakeInstance("8.3", []string{"www"}, &wrote)}, def).Handlers()
	}
	h := two("8.3")
	php := func(v string) []ops.Arg { return []ops.Arg{{Key: ops.InstanceArg, Value: v}} }

	out, err := runOp(t, h["fpm.pool.list"], ops.Operation{Name: "fpm.pool.list"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range out.Data.(ops.PoolList).Pools {
		got = append(got, p.PHP+"/"+p.Name)
	}
	if want := []string{"7.4/www", "7.4/legacy", "8.3/www"}; !reflect.DeepEqual(got, want) {
		t.Errorf("pools %v, want %v", got, want)
	}
	if !strings.Contains(out.Message, "PHP  NAME") || !strings.Contains(out.Message, "7.4  legacy") {
		t.Errorf("list text lacks the PHP column:\n%s", out.Message)
	}

	out, err = runOp(t, h["fpm.pool.list"], ops.Operation{Name: "fpm.pool.list", Args: php("7.4")})
	if err != nil || out.Message != "pools of 7.4" || out.Data.(ops.PoolList).Pools[0].PHP != "" {
		t.Errorf("--php 7.4 list: %+v %v", out, err)
	}

	_, err = runOp(t, h["fpm.pool.list"], ops.Operation{Name: "fpm.pool.list", Args: php("8.2")})
	wantErrStatus(t, err, ops.StatusInvalid, `no PHP-FPM "8.2" on web-01; --php takes 7.4, 8.3`)

	out, err = runOp(t, h["fpm.pool.edit"], ops.Operation{Name: "fpm.pool.edit", Target: "www", Args: php("7.4")})
	if err != nil || !reflect.DeepEqual(wrote, []string{"7.4:www"}) || out.Changes[0].Kind != "fpm.pool@7.4" {
		t.Errorf("edit --php 7.4: wrote %v, changes %+v, err %v", wrote, out.Changes, err)
	}
	out, err = runOp(t, h["fpm.pool.edit"], ops.Operation{Name: "fpm.pool.edit", Target: "www"})
	if err != nil || wrote[len(wrote)-1] != "8.3:www" || out.Changes[0].Kind != "fpm.pool@8.3" {
		t.Errorf("edit to the default: wrote %v, changes %+v, err %v", wrote, out.Changes, err)
	}

	_, err = runOp(t, two("")["fpm.pool.edit"], ops.Operation{Name: "fpm.pool.edit", Target: "www"})
	wantErrStatus(t, err, ops.StatusInvalid, "several PHP-FPM run on web-01 (7.4, 8.3): say which with --php NAME")
}

func TestOneInstanceIsAsBefore(t *testing.T) {
	var wrote []string
	in := fakeInstance("8.2", []string{"www"}, &wrote)
	h := NewInstances("web-01", []Instance{in}, "8.2").Handlers()
	out, err := runOp(t, h["fpm.pool.list"], ops.Operation{Name: "fpm.pool.list"})
	if err != nil || out.Message != "pools of 8.2" || out.Data.(ops.PoolList).Pools[0].PHP != "" {
		t.Errorf("list: %+v %v", out, err)
	}
	out, err = runOp(t, h["fpm.pool.edit"], ops.Operation{Name: "fpm.pool.edit", Target: "www", Args: []ops.Arg{{Key: "php", Value: "8.2"}}})
	if err != nil || out.Changes[0].Kind != PoolKind {
		t.Errorf("edit --php 8.2: %+v %v", out, err)
	}
	_, err = runOp(t, h["fpm.pool.edit"], ops.Operation{Name: "fpm.pool.edit", Target: "www", Args: []ops.Arg{{Key: "php", Value: "7.4"}}})
	wantErrStatus(t, err, ops.StatusInvalid, `no PHP-FPM "7.4"`)
}

func TestInstancesHealthNamesEach(t *testing.T) {
	var wrote []string
	s := NewInstances("web-01", []Instance{fakeInstance("8.3", nil, &wrote), {Name: "7.4", Off: "PHP-FPM 7.4 is not available on web-01: gone"}}, "8.3")
	got := s.Health(context.Background())
	if len(got) != 2 || got[0].Name != "php-fpm 8.3" || got[1].Name != "php-fpm 7.4" || got[1].OK || !strings.Contains(got[1].Info, "gone") {
		t.Errorf("health %+v", got)
	}
}
