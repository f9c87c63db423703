package ops_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/audit"
	"github.com/poolvisor/poolvisor/internal/authz"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
)

func TestRedactArgs(t *testing.T) {
	for _, tc := range []struct{ name, key, in, want string }{
		{"environment per pair", "set", `environment=A="1",DB_PASSWORD="hunter2secret"`, `environment=A="1",DB_PASSWORD="••••"`},
		{"environment, other case", "set", `Environment=api_key=k1,HOME=/root`, `Environment=api_key=••••,HOME=/root`},
		{"fpm env", "set", `env[DB_PASSWORD]=hunter2`, `env[DB_PASSWORD]=••••`},
		{"php value", "set", `php_admin_value[mail.token]=xyz`, `php_admin_value[mail.token]=••••`},
		{"plain set", "set", `stopsignal=TERM`, `stopsignal=TERM`},
		{"secret flag", "password", "pw1", "••••"},
		{"env flag", "env", `DB_PASSWORD=x,A=1`, `DB_PASSWORD=••••,A=1`},
		{"command with a secret", "command", `/bin/app --api-key=abc`, `/bin/app --api-key=••••`},
		{"command with a secret flag", "command", `/bin/app --api-token abc --tries 3`, `/bin/app --api-token •••• --tries 3`},
		{"whole file", "content", "[program:w]\nenvironment=DB_PASSWORD=\"x\"\ncommand=/bin/w\n", "[program:w]\nenvironment=DB_PASSWORD=\"••••\"\ncommand=/bin/w\n"},
		{"plain flag", "user", "www-data", "www-data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ops.RedactArgs([]ops.Arg{{Key: tc.key, Value: tc.in}})[0].Value
			if got != tc.want {
				t.Errorf("RedactArgs(--%s %s) = %s, want %s", tc.key, tc.in, got, tc.want)
			}
		})
	}
}

// secretive is a write that answers with a secret for the requester.
type secretive struct{}

func (secretive) Plan(_ context.Context, req ops.Request) (*ops.Plan, error) {
	return &ops.Plan{
		Summary:     "set it, with + environment = DB_PASSWORD=\"hunter2secret\"",
		Fingerprint: "fp",
		Apply: func(context.Context) (ops.Outcome, error) {
			return ops.Outcome{Message: "set; the password goes to the requester", Data: map[string]any{"ok": true}, Private: "password: pw-4711"}, nil
		},
	}, nil
}

func newSecretPipeline(t *testing.T) (*ops.Pipeline, *audit.Log) {
	t.Helper()
	store, trail := newStores(t)
	policy := authz.New(map[string][]string{"viewer": {"ops.*"}, "admin": {"*"}}, []authz.Binding{
		{Role: "admin", Users: map[string][]string{"local": []string{"alice", "bob"}}},
		{Role: "admin", Users: map[string][]string{"local": []string{"olga"}}},
		{Role: "viewer", Users: map[string][]string{"local": []string{"vic"}}},
	})
	p := ops.New(ops.Config{
		Host: "web-01", Parser: command.Parser{}, Authz: policy, Approvals: store, Audit: trail,
		Policy: ops.ApprovalPolicy{Required: []string{"supervisor.xmlrpc.set"}, ApproverRoles: []string{"admin"}, TTL: 15 * time.Minute},
		Handlers: map[string]ops.Handler{
			"supervisor.xmlrpc.set":  secretive{},
			"supervisor.program.add": secretive{},
		},
	})
	return p, trail
}

func TestSecretsStayOutOfAuditAndApprovals(t *testing.T) {
	p, trail := newSecretPipeline(t)
	ctx := context.Background()
	text := `supervisor add w --command /bin/w --set environment=A="1",DB_PASSWORD="hunter2secret"`
	op := ops.Operation{Name: "supervisor.program.add", Target: "w", Text: text, Args: []ops.Arg{
		{Key: "command", Value: "/bin/w"}, {Key: "set", Value: `environment=A="1",DB_PASSWORD="hunter2secret"`}}}
	res := p.Execute(ctx, alice, op)
	if res.Status != ops.StatusOK {
		t.Fatalf("add: %s %s", res.Status, res.Message)
	}
	// A request held for approval: its data and the list of approvals.
	op.Name = "supervisor.xmlrpc.set"
	pending := p.Execute(ctx, olga, op)
	list := p.Run(ctx, vic, "ops approvals")
	audited := p.Run(ctx, vic, "ops audit 10")
	entries, err := trail.Recent(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := json.Marshal(entries)
	for what, v := range map[string]any{"pending": pending, "approvals": list, "audit": audited, "audit trail": string(stored)} {
		raw, _ := json.Marshal(v)
		if strings.Contains(string(raw), "hunter2secret") {
			t.Errorf("%s shows the secret: %s", what, raw)
		}
	}
	if !strings.Contains(string(stored), `DB_PASSWORD=\"••••\"`) || !strings.Contains(string(stored), `A=\"1\"`) {
		t.Errorf("the audit trail should keep the keys and the other values: %s", stored)
	}
}

func TestPrivateGoesToTheRequesterOnly(t *testing.T) {
	p, trail := newSecretPipeline(t)
	ctx := context.Background()
	direct := p.Run(ctx, alice, "supervisor xmlrpc set --ip 127.0.0.1 --port 9001 --username ops")
	if direct.Status != ops.StatusPending {
		t.Fatalf("xmlrpc set: %s %s", direct.Status, direct.Message)
	}
	approved := p.Run(ctx, bob, "ops approve "+direct.ApprovalID)
	if approved.Status != ops.StatusOK {
		t.Fatalf("approve: %s %s", approved.Status, approved.Message)
	}
	if approved.Private.For(alice) != "password: pw-4711" {
		t.Errorf("the requester does not get the private text: %+v", approved.Private)
	}
	if approved.Private.For(bob) != "" {
		t.Error("the approver gets the requester's private text")
	}
	raw, _ := json.Marshal(approved)
	entries, _ := trail.Recent(ctx, 10)
	stored, _ := json.Marshal(entries)
	if strings.Contains(string(raw)+approved.Message+string(stored), "pw-4711") {
		t.Errorf("the private text leaked into the result or the audit: %s\n%s", raw, stored)
	}
}

// TestAuditMaskedOnReading: an entry recorded in clear (before secrets in
// environment= were masked) is masked when read back.
func TestAuditMaskedOnReading(t *testing.T) {
	p, trail := newSecretPipeline(t)
	ctx := context.Background()
	old := ops.AuditEntry{Time: time.Now(), Actor: "local:alice", Operation: "supervisor.program.add", Target: "w", Status: ops.StatusOK,
		Args: []ops.Arg{{Key: "set", Value: `environment=DB_PASSWORD="hunter2secret"`}}}
	if err := trail.Record(ctx, old); err != nil {
		t.Fatal(err)
	}
	res := p.Run(ctx, vic, "ops audit 10")
	raw, _ := json.Marshal(res)
	if strings.Contains(string(raw), "hunter2secret") || !strings.Contains(string(raw), "DB_PASSWORD") {
		t.Errorf("ops audit: %s", raw)
	}
}

func TestUnparsedRequestAuditedWithoutSecrets(t *testing.T) {
	p, trail := newSecretPipeline(t)
	ctx := context.Background()
	for _, text := range []string{"supervisor frobnicate password hunter2secret", `supervisor frob --set environment=DB_PASSWORD="hunter2secret"`} {
		if res := p.Run(ctx, alice, text); res.Status != ops.StatusInvalid {
			t.Fatalf("%q: %s", text, res.Status)
		}
	}
	entries, _ := trail.Recent(ctx, 10)
	raw, _ := json.Marshal(entries)
	if strings.Contains(string(raw), "hunter2secret") || len(entries) != 2 {
		t.Errorf("audit of unparsed requests: %s", raw)
	}
}

// TestMaskedValueIsNotWritten: a value that holds the mark (a command
// shown masked, edited around it) is refused on its field, before the
// backend plans anything: written, the mark would replace the secret.
func TestMaskedValueIsNotWritten(t *testing.T) {
	p, _ := newSecretPipeline(t)
	res := p.Run(context.Background(), alice, `supervisor add w --command "/bin/w --api-token ••••"`)
	if res.Status != ops.StatusInvalid || res.Field != "command" || !strings.Contains(res.Message, "type it in full") {
		t.Fatalf("got %s on %q: %s", res.Status, res.Field, res.Message)
	}
	if res := p.Run(context.Background(), alice, `supervisor add w --command "/bin/w --api-token t"`); res.Status != ops.StatusOK {
		t.Fatalf("the real value: %s %s", res.Status, res.Message)
	}
}
