package fleet

import (
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestPrivateTextCrossesToTheRequester: text for the requester alone (a
// new XML-RPC password) comes back from the agent apart from the message,
// for one host and, a section each, for a group.
func TestPrivateTextCrossesToTheRequester(t *testing.T) {
	e := newFleet(t, "web-01", "web-02")
	res := e.run(admin, "supervisor xmlrpc set --ip 127.0.0.1 --port 9001 --username ops --host web-02")
	if res.Status != ops.StatusOK || res.Private.For(admin) != "password of web-02: pw-web-02" {
		t.Fatalf("one host: %s %q %+v", res.Status, res.Message, res.Private)
	}
	if strings.Contains(res.Message, "pw-") {
		t.Errorf("the message holds the private text: %s", res.Message)
	}
	// A group write waits for an approval; the text is for who asked.
	pending := e.run(operator, "supervisor xmlrpc set --ip 127.0.0.1 --port 9001 --username ops --host web")
	res = e.run(admin, "ops approve "+pending.ApprovalID)
	if res.Private.For(admin) != "" {
		t.Error("the approver gets the requester's private text")
	}
	p := res.Private.For(operator)
	if res.Status != ops.StatusOK || !strings.Contains(p, "== web-01 ==\npassword of web-01: pw-web-01") || !strings.Contains(p, "pw-web-02") {
		t.Fatalf("a group: %s %q %q", res.Status, res.Message, p)
	}
	if strings.Contains(res.Message, "pw-") {
		t.Errorf("the message holds the private text: %s", res.Message)
	}
}
