package slack

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// openForm types text and returns the modal it opened.
func (h *harness) openForm(who slackfake.Slash, text string) (slackfake.OpenedView, slackfake.Slash) {
	h.t.Helper()
	n := len(h.fake.Views())
	code, body, c := h.slash(who, text)
	if code != 200 || body != "" {
		h.t.Fatalf("%q answered %d %q, want an empty 200", text, code, body)
	}
	v, err := h.fake.WaitView(wait, n)
	if err != nil {
		h.t.Fatal(err)
	}
	if v.TriggerID != c.TriggerID {
		h.t.Errorf("view opened with trigger %s, want the command's %s", v.TriggerID, c.TriggerID)
	}
	return v, c
}

// submit submits a modal with values by block_id and returns the answer.
func (h *harness) submit(who slackfake.Slash, v slackfake.OpenedView, values map[string]string) (int, string) {
	h.t.Helper()
	s := slackfake.Submit{UserID: who.UserID, UserName: who.UserName, ViewID: v.ID, View: v.View, Values: values}
	return h.post("/slack/interactions", slackfake.InteractionForm(s.Payload()))
}

func inputs(t *testing.T, v slackfake.OpenedView) map[string]string {
	t.Helper()
	var blocks []struct {
		Type    string `json:"type"`
		BlockID string `json:"block_id"`
		Element struct {
			Type          string `json:"type"`
			InitialValue  string `json:"initial_value"`
			InitialOption *struct {
				Value string `json:"value"`
			} `json:"initial_option"`
		} `json:"element"`
	}
	if err := json.Unmarshal(v.View.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, b := range blocks {
		if b.Type != "input" {
			continue
		}
		out[b.BlockID] = b.Element.InitialValue
		if b.Element.InitialOption != nil {
			out[b.BlockID] = b.Element.InitialOption.Value
		}
	}
	return out
}

func formErrors(t *testing.T, body string) map[string]string {
	t.Helper()
	var r struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil || r.ResponseAction != "errors" {
		t.Fatalf("want response_action errors, got %q (%v)", body, err)
	}
	return r.Errors
}

func TestAddForm(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	v, _ := h.openForm(alice, "add")
	if v.View.CallbackID != "pv:supervisor.add" || v.View.Title.Text != "Add a program" {
		t.Errorf("view: %+v", v.View)
	}
	got := inputs(t, v)
	for _, id := range []string{"name", "command", "directory", "user", "autostart", "autorestart", "numprocs", "set"} {
		if _, ok := got[id]; !ok {
			t.Errorf("the add form has no %s field", id)
		}
	}
	if got["autostart"] != "true" || got["numprocs"] != "1" {
		t.Errorf("defaults: %v", got)
	}

	tests := []struct {
		name   string
		values map[string]string
		field  string
	}{
		{"missing binary", map[string]string{"name": "worker", "command": "/no/such/binary"}, "command"},
		{"unknown user", map[string]string{"name": "worker", "command": "/bin/true", "user": "nobody2"}, "user"},
		{"bad name", map[string]string{"name": "bad name!", "command": "/bin/true"}, "name"},
		{"bad --set line", map[string]string{"name": "worker", "command": "/bin/true", "set": "stopsignal"}, "set"},
		{"bad number", map[string]string{"name": "worker", "command": "/bin/true", "numprocs": "two"}, "numprocs"},
	}
	for _, tt := range tests {
		code, body := h.submit(alice, v, tt.values)
		if code != 200 {
			t.Fatalf("%s: %d", tt.name, code)
		}
		errs := formErrors(t, body)
		if errs[tt.field] == "" || len(errs) != 1 {
			t.Errorf("%s: errors %v, want one on %s", tt.name, errs, tt.field)
		}
	}
	if h.b.writes.Load() != 0 {
		t.Fatal("an invalid form changed something")
	}

	since := h.fake.Seq()
	values := map[string]string{"name": "worker", "command": "/bin/echo it's \"quoted\" $HOME", "set": "stopsignal=INT\n\nstartsecs=3"}
	if code, body := h.submit(alice, v, values); code != 200 || body != "" {
		t.Fatalf("valid form answered %d %q, want an empty 200 (closes it)", code, body)
	}
	m, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool {
		return (m.Kind == "response" && m.ResponseType == "in_channel") || (m.Kind == "post" && m.Channel == channel)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.All(), "Updated worker") || !strings.Contains(m.All(), "<@U0ALICE>") {
		t.Errorf("result in the channel: %s", m.All())
	}
	op := h.b.lastOp.Load().(ops.Operation)
	if cmd, _ := op.Get("command"); cmd != values["command"] || strings.Join(op.All("set"), ",") != "stopsignal=INT,startsecs=3" {
		t.Errorf("the form's values did not arrive as typed: %+v", op)
	}
	// From the channel where the form was asked for: in fleet mode it
	// chooses the host, as it did for the show that prefilled an edit form.
	if by := h.b.lastBy.Load().(ops.Actor); by.Channel != channel {
		t.Errorf("the form ran as %+v, without the channel %s", by, channel)
	}
	// A retried submission is not applied again.
	h.submit(alice, v, values)
	if h.b.writes.Load() != 1 {
		t.Errorf("writes: %d, want 1", h.b.writes.Load())
	}
}

func TestEditFormPrefills(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	v, _ := h.openForm(alice, "edit web")
	got := inputs(t, v)
	if got["command"] != "/usr/bin/php -S 0:80 it's" || got["autostart"] != "true" || got["user"] != "www-data" {
		t.Errorf("prefilled: %v", got)
	}
	if _, ok := got["name"]; ok {
		t.Error("an edit form lets the name change")
	}
	code, body := h.submit(alice, v, map[string]string{"user": ""})
	if errs := formErrors(t, body); code != 200 || !strings.Contains(errs["user"], "--raw") {
		t.Errorf("clearing a prefilled field: %v", errs)
	}
	if code, body := h.submit(alice, v, map[string]string{"directory": "/srv"}); code != 200 || body != "" {
		t.Fatalf("valid edit: %d %q", code, body)
	}
	if _, err := h.fake.Wait(wait, 0, func(m slackfake.Message) bool { return strings.Contains(m.All(), "Updated web") }); err != nil {
		t.Fatal(err)
	}
	op := h.b.lastOp.Load().(ops.Operation)
	if op.Name != "supervisor.program.edit" || op.Target != "web" {
		t.Errorf("edit ran %+v", op)
	}
}

func TestRawEditForm(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	v, _ := h.openForm(alice, "edit web --raw")
	if got := inputs(t, v)["content"]; got != "[program:web]\ncommand=/bin/true\n" {
		t.Errorf("raw editor starts with %q", got)
	}
	_, body := h.submit(alice, v, map[string]string{"content": "garbage"})
	if errs := formErrors(t, body); !strings.Contains(errs["content"], "cannot be read") {
		t.Errorf("invalid file: %v", errs)
	}
	content := "[program:web]\ncommand=/bin/false\n; a comment\n"
	if code, body := h.submit(alice, v, map[string]string{"content": content}); code != 200 || body != "" {
		t.Fatalf("valid raw edit: %d %q", code, body)
	}
	if _, err := h.fake.Wait(wait, 0, func(m slackfake.Message) bool { return strings.Contains(m.All(), "Updated web") }); err != nil {
		t.Fatal(err)
	}
	op := h.b.lastOp.Load().(ops.Operation)
	if c, _ := op.Get("content"); c != content || op.Name != "supervisor.program.edit" || op.Target != "web" {
		t.Errorf("raw edit ran %+v", op)
	}
}

func TestFormRefusedBeforeOpening(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	_, _, c := h.slash(vic, "edit nope")
	m, err := h.fake.Wait(wait, 0, func(m slackfake.Message) bool { return m.Kind == "response" })
	if err != nil {
		t.Fatal(err)
	}
	if m.ResponseURL != c.ResponseURL || m.ResponseType != "ephemeral" || !strings.Contains(m.All(), "no program named nope") {
		t.Errorf("refusal: %+v", m)
	}
	if len(h.fake.Views()) != 0 {
		t.Error("a form opened for a program that does not exist")
	}
}

func TestFormFor(t *testing.T) {
	tests := []struct {
		text string
		kind formKind
		ok   bool
		php  string
	}{
		{"fpm pool create --php 7.4", formPoolCreate, true, "7.4"},
		{"fpm pool edit api --php=8.3", formPoolEdit, true, "8.3"},
		{"fpm pool edit api --php 8.3 --raw", formPoolRaw, true, "8.3"},
		{"fpm pool edit api --php", "", false, ""},
		{"fpm pool edit api --php ../x", "", false, ""},
		{"fpm pool edit api --php 8.3 --pm static", "", false, ""},
		{"supervisor add", formProgramAdd, true, ""},
		{"supervisor add web --command x", "", false, ""},
		{"supervisor edit web", formProgramEdit, true, ""},
		{"supervisor edit web --raw", formProgramRaw, true, ""},
		{"supervisor edit web --user x", "", false, ""},
		{"fpm pool create", formPoolCreate, true, ""},
		{"fpm pool edit api", formPoolEdit, true, ""},
		{"fpm pool edit api --raw", formPoolRaw, true, ""},
		{"supervisor status", "", false, ""},
	}
	for _, tt := range tests {
		f, ok := formFor(tt.text)
		if ok != tt.ok || f.Kind != tt.kind || f.PHP != tt.php {
			t.Errorf("formFor(%q) = %v %v", tt.text, f, ok)
		}
	}
}

func TestPoolForms(t *testing.T) {
	a := New(Config{PoolDefaults: PoolDefaults{User: "www-data", Group: "www-data"}}, fakeHost{}, nil, nil)
	for _, f := range []form{{Kind: formPoolCreate}, {Kind: formPoolEdit, Name: "api"}, {Kind: formPoolRaw, Name: "api"},
		{Kind: formProgramAdd}, {Kind: formProgramEdit, Name: "web"}, {Kind: formProgramRaw, Name: "web"}} {
		m := meta{Channel: channel, ResponseURL: "https://hooks.slack.com/commands/T0/1/" + strings.Repeat("x", 40), Name: f.Name}
		v := a.buildView(f, a.modelWith(f, map[string]string{"user": "www-data", "pm": "dynamic", "max-children": "5"}, nil), strings.Repeat("; long\n", 400), &m)
		// The largest preview: a plan whose diff is longer than any limit.
		withPreview(&v, m, Render(loadResult(t, filepath.Join(fixtures, "long_diff.json"))).Blocks)
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var sv slackfake.View
		if err := json.Unmarshal(raw, &sv); err != nil {
			t.Fatal(err)
		}
		if err := slackfake.ValidateView(sv); err != nil {
			t.Errorf("%s: Slack would refuse the form: %v", f.Kind, err)
		}
	}
	req, errs := a.buildRequest(context.Background(), ops.Actor{}, form{Kind: formPoolCreate}, map[string]string{
		"name": "api", "user": "www-data", "pm": "ondemand", "max-children": "8", "idle-timeout": "10s",
		"set": "php_admin_value[memory_limit] = 256M",
	}, meta{})
	want := "fpm pool create api --user www-data --pm ondemand --max-children 8 --idle-timeout 10s --set 'php_admin_value[memory_limit] = 256M'"
	if len(errs) != 0 || req.text != want {
		t.Errorf("pool create:\n got %s (%v)\nwant %s", req.text, errs, want)
	}
	req, _ = a.buildRequest(context.Background(), ops.Actor{}, form{Kind: formPoolRaw}, map[string]string{"content": "[api]\npm = static\n"}, meta{Name: "api"})
	if req.op == nil || req.op.Name != "fpm.pool.edit" || req.op.Target != "api" {
		t.Errorf("raw pool edit: %+v", req.op)
	}
}

// fakeHost is a Runner that only knows its host's name.
type fakeHost struct{}

func (fakeHost) Host() string { return "web-01" }
func (fakeHost) Run(context.Context, ops.Actor, string) ops.Result {
	return ops.Result{Status: ops.StatusFailed}
}
func (fakeHost) Execute(context.Context, ops.Actor, ops.Operation) ops.Result {
	return ops.Result{Status: ops.StatusFailed}
}

// poolReads is a Runner whose every read is of a pool with no directive,
// and records them.
type poolReads struct {
	fakeHost
	asked []string
}

func (r *poolReads) Run(_ context.Context, _ ops.Actor, text string) ops.Result {
	r.asked = append(r.asked, text)
	return ops.Result{Status: ops.StatusOK, Data: map[string]any{"pool": map[string]any{"name": "www", "directives": map[string]string{}}}}
}

// channelHosts is a fleet hub's Runner: a channel has a default host.
type channelHosts struct {
	Runner
	hosts map[string]string
}

func (c channelHosts) HostIn(channel string) string { return c.hosts[channel] }

// TestFormNamesTheChannelsHost: in fleet mode a form says which host it
// acts on, the channel's, not the hub's own name.
func TestFormNamesTheChannelsHost(t *testing.T) {
	h := newHarness(t, ModeHTTP)
	h.a.run = channelHosts{Runner: h.a.run, hosts: map[string]string{channel: "web-02"}}
	v, _ := h.openForm(alice, "add")
	if !strings.Contains(string(v.View.Blocks), "On *web-02*") {
		t.Errorf("the form does not name web-02:\n%s", slackfake.Readable(v.View.Blocks))
	}
}

// TestPoolFormsChoosePHP: on a host with several PHP-FPM instances a new
// pool's form asks which, starting at the default; a form opened with
// --php says which and its command carries it, raw edits included.
func TestPoolFormsChoosePHP(t *testing.T) {
	a := New(Config{PoolDefaults: PoolDefaults{User: "www-data", Group: "www-data"}, PHPInstances: []string{"7.4", "8.3"}, DefaultPHP: "8.3"},
		fakeHost{}, nil, nil)
	m := meta{Channel: channel}
	v := a.buildView(form{Kind: formPoolCreate}, a.model(form{Kind: formPoolCreate}), "", &m)
	raw, _ := json.Marshal(v)
	var sv slackfake.View
	if err := json.Unmarshal(raw, &sv); err != nil {
		t.Fatal(err)
	}
	if got := inputs(t, slackfake.OpenedView{View: sv}); got["php"] != "8.3" {
		t.Errorf("create form's php field = %q, want 8.3 preselected; fields %v", got["php"], got)
	}
	if err := slackfake.ValidateView(sv); err != nil {
		t.Errorf("Slack would refuse the form: %v", err)
	}
	req, errs := a.buildRequest(context.Background(), ops.Actor{}, form{Kind: formPoolCreate}, map[string]string{"name": "api", "php": "7.4"}, meta{})
	if want := "fpm pool create api --php 7.4"; len(errs) != 0 || req.text != want {
		t.Errorf("create: %q (%v), want %q", req.text, errs, want)
	}

	m = meta{Channel: channel, Name: "www", PHP: "7.4"}
	v = a.buildView(form{Kind: formPoolEdit, Name: "www", PHP: "7.4"}, a.model(form{Kind: formPoolEdit, Name: "www", PHP: "7.4"}), "", &m)
	raw, _ = json.Marshal(v)
	if !strings.Contains(string(raw), "PHP-FPM *7.4*") || strings.Contains(string(raw), `"block_id":"php"`) {
		t.Errorf("edit form of 7.4's www:\n%s", raw)
	}
	if got := (form{Kind: formPoolEdit, Name: "www", PHP: "7.4"}).showText(); got != "fpm pool show www --php '7.4'" {
		t.Errorf("prefilled from %q", got)
	}
	// The edit is weighed against www read again, of 7.4.
	reads := &poolReads{}
	a.run = reads
	req, errs = a.buildRequest(context.Background(), ops.Actor{}, form{Kind: formPoolEdit, Name: "www", PHP: "7.4"}, map[string]string{"max-children": "4"}, m)
	if want := "fpm pool edit www --php 7.4 --max-children 4"; req.text != want || len(errs) > 0 {
		t.Errorf("edit: %q %v, want %q", req.text, errs, want)
	}
	if !slices.Equal(reads.asked, []string{"fpm pool show www --php 7.4"}) {
		t.Errorf("read %q", reads.asked)
	}
	req, _ = a.buildRequest(context.Background(), ops.Actor{}, form{Kind: formPoolRaw, Name: "www", PHP: "7.4"}, map[string]string{"content": "[www]\n"}, m)
	if v, _ := req.op.Get("php"); req.op == nil || v != "7.4" {
		t.Errorf("raw edit: %+v", req.op)
	}
}

// TestNewPoolFormAsksWhichPHP drives the form through the fake Slack: on a
// host with several PHP-FPM instances the new pool's form asks which, and
// the pool is created in the one chosen.
func TestNewPoolFormAsksWhichPHP(t *testing.T) {
	h := newHarness(t, ModeHTTP, func(c *Config) {
		c.PoolDefaults = PoolDefaults{User: "www-data", Group: "www-data"}
		c.PHPInstances, c.DefaultPHP = []string{"7.4", "8.3"}, "8.3"
	})
	v, _ := h.openForm(alice, "fpm pool create")
	if got := inputs(t, v); got["php"] != "8.3" || got["user"] != "www-data" {
		t.Fatalf("the form starts with %v, want php 8.3", got)
	}
	since := h.fake.Seq()
	if code, body := h.submit(alice, v, map[string]string{"name": "api", "user": "www-data", "php": "7.4"}); code != 200 || body != "" {
		t.Fatalf("valid form answered %d %q", code, body)
	}
	if _, err := h.fake.Wait(wait, since, func(m slackfake.Message) bool { return strings.Contains(m.All(), "Updated api") }); err != nil {
		t.Fatal(err)
	}
	op := h.b.lastOp.Load().(ops.Operation)
	if php, _ := op.Get("php"); op.Name != "fpm.pool.create" || op.Target != "api" || php != "7.4" {
		t.Errorf("the form ran %+v", op)
	}
}
