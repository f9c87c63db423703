package app_test

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
)

// passwordRE finds a generated XML-RPC password (18 random bytes,
// base64url). Not \b after it: a password ending in '-' is followed by a
// non-word character too, and then has no word boundary.
var passwordRE = regexp.MustCompile(`SHA-1 hash: ([A-Za-z0-9_-]{24})(?:[^A-Za-z0-9_-]|$)`)

// checkHash fails unless supervisord.conf holds the SHA-1 of password.
func checkHash(t *testing.T, e *env, password string) {
	t.Helper()
	sum := sha1.Sum([]byte(password))
	conf, _ := os.ReadFile(e.sv.ConfigFile)
	if !strings.Contains(string(conf), "password={SHA}"+hex.EncodeToString(sum[:])) {
		t.Errorf("the password shown is not the one set:\n%s", conf)
	}
}

// TestXMLRPCPasswordPrivateInSlack: the answer to xmlrpc set goes to the
// channel without the password; the password goes to the requester alone
// (an ephemeral response), and it is the one supervisord.conf now hashes.
func TestXMLRPCPasswordPrivateInSlack(t *testing.T) {
	se := newSlackEnv(t, "http")
	since := se.fake.Seq()
	a := se.command("http", sAlice, "supervisor xmlrpc set --ip 127.0.0.1 --port 19002 --username ops")
	mine := se.wait(since, "the password for alice", func(m slackfake.Message) bool { return passwordRE.MatchString(m.All()) })
	password := passwordRE.FindStringSubmatch(mine.All())[1]
	checkHash(t, se.env, password)
	if strings.Contains(a.all(), password) {
		t.Errorf("the immediate answer (%s) shows the password", a.ResponseType)
	}
	for _, m := range se.fake.Messages() {
		if m.Seq <= since || !strings.Contains(m.All(), password) {
			continue
		}
		if !(m.Kind == "response" && m.ResponseType == "ephemeral") && !(m.Kind == "ephemeral" && m.User == sAlice.UserID) {
			t.Errorf("the password reached more than alice: %+v", m)
		}
	}
	if strings.Contains(se.logs.String(), password) {
		t.Error("the password is in serve's log")
	}
}

// TestXMLRPCPasswordPrivateInDiscord is the same over Discord's Gateway,
// where a follow-up before the interaction's answer is refused.
func TestXMLRPCPasswordPrivateInDiscord(t *testing.T) {
	de := newDiscordEnv(t, "gateway")
	seq := de.fake.Seq()
	in := discordfake.Command(discordfake.TypeCommand, dApp, dGuild, dChannel, dAlice, "supervisor", []string{"xmlrpc", "set"},
		discordfake.Opt{Name: "ip", Value: "127.0.0.1"}, discordfake.Opt{Name: "port", Value: 19003},
		discordfake.Opt{Name: "username", Value: "ops"})
	de.interact(in)
	c, err := de.fake.Wait(dWait, seq, func(c discordfake.Call) bool { return c.Err == "" && passwordRE.Match(c.Body) })
	if err != nil {
		t.Fatalf("alice never saw the password: %v", err)
	}
	password := passwordRE.FindSubmatch(c.Body)[1]
	checkHash(t, de.env, string(password))
	if _, err := de.fake.Wait(dWait, seq, func(c discordfake.Call) bool {
		return c.Token == in["token"] && c.Err == "" && callFlags(c)&64 == 0 && strings.Contains(string(c.Body), "privately, to the requester")
	}); err != nil {
		t.Errorf("the channel never got the answer without the password: %v", err)
	}
	for _, c := range de.fake.Calls(seq) {
		flags := callFlags(c)
		if !strings.Contains(string(c.Body), string(password)) || c.Err != "" {
			continue
		}
		if c.Token != in["token"] || flags&64 == 0 {
			t.Errorf("the password reached more than alice: %s %s flags %d", c.Method, c.Path, flags)
		}
	}
	if strings.Contains(de.logs.String(), string(password)) {
		t.Error("the password is in serve's log")
	}
}

// callFlags returns the flags of the message a call carries: an
// interaction's answer has it under data.
func callFlags(c discordfake.Call) int {
	if c.Type == 0 {
		return c.Msg.Flags
	}
	var r struct {
		Data struct {
			Flags int `json:"flags"`
		} `json:"data"`
	}
	_ = json.Unmarshal(c.Body, &r)
	return r.Data.Flags
}

// TestXMLRPCPasswordAfterApprovalInSlack: when xmlrpc set waits for an
// approval, the password is generated when bob approves, and goes to
// alice, who asked, privately; bob and the channel never see it.
func TestXMLRPCPasswordAfterApprovalInSlack(t *testing.T) {
	se := newSlackEnvWith(t, "http", "approvals: {required: [supervisor.xmlrpc.set]}\n")
	since := se.fake.Seq()
	se.command("http", sAlice, "supervisor xmlrpc set --ip 127.0.0.1 --port 19004 --username ops")
	req := se.wait(since, "the approval request", func(m slackfake.Message) bool {
		return m.Kind == "post" && m.Channel == slackChannel && len(m.Buttons()) == 2
	})
	since = se.fake.Seq()
	a := se.interact("http", click(sBob, req, "pv:approve", "30.1", se.fake.ResponseURL()))
	mine := se.wait(since, "the password for alice", func(m slackfake.Message) bool { return passwordRE.MatchString(m.All()) })
	if mine.Kind != "ephemeral" || mine.User != sAlice.UserID || mine.Channel != slackChannel {
		t.Errorf("the password went to %+v, want an ephemeral message to alice in %s", mine, slackChannel)
	}
	password := passwordRE.FindStringSubmatch(mine.All())[1]
	checkHash(t, se.env, password)
	se.wait(since, "the decided request", func(m slackfake.Message) bool { return m.Kind == "update" && m.Channel == slackChannel })
	if strings.Contains(a.all(), password) {
		t.Error("bob's answer shows the password")
	}
	for _, m := range se.fake.Messages() {
		if m.Seq > since && strings.Contains(m.All(), password) && m.Seq != mine.Seq {
			t.Errorf("the password reached more than alice: %+v", m)
		}
	}
	if strings.Contains(se.logs.String(), password) {
		t.Error("the password is in serve's log")
	}
}
