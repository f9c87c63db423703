package discord

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
)

func TestPingAndRefusals(t *testing.T) {
	h := newHarness(t)
	if a := h.interact(discordfake.Ping(appID)); a.Type != 1 {
		t.Errorf("PING answered with type %d", a.Type)
	}
	stop := discordfake.Command(discordfake.TypeCommand, appID, guild, channel, alice, "supervisor", []string{"stop"},
		discordfake.Opt{Name: "program", Value: "web"})
	body := discordfake.Body(stop)
	resign := func(k discordfake.Key, at time.Time) func(*http.Request) {
		return func(r *http.Request) {
			ts := strconv.FormatInt(at.Unix(), 10)
			r.Header.Set("X-Signature-Timestamp", ts)
			r.Header.Set("X-Signature-Ed25519", k.Sign(ts, body))
		}
	}
	for name, mutate := range map[string]func(*http.Request){
		"unsigned":    func(r *http.Request) { r.Header.Del("X-Signature-Ed25519") },
		"another key": resign(discordfake.NewKey(), time.Now()),
		"stale":       resign(h.key, time.Now().Add(-6*time.Minute)),
		"tampered": func(r *http.Request) {
			r.Header.Set("X-Signature-Timestamp", strconv.FormatInt(time.Now().Unix()+1, 10))
		},
	} {
		if code, _ := h.post(stop, mutate); code != http.StatusUnauthorized {
			t.Errorf("%s: HTTP %d, want 401", name, code)
		}
	}
	big := discordfake.Ping(appID)
	big["pad"] = strings.Repeat("x", chat.MaxBodyBytes)
	if code, _ := h.post(big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over 1 MiB: HTTP %d", code)
	}
	time.Sleep(100 * time.Millisecond)
	if n := h.b.restarts.Load(); n != 0 {
		t.Errorf("a refused request was applied %d times", n)
	}
}

func TestStatusImmediateAndDeferred(t *testing.T) {
	h := newHarness(t)
	a := h.command(vic, "supervisor", []string{"status"})
	m := a.msg(t)
	if a.Type != 4 || m.Flags&64 == 0 || !strings.Contains(m.Text(), "**web** `RUNNING`") {
		t.Errorf("status: type %d flags %d %s", a.Type, m.Flags, m.Text())
	}

	// 30 times the inline budget: slow however busy the machine, where
	// 1.5 s against the harness's 1 s was a race a late timer could lose.
	h.a.wait = 50 * time.Millisecond
	h.b.delay.Store(int64(1500 * time.Millisecond))
	seq := h.fake.Seq()
	in := discordfake.Command(discordfake.TypeCommand, appID, guild, channel, vic, "supervisor", []string{"status"})
	a = h.interact(in)
	if a.Type != 5 || a.msg(t).Flags&64 == 0 {
		t.Errorf("slow status: type %d, data %s; want an ephemeral deferral", a.Type, a.Data)
	}
	c := h.wait(seq, "the edited response", func(c discordfake.Call) bool {
		return c.Method == http.MethodPatch && strings.HasSuffix(c.Path, "/messages/@original") && c.Token == in["token"]
	})
	if !strings.Contains(c.Msg.Text(), "**web** `RUNNING`") {
		t.Errorf("edited response: %s", c.Msg.Text())
	}
}

func TestDuplicateDeliveryRunsOnce(t *testing.T) {
	h := newHarness(t)
	in := discordfake.Command(discordfake.TypeCommand, appID, guild, channel, olga, "supervisor", []string{"stop"},
		discordfake.Opt{Name: "program", Value: "web"})
	first := h.interact(in)
	second := h.interact(in)
	if first.Type != 4 || !strings.Contains(first.msg(t).Text(), "Restarted web") {
		t.Errorf("first: %s", first.Data)
	}
	if !strings.Contains(second.msg(t).Text(), "already received") {
		t.Errorf("second: %s", second.Data)
	}
	if n := h.b.restarts.Load(); n != 1 {
		t.Errorf("applied %d times", n)
	}
}

func TestApprovalByButtons(t *testing.T) {
	h := newHarness(t)
	seq := h.fake.Seq()
	a := h.command(olga, "supervisor", []string{"restart"}, discordfake.Opt{Name: "program", Value: "web"})
	req := a.msg(t)
	if a.Type != 4 || req.Flags&64 != 0 || len(req.Buttons()) != 2 {
		t.Fatalf("restart by an operator: type %d flags %d %s", a.Type, req.Flags, req.Text())
	}
	approve := req.Buttons()[0].CustomID
	if !strings.HasPrefix(approve, "pv:ops approve ") {
		t.Fatalf("approve button: %q", approve)
	}
	copied := h.wait(seq, "the copy in the notify channel", func(c discordfake.Call) bool {
		return c.Method == http.MethodPost && c.Channel == notify && len(c.Msg.Buttons()) == 2
	})
	_ = copied

	for _, who := range []discordfake.Member{olga, vic} {
		r := h.interact(discordfake.Click(appID, guild, channel, who, "600000000000000001", approve))
		if m := r.msg(t); r.Type != 4 || m.Flags&64 == 0 {
			t.Errorf("%s's click: type %d flags %d %s", who.Name, r.Type, m.Flags, m.Text())
		}
	}
	if n := h.b.restarts.Load(); n != 0 {
		t.Fatalf("refused clicks applied the restart %d times", n)
	}

	seq = h.fake.Seq()
	r := h.interact(discordfake.Click(appID, guild, channel, alice, "600000000000000001", approve))
	m := r.msg(t)
	if r.Type != 7 || len(m.Buttons()) != 0 || !strings.Contains(m.Text(), "Decided by alice") {
		t.Errorf("an admin's click: type %d %s", r.Type, m.Text())
	}
	if n := h.b.restarts.Load(); n != 1 {
		t.Errorf("restart applied %d times", n)
	}
	h.wait(seq, "the notify copy updated", func(c discordfake.Call) bool {
		return c.Method == http.MethodPatch && c.Channel == notify && len(c.Msg.Buttons()) == 0
	})

	again := h.interact(discordfake.Click(appID, guild, channel, bob, "600000000000000001", approve))
	if again.Type != 4 || again.msg(t).Flags&64 == 0 {
		t.Errorf("a later click: type %d %s", again.Type, again.Data)
	}
	if n := h.b.restarts.Load(); n != 1 {
		t.Errorf("a later click applied the restart again (%d)", n)
	}
}

func TestAutocomplete(t *testing.T) {
	h := newHarness(t)
	a := h.interact(discordfake.Command(discordfake.TypeAutocomplete, appID, guild, channel, vic, "supervisor", []string{"restart"},
		discordfake.Opt{Name: "program", Value: "w", Focused: true}))
	if a.Type != 8 {
		t.Fatalf("type %d", a.Type)
	}
	got := string(a.Data)
	// Prefix matches (web, worker) come before names that only contain w.
	if !strings.Contains(got, `"name":"web"`) || strings.Index(got, `"worker"`) > strings.Index(got, `"queue:queue_00"`) && strings.Contains(got, "queue:queue_00") {
		t.Errorf("choices: %s", got)
	}
	if strings.Contains(got, `"queue:*"`) {
		t.Errorf("queue:* does not contain w: %s", got)
	}
}

func TestRegisterOnlyWhenDifferent(t *testing.T) {
	h := newHarness(t)
	h.wait(0, "the first registration", func(c discordfake.Call) bool { return c.Method == http.MethodPut })
	if got := h.fake.Commands(guild); len(got) != 3 {
		t.Fatalf("%d commands registered", len(got))
	}
	seq := h.fake.Seq()
	if err := h.a.Register(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, c := range h.fake.Calls(seq) {
		if c.Method == http.MethodPut {
			t.Errorf("unchanged commands were registered again")
		}
	}
}

// TestEditRefAfterTokenExpiry edits an approval request through the
// interaction token while it lasts, and with the bot token after.
func TestEditRefAfterTokenExpiry(t *testing.T) {
	h := newHarness(t)
	h.wait(0, "the registration", func(c discordfake.Call) bool { return c.Method == http.MethodPut })
	m := RenderText("decided")
	for _, tc := range []struct {
		name    string
		expires time.Time
		want    string
	}{
		{"token valid", time.Now().Add(time.Minute), "webhooks/" + appID + "/tok-1/messages/@original"},
		{"token expired", time.Now().Add(-time.Minute), "channels/" + notify + "/messages/700000000000000001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seq := h.fake.Seq()
			h.a.editRef(t.Context(), msgRef{Channel: notify, Message: "700000000000000001",
				Token: token{Value: "tok-1", Expires: tc.expires}}, &m)
			calls := h.fake.Calls(seq)
			if len(calls) != 1 || calls[0].Path != tc.want || calls[0].Method != http.MethodPatch {
				t.Errorf("calls: %+v", calls)
			}
		})
	}
}

// TestSlowClickIsDeferred acknowledges a click whose apply outlasts the
// inline budget (type 6) and then edits the clicked message.
func TestSlowClickIsDeferred(t *testing.T) {
	h := newHarness(t)
	a := h.command(olga, "supervisor", []string{"restart"}, discordfake.Opt{Name: "program", Value: "web"})
	approve := a.msg(t).Buttons()[0].CustomID
	h.a.wait = 50 * time.Millisecond // far below the delay, see TestStatusImmediateAndDeferred
	h.b.delay.Store(int64(1500 * time.Millisecond))
	seq := h.fake.Seq()
	click := discordfake.Click(appID, guild, channel, alice, "600000000000000009", approve)
	if r := h.interact(click); r.Type != 6 {
		t.Fatalf("slow click: type %d %s", r.Type, r.Data)
	}
	c := h.wait(seq, "the clicked message edited", func(c discordfake.Call) bool {
		return c.Token == click["token"] && strings.HasSuffix(c.Path, "@original")
	})
	if len(c.Msg.Buttons()) != 0 || !strings.Contains(c.Msg.Text(), "Decided by alice") {
		t.Errorf("edited: %s", c.Msg.Text())
	}
}
