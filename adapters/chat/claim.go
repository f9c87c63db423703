package chat

import (
	"context"
	"log/slog"
)

// Claimer records deliveries, so that a retry or a duplicate is not
// applied twice (internal/dedupe in production).
type Claimer interface {
	Claim(ctx context.Context, key string) (bool, error)
}

// Claim records a platform's delivery and reports whether it is the
// first: a false means a retry or a duplicate, which must not be applied
// again. An error means the store failed; the delivery is then refused
// rather than risk applying it twice. Keys are kept per platform, and a
// nil store or an empty key claims everything.
func Claim(ctx context.Context, c Claimer, log *slog.Logger, platform, key string) (bool, error) {
	if c == nil || key == "" {
		return true, nil
	}
	ok, err := c.Claim(ctx, platform+":"+key)
	if err != nil {
		log.Error(platform+": could not record a delivery; refusing it", "key", key, "err", err)
		return false, err
	}
	if !ok {
		log.Info(platform+": duplicate delivery ignored", "key", key)
	}
	return ok, nil
}
