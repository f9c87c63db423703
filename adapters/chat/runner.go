package chat

import (
	"context"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// Runner is the part of the core pipeline a chat platform uses.
type Runner interface {
	Run(ctx context.Context, actor ops.Actor, text string) ops.Result
	// Execute runs an operation given whole, as a raw editor's file (which
	// cannot be command text: it has line breaks).
	Execute(ctx context.Context, actor ops.Actor, op ops.Operation) ops.Result
	// Host is the host the runner answers for.
	Host() string
}
