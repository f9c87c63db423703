package fleet

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox/natsbox"
)

// TestDeployedPermissions runs NATS with deploy/nats/nats-server.conf as
// shipped (its nkeys filled in, TLS left out) and checks what it promises:
// hub and agents work, and an agent can neither take another host's
// requests, nor send requests, nor speak as another host; strangers cannot
// connect at all.
func TestDeployedPermissions(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/nats/nats-server.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := regexp.MustCompile(`(?s)\ntls \{.*?\n\}\n`).ReplaceAllString(string(raw), "\n")
	dir := t.TempDir()
	seeds := map[string]string{}
	for _, who := range []string{"hub", "web-01", "web-02", "worker-01"} {
		kp, err := nkeys.CreateUser()
		if err != nil {
			t.Fatal(err)
		}
		seed, _ := kp.Seed()
		pub, _ := kp.PublicKey()
		seeds[who] = filepath.Join(dir, who+".seed")
		if err := os.WriteFile(seeds[who], seed, 0o600); err != nil {
			t.Fatal(err)
		}
		placeholder := "REPLACE_WITH_" + strings.ToUpper(strings.ReplaceAll(who, "-", "_")) + "_NKEY"
		if !strings.Contains(conf, placeholder) {
			t.Fatalf("no %s in the deployed config", placeholder)
		}
		conf = strings.ReplaceAll(conf, placeholder, pub)
	}
	path := filepath.Join(dir, "nats-server.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := natsbox.StartFile(t, path)

	asWho := func(who string) *nats.Conn {
		t.Helper()
		nc, err := Connect(ConnConfig{URL: srv.URL(), CredentialsFile: seeds[who], Name: who}, testLog(t))
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		t.Cleanup(nc.Close)
		return nc
	}
	e := newFleetOn(t, srv, asWho, "web-01", "web-02", "worker-01")
	if res := e.run(operator, "supervisor status --host all"); res.Status != ops.StatusOK {
		t.Fatalf("status across all under the deployed permissions: %s\n%s", res.Status, res.Message)
	}
	if res := e.run(operator, "supervisor restart web --host web-02"); res.Status != ops.StatusOK {
		t.Fatalf("restart under the deployed permissions: %+v", res)
	}

	// web-01 trying what only others may do: each is a permissions violation.
	violations := make(chan string, 8)
	intruder, err := nats.Connect(srv.URL(), nkeyOption(t, seeds["web-01"]),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { violations <- err.Error() }))
	if err != nil {
		t.Fatal(err)
	}
	defer intruder.Close()
	expect := func(what, want string) {
		t.Helper()
		select {
		case got := <-violations:
			if !strings.Contains(strings.ToLower(got), strings.ToLower(want)) {
				t.Errorf("%s: %q, want %q", what, got, want)
			}
		case <-time.After(time.Minute): // the server reports a violation at once; reached only on failure
			t.Errorf("%s: allowed", what)
		}
	}
	if _, err := intruder.SubscribeSync(AgentSubject("web-02")); err == nil {
		_ = intruder.Flush()
		expect("take web-02's requests", `Permissions Violation for Subscription to "poolvisor.agent.web-02"`)
	}
	_ = intruder.Publish(AgentSubject("web-02"), []byte("{}"))
	_ = intruder.Flush()
	expect("send a request to web-02", `Permissions Violation for Publish to "poolvisor.agent.web-02"`)
	_ = intruder.Publish(announcePrefix+"web-02", []byte(`{"host":"web-02"}`))
	_ = intruder.Flush()
	expect("announce itself as web-02", `Permissions Violation for Publish to "poolvisor.hub.announce.web-02"`)

	stranger, _ := nkeys.CreateUser()
	seed, _ := stranger.Seed()
	strangerFile := filepath.Join(dir, "stranger.seed")
	_ = os.WriteFile(strangerFile, seed, 0o600)
	if nc, err := nats.Connect(srv.URL(), nkeyOption(t, strangerFile)); err == nil {
		nc.Close()
		t.Error("an unknown nkey could connect")
	}
}

func nkeyOption(t *testing.T, seedFile string) nats.Option {
	t.Helper()
	opt, err := nats.NkeyOptionFromSeed(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	return opt
}
