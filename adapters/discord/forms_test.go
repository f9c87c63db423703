package discord

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	model "github.com/poolvisor/poolvisor/adapters/chat/form"
	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestFormIn: a modal's custom_id names its form, target, host and PHP;
// an edit's without a key to what it showed (a modal opened before they
// were kept) carries no shown, which the model refuses.
func TestFormIn(t *testing.T) {
	a := newHarness(t).a
	for _, tc := range []struct {
		id     string
		values map[string]string
		want   string
		ok     bool
	}{
		{"pv:form:supervisor add:w", map[string]string{"command": "php artisan queue:work", "user": "", "set": "priority=5\n\nstopsignal=TERM"},
			"supervisor add w --command 'php artisan queue:work' --set priority=5 --set stopsignal=TERM", true},
		{"pv:form:fpm pool edit:shop", map[string]string{"max-children": "12", "evil": "x"}, "fpm pool edit shop --max-children 12", true},
		{"pv:form:fpm pool edit:shop@web-02", map[string]string{"max-children": "12"}, "fpm pool edit shop --host web-02 --max-children 12", true},
		{"pv:form:fpm pool edit:www#7.4", map[string]string{"max-children": "4"}, "fpm pool edit www --php 7.4 --max-children 4", true},
		{"pv:form:fpm pool create:api#8.3", map[string]string{"user": "app"}, "fpm pool create api --php 8.3 --user app", true},
		{"pv:form:fpm pool edit:www@web-02#7.4", map[string]string{"user": "app"}, "fpm pool edit www --host web-02 --php 7.4 --user app", true},
		{"pv:form:supervisor delete:w", nil, "", false},
		{"pv:ops approve x", nil, "", false},
	} {
		fm, shown, refused, ok := a.formIn(context.Background(), tc.id, ops.Actor{ID: alice.ID})
		if ok != tc.ok || refused != "" || shown != nil {
			t.Errorf("%s: ok %v, refused %q, shown %v", tc.id, ok, refused, shown)
			continue
		}
		if !ok {
			continue
		}
		base := model.Base{}
		if fm.Edit() {
			if _, errs := fm.Text(tc.values, base); errs[model.Whole] == "" {
				t.Errorf("%s: an edit without what it showed is not refused: %v", tc.id, errs)
			}
			base = model.Base{Shown: fm.Shown(), Now: map[string]string{}} // as an empty form would have shown
		}
		if got, errs := fm.Text(tc.values, base); got != tc.want || len(errs) > 0 {
			t.Errorf("%s: %q %v, want %q", tc.id, got, errs, tc.want)
		}
	}
}

type modal struct {
	CustomID   string `json:"custom_id"`
	Title      string `json:"title"`
	Components []struct {
		Type       int `json:"type"`
		Components []struct {
			CustomID string `json:"custom_id"`
			Label    string `json:"label"`
			Value    string `json:"value"`
		} `json:"components"`
	} `json:"components"`
}

// values are the modal's inputs as Discord submits them: each with the
// value it opened with, but for the changes given as name, value pairs.
func (m modal) values(changes ...string) map[string]string {
	out := map[string]string{}
	for _, row := range m.Components {
		for _, in := range row.Components {
			out[in.CustomID] = in.Value
		}
	}
	for i := 0; i+1 < len(changes); i += 2 {
		out[changes[i]] = changes[i+1]
	}
	return out
}

func TestForms(t *testing.T) {
	h := newHarness(t)

	t.Run("add opens an empty form", func(t *testing.T) {
		a := h.command(alice, "supervisor", []string{"add"}, discordfake.Opt{Name: "program", Value: "w"})
		var m modal
		if err := json.Unmarshal(a.Data, &m); err != nil || a.Type != 9 {
			t.Fatalf("type %d %s %v", a.Type, a.Data, err)
		}
		if m.CustomID != "pv:form:supervisor add:w" || len(m.Components) != 5 || len(m.Title) > maxModalTitle {
			t.Errorf("modal: %+v", m)
		}
	})

	t.Run("edit opens a prefilled form", func(t *testing.T) {
		a := h.command(alice, "supervisor", []string{"edit"}, discordfake.Opt{Name: "program", Value: "web"})
		if a.Type != 9 || !strings.Contains(string(a.Data), `"value":"/usr/bin/php -S 0:80 it's"`) {
			t.Errorf("type %d %s", a.Type, a.Data)
		}
	})

	t.Run("a host given opens the form for that host", func(t *testing.T) {
		a := h.command(alice, "supervisor", []string{"edit"}, discordfake.Opt{Name: "program", Value: "web"}, discordfake.Opt{Name: "host", Value: "test"})
		var m modal
		if err := json.Unmarshal(a.Data, &m); err != nil || a.Type != 9 {
			t.Fatalf("type %d %s %v", a.Type, a.Data, err)
		}
		if !strings.HasPrefix(m.CustomID, formKey) || !strings.Contains(m.Title, "on test") ||
			!strings.Contains(string(a.Data), `"value":"/usr/bin/php -S 0:80 it's"`) {
			t.Errorf("modal: %s", a.Data)
		}
		s := h.interact(discordfake.Submit(appID, guild, channel, alice, m.CustomID, m.values("user", "app")))
		b := s.msg(t).Buttons()
		if len(b) != 2 || !strings.HasPrefix(b[0].CustomID, planEdit) || !strings.Contains(s.msg(t).Text(), applyNote+"supervisor edit web --host test --user app") {
			t.Errorf("Apply runs %+v: %s", b, s.msg(t).Text())
		}
	})

	t.Run("options given run without a form", func(t *testing.T) {
		a := h.command(alice, "supervisor", []string{"edit"}, discordfake.Opt{Name: "program", Value: "web"}, discordfake.Opt{Name: "user", Value: "app"})
		if a.Type != 4 {
			t.Errorf("type %d %s", a.Type, a.Data)
		}
		<-h.w.applied
	})

	t.Run("a submitted form answers with its plan and applies on Apply", func(t *testing.T) {
		a := h.interact(discordfake.Submit(appID, guild, channel, alice, "pv:form:supervisor add:w",
			map[string]string{"command": "php artisan queue:work", "directory": "/srv/app"}))
		m := a.msg(t)
		if a.Type != 4 || m.Flags&64 == 0 || !strings.Contains(m.Text(), "Plan only, nothing applied") {
			t.Fatalf("type %d %s", a.Type, a.Data)
		}
		select {
		case op := <-h.w.applied:
			t.Fatalf("a plan applied %+v", op)
		case <-time.After(100 * time.Millisecond):
		}
		b := m.Buttons()
		want := planRun + "supervisor add w --command 'php artisan queue:work' --directory /srv/app"
		if len(b) != 2 || b[0].Label != "Apply" || b[0].CustomID != want || b[1].CustomID != planCancel {
			t.Fatalf("buttons %+v, want Apply (%s) and Cancel", b, want)
		}
		a = h.interact(discordfake.Click(appID, guild, channel, alice, "900000000000000001", b[0].CustomID))
		if a.Type != 4 || !strings.Contains(a.msg(t).Text(), "Updated w") {
			t.Errorf("Apply answered type %d %s", a.Type, a.Data)
		}
		select {
		case op := <-h.w.applied:
			if c, _ := op.Get("command"); c != "php artisan queue:work" {
				t.Errorf("applied %+v", op)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("not applied")
		}
	})

	t.Run("invalid values are explained privately and change nothing", func(t *testing.T) {
		a := h.interact(discordfake.Submit(appID, guild, channel, alice, "pv:form:supervisor add:w",
			map[string]string{"command": "/bin/true", "user": "nobody2"}))
		if m := a.msg(t); a.Type != 4 || m.Flags&64 == 0 || !strings.Contains(m.Text(), "nobody2") {
			t.Errorf("type %d %s", a.Type, a.Data)
		}
		select {
		case op := <-h.w.applied:
			t.Errorf("applied %+v", op)
		case <-time.After(100 * time.Millisecond):
		}
	})

	t.Run("a viewer's form is refused", func(t *testing.T) {
		a := h.command(vic, "supervisor", []string{"edit"}, discordfake.Opt{Name: "program", Value: "web"})
		var m modal
		if err := json.Unmarshal(a.Data, &m); err == nil && a.Type == 9 {
			// Reading is allowed; the submission is not.
			s := h.interact(discordfake.Submit(appID, guild, channel, vic, m.CustomID, m.values("user", "x")))
			if m := s.msg(t); m.Flags&64 == 0 || !strings.Contains(m.Text(), "may not") {
				t.Errorf("viewer's submission: %s", m.Text())
			}
		}
	})
}

// TestFormsCarryPHP: a form opened with php acts on that instance, and
// every fpm subcommand, and only those, offers php.
func TestFormsCarryPHP(t *testing.T) {
	_, target, ok := formOf("fpm", []string{"pool", "edit"}, []optionValue{{Name: "name", Value: "www"}, {Name: "php", Value: "7.4"}})
	if !ok || target.String() != "www#7.4" || parseFormTarget(target.String()) != target {
		t.Errorf("target %+v (%v)", target, ok)
	}
	if _, _, ok := formOf("fpm", []string{"pool", "edit"}, []optionValue{{Name: "name", Value: "www"}, {Name: "php", Value: "../x"}}); ok {
		t.Error("a form opened for an invalid instance name")
	}
	for top, scs := range tree() {
		for _, sc := range scs {
			has := false
			for _, o := range sc.Opts {
				has = has || o.Name == "php"
			}
			if has != (top == "fpm" && strings.HasPrefix(sc.Op, "fpm.")) {
				t.Errorf("/%s %v: php option %v", top, sc.Path, has)
			}
		}
	}
}

// TestCreateFormForAnInstance: /fpm pool create with php opens the form
// for that instance, and says so.
func TestCreateFormForAnInstance(t *testing.T) {
	h := newHarness(t)
	a := h.command(alice, "fpm", []string{"pool", "create"}, discordfake.Opt{Name: "name", Value: "api"}, discordfake.Opt{Name: "php", Value: "7.4"})
	var m modal
	if err := json.Unmarshal(a.Data, &m); err != nil || a.Type != 9 {
		t.Fatalf("type %d %s %v", a.Type, a.Data, err)
	}
	if m.CustomID != "pv:form:fpm pool create:api#7.4" || !strings.Contains(m.Title, "PHP 7.4") {
		t.Errorf("modal %q %q", m.CustomID, m.Title)
	}
}
