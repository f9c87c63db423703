package chat

import (
	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Decided returns the approval a result decided, if it did: an accepted
// approval carries its ID whatever the outcome of applying it; a denial
// (or withdrawal) is ok and carries the approval. Refusals (no approver
// role, self-approval, expired, already decided) carry neither.
func Decided(res ops.Result) (string, bool) {
	if res.Operation != "ops.approve" {
		return "", false
	}
	if res.ApprovalID != "" {
		return res.ApprovalID, true
	}
	if d := view.Decode(res.Data); res.Status == ops.StatusOK && d.Approval != nil {
		return d.Approval.ID, true
	}
	return "", false
}
