package app

import (
	"context"
	"errors"
	"log/slog"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/phpfpm"
)

// poolDetail is what a saturation alert of pool (of instance php, "" on a
// host with one) says to do: /fpm tune's advice for it, the command that
// applies it, and the top group of its slow log in the last hour. Each
// part that fails is said or left out; the alert goes out regardless.
func poolDetail(ctx context.Context, log *slog.Logger, b *phpfpm.Backend, pool, php string) alert.PoolDetail {
	d := alert.PoolDetail{Pool: pool, PHP: php}
	if t, err := b.PoolAdvice(ctx, pool); err != nil {
		log.Warn("no sizing advice for a saturation alert", "pool", pool, "php", php, "err", err)
		d.AdviceError = adviceError(ctx, err)
	} else {
		p := t.Pools[0]
		d.Advice, d.BudgetMB, d.BudgetSource = &p, t.BudgetMB, t.BudgetSource
	}
	if d.Changes() {
		d.Apply = applyAdvice(pool, php)
	}
	// A slow log that cannot be read is no reason to hold the alert.
	s, err := b.TopSlow(pool, alert.SlowWindow)
	if err != nil {
		log.Warn("no slow log for a saturation alert", "pool", pool, "php", php, "err", err)
	}
	d.Slow = s
	return d
}

// applyAdvice is the command of the "Apply advice" button: /fpm tune
// NAME --apply, naming the instance when there are several. It is only
// text the presser could type: it runs as them, planned and approved like
// any other write, and the advice is computed again when it is planned.
func applyAdvice(pool, php string) string {
	cmd := "fpm tune " + command.Word(pool) + " --apply"
	if php != "" {
		cmd += " --" + ops.InstanceArg + " " + command.Word(php)
	}
	return cmd
}

// adviceError is why an alert carries no advice, in words the channel may
// read: an ops.Error's user-safe message, never the internal error it
// wraps (that goes to the log).
func adviceError(ctx context.Context, err error) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return "the advice took longer than " + alert.DetailTimeout.String() + ": the workers' memory could not be sampled in time"
	}
	var oe *ops.Error
	if errors.As(err, &oe) {
		return oe.Msg
	}
	return "the advice failed; poolvisor's log says why"
}
