package phpfpm

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// TestAlertDetailWithoutSlowLog: a saturation alert of a pool without a
// slow log, or whose slow log php-fpm has not written yet, carries none
// and no error; the advice for a pool php-fpm does not run is an error
// the alert can show.
func TestAlertDetailWithoutSlowLog(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"},
		sandbox.Pool{Name: "quiet", Extra: map[string]string{"request_slowlog_timeout": "5s", "slowlog": t.TempDir() + "/never.log"}})
	b := testBackend(t, f)
	for _, pool := range []string{"www", "quiet"} {
		if s, err := b.TopSlow(pool, time.Hour); s != nil || err != nil {
			t.Errorf("TopSlow(%s) = %+v, %v; want nothing", pool, s, err)
		}
	}
	if _, err := b.TopSlow("nope", time.Hour); err == nil {
		t.Error("TopSlow of a pool that does not exist: no error")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := b.PoolAdvice(ctx, "nope")
	if e := (*ops.Error)(nil); !errors.As(err, &e) || e.Msg == "" {
		t.Errorf("PoolAdvice of a pool that does not exist: %v", err)
	}
	a, err := b.PoolAdvice(ctx, "www")
	if err != nil || len(a.Pools) != 1 || a.Pools[0].Name != "www" || a.BudgetMB <= 0 {
		t.Errorf("PoolAdvice(www) = %+v, %v", a, err)
	}
}
