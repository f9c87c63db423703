package alert

import (
	"context"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// PoolDetail is what a pool's saturation alert says to do, found when the
// alert opens: /fpm tune's advice for the pool and the top group of its
// slow log. Renderers draw it from these fields.
type PoolDetail struct {
	// Pool is the pool's own name; PHP the instance, on a host with
	// several (Alert.Program is then "POOL --php NAME").
	Pool string `json:"pool"`
	PHP  string `json:"php,omitempty"`
	// Advice is the pool's line of /fpm tune (current and advised
	// pm.max_children, a worker's MB, its memory at full load); nil when
	// no advice could be made, and AdviceError says why.
	Advice      *ops.PoolTune `json:"advice,omitempty"`
	AdviceError string        `json:"advice_error,omitempty"`
	// BudgetMB and BudgetSource are the instance's budget the advice
	// shares (see ops.FPMTune).
	BudgetMB     int64  `json:"budget_mb,omitempty"`
	BudgetSource string `json:"budget_source,omitempty"`
	// Apply is the command of the "Apply advice" button (/fpm tune NAME
	// --apply): a write planned and approved like any other, run as the
	// presser. "" when the advice changes nothing or there is none.
	Apply string `json:"apply,omitempty"`
	// Slow is the largest group of the pool's slow requests in the last
	// SlowWindow; nil when it has no slow log or nothing in it.
	Slow *ops.SlowlogEntry `json:"slow,omitempty"`
}

// SlowWindow is how far back a saturation alert looks in the slow log.
const SlowWindow = time.Hour

// ApplyLabel is the text of the button that runs PoolDetail.Apply.
const ApplyLabel = "Apply advice"

// Changes reports whether the advice would change the pool's size.
func (d PoolDetail) Changes() bool {
	a := d.Advice
	return a != nil && !a.Kept && a.AdvisedMaxChildren > 0 && a.AdvisedMaxChildren != a.CurrentMaxChildren
}

// DetailTimeout bounds the work of a PoolWatch's Detail: the tune samples
// the workers' memory for under a second, but a status page or /proc may
// hang, and the alert must go out regardless.
const DetailTimeout = 20 * time.Second

// detail asks w.Detail for pool, bounded by DetailTimeout; an answer that
// is not back in time is an alert without advice that says so.
func (w *PoolWatch) detail(ctx context.Context, pool string) *PoolDetail {
	if w.Detail == nil {
		return nil
	}
	limit := DetailTimeout
	if w.timeout > 0 {
		limit = w.timeout
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	d := w.Detail(ctx, pool)
	if d.Advice == nil && d.AdviceError == "" {
		d.AdviceError = "no advice was made"
		if ctx.Err() != nil {
			d.AdviceError = "the advice took longer than " + limit.String()
		}
	}
	return &d
}
