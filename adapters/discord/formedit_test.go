package discord

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
)

// TestEditFormSendsOnlyWhatChanged: an edit modal's custom_id is a key to
// what it showed, kept for the member it opened for and taken by its one
// submission. After web's user changes on the host, the modal submitted as
// it opened plans nothing and says so; one whose user was changed too is
// refused on the user, saying what it is now; one with autorestart changed
// plans and applies --autorestart alone.
func TestEditFormSendsOnlyWhatChanged(t *testing.T) {
	h := newHarness(t)
	open := func() modal {
		t.Helper()
		a := h.command(alice, "supervisor", []string{"edit"}, discordfake.Opt{Name: "program", Value: "web"})
		var m modal
		if err := json.Unmarshal(a.Data, &m); err != nil || a.Type != 9 {
			t.Fatalf("type %d %s %v", a.Type, a.Data, err)
		}
		if !strings.HasPrefix(m.CustomID, formKey) || len(m.CustomID) > maxCustomID || strings.Contains(m.CustomID, "web") {
			t.Fatalf("custom_id %q", m.CustomID)
		}
		return m
	}
	submit := func(who discordfake.Member, m modal, values map[string]string) string {
		t.Helper()
		r := h.interact(discordfake.Submit(appID, guild, channel, who, m.CustomID, values))
		msg := r.msg(t)
		if r.Type != 4 || msg.Flags&64 == 0 {
			t.Errorf("a form's answer is for the member alone: type %d flags %d", r.Type, msg.Flags)
		}
		return msg.Text()
	}
	set := func(user string) { h.b.user.Store(&user) }

	m := open()
	set("deploy")
	if got := submit(bob, m, m.values()); !strings.Contains(got, "opened by someone else") {
		t.Errorf("bob submits alice's form: %s", got)
	}
	if got := submit(alice, m, m.values()); !strings.Contains(got, "Nothing to change") {
		t.Errorf("submitted as it opened: %s", got)
	}
	if got := submit(alice, m, m.values("autorestart", "false")); !strings.Contains(got, "no longer kept") {
		t.Errorf("submitted twice: %s", got)
	}

	m = open()
	set("ops")
	if got := submit(alice, m, m.values("user", "app")); !strings.Contains(got, `now \"ops\"`) && !strings.Contains(got, `now "ops"`) {
		t.Errorf("the user changed in the form and on the host: %s", got)
	}
	select {
	case op := <-h.w.applied:
		t.Fatalf("applied %+v", op)
	case <-time.After(100 * time.Millisecond):
	}

	m = open()
	set("deploy")
	r := h.interact(discordfake.Submit(appID, guild, channel, alice, m.CustomID, m.values("autorestart", "false")))
	b := r.msg(t).Buttons()
	if len(b) != 2 || !strings.HasPrefix(b[0].CustomID, planEdit) || !strings.Contains(r.msg(t).Text(), applyNote+"supervisor edit web --autorestart false") {
		t.Fatalf("Apply runs %+v: %s", b, r.msg(t).Text())
	}
	if a := h.interact(discordfake.Click(appID, guild, channel, alice, "900000000000000009", b[0].CustomID)); !strings.Contains(a.msg(t).Text(), "Updated web") {
		t.Errorf("Apply: %s", a.Data)
	}
	select {
	case op := <-h.w.applied:
		if v, _ := op.Get("autorestart"); v != "false" || len(op.Args) != 1 {
			t.Errorf("applied %+v, want --autorestart alone", op)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not applied")
	}
}

// TestEditFormApplyChecksAgain: the plan of an edit form is applied when
// its member clicks Apply, which may be long after the form was weighed.
// A field it changes that was changed on the host meanwhile is refused
// then too, not overwritten with what the member decided on against the
// value the form showed.
func TestEditFormApplyChecksAgain(t *testing.T) {
	h := newHarness(t)
	set := func(user string) { h.b.user.Store(&user) }
	set("deploy")
	a := h.command(alice, "supervisor", []string{"edit"}, discordfake.Opt{Name: "program", Value: "web"})
	var m modal
	if err := json.Unmarshal(a.Data, &m); err != nil || a.Type != 9 {
		t.Fatalf("type %d %s %v", a.Type, a.Data, err)
	}
	r := h.interact(discordfake.Submit(appID, guild, channel, alice, m.CustomID, m.values("user", "app")))
	b := r.msg(t).Buttons()
	if len(b) != 2 || !strings.Contains(r.msg(t).Text(), "supervisor edit web --user app") {
		t.Fatalf("plan %s, buttons %+v", r.msg(t).Text(), b)
	}
	set("ops") // someone else's change, after the plan
	got := h.interact(discordfake.Click(appID, guild, channel, alice, "900000000000000019", b[0].CustomID)).msg(t).Text()
	if !strings.Contains(got, "Changed since") || !strings.Contains(got, "ops") {
		t.Errorf("Apply after a change underneath: %s", got)
	}
	select { // the click's answer came after its run: nothing is in flight
	case op := <-h.w.applied:
		t.Errorf("applied %+v over the change", op)
	default:
	}
}
