package chat

import "context"

// Direct is a message for one person alone: what they hold and until when
// (a grant's start and its coming end), with at most one button.
type Direct struct {
	Text string
	// Action is the command the button runs, as whoever clicks it,
	// through RBAC and the approval policy like a typed one; "" for none.
	Action      string
	ActionLabel string
}

// DirectMessager is a Platform that can write to one of its users
// privately (a direct message), found by type assertion: a platform
// without it, or an identity with no account on any (local:NAME), is
// told nothing privately.
type DirectMessager interface {
	// DirectMessage opens (or finds) the direct conversation with userID,
	// the platform's own ID of the user, and posts m there.
	DirectMessage(ctx context.Context, userID string, m Direct) error
}
