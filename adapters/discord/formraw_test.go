package discord

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// fileRunner gives show results the file's content, as the backends do.
type fileRunner struct {
	Runner
	content string
}

func (f fileRunner) Run(ctx context.Context, who ops.Actor, text string) ops.Result {
	res := f.Runner.Run(ctx, who, text)
	if res.Operation == "supervisor.program.show" && res.Status == ops.StatusOK {
		res.Data = map[string]any{"program": map[string]any{"name": "web", "file": "/etc/supervisor/conf.d/web.conf", "content": f.content}}
	}
	return res
}

func TestRawForm(t *testing.T) {
	file := "[program:web]\ncommand=/bin/true\n"
	withFile := func(content string) *harness {
		return newHarnessWith(t, func(*Config) {}, func(a *Adapter) {
			a.run = fileRunner{Runner: a.run, content: content}
		})
	}
	h := withFile(file)
	raw := discordfake.Opt{Name: "raw", Value: true}
	web := discordfake.Opt{Name: "program", Value: "web"}

	a := h.command(alice, "supervisor", []string{"edit"}, web, raw)
	var m modal
	if err := json.Unmarshal(a.Data, &m); err != nil || a.Type != 9 {
		t.Fatalf("type %d %s %v", a.Type, a.Data, err)
	}
	if !strings.HasPrefix(m.CustomID, rawKey) || len(m.Components) != 1 || m.Components[0].Components[0].Value != file {
		t.Errorf("raw editor: %+v", m)
	}
	if len(m.Title) > maxModalTitle || len(m.CustomID) > maxCustomID {
		t.Errorf("Discord would refuse the modal: %+v", m)
	}

	edited := "[program:web]\ncommand=/bin/false\n; a comment\n"
	a = h.interact(discordfake.Submit(appID, guild, channel, alice, m.CustomID, map[string]string{"content": edited}))
	if a.Type != 4 || !strings.Contains(a.msg(t).Text(), "Updated web") {
		t.Errorf("submitted file answered type %d %s", a.Type, a.Data)
	}
	select {
	case op := <-h.w.applied:
		shown, _ := op.Get(ops.ShownArg)
		if c, _ := op.Get("content"); c != edited || op.Name != "supervisor.program.edit" || op.Target != "web" || shown != ops.Digest([]byte(file)) {
			t.Errorf("applied %+v", op)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not applied")
	}

	t.Run("a file longer than a text input holds is refused with a way out", func(t *testing.T) {
		h := withFile(strings.Repeat("; a comment\n", 400))
		a := h.command(alice, "supervisor", []string{"edit"}, web, raw)
		if txt := a.msg(t).Text(); a.Type != 4 || !strings.Contains(txt, "more than a Discord form field holds") || !strings.Contains(txt, "poolvisor console") {
			t.Errorf("type %d %s", a.Type, a.Data)
		}
	})

	t.Run("an editor is submitted once, by its opener", func(t *testing.T) {
		a := h.interact(discordfake.Submit(appID, guild, channel, alice, m.CustomID, map[string]string{"content": edited}))
		if !strings.Contains(a.msg(t).Text(), "no longer kept") {
			t.Errorf("submitted twice: type %d %s", a.Type, a.Data)
		}
		a = h.command(alice, "supervisor", []string{"edit"}, web, raw)
		var again modal
		if err := json.Unmarshal(a.Data, &again); err != nil {
			t.Fatal(err)
		}
		a = h.interact(discordfake.Submit(appID, guild, channel, bob, again.CustomID, map[string]string{"content": edited}))
		if !strings.Contains(a.msg(t).Text(), "opened by someone else") {
			t.Errorf("another member's submission: type %d %s", a.Type, a.Data)
		}
	})

	t.Run("raw is only for edit", func(t *testing.T) {
		if _, _, ok := formOf("supervisor", []string{"add"}, []optionValue{{Name: "program", Value: "w"}, {Name: "raw", Value: true}}); ok {
			t.Error("add with raw opens a form")
		}
		// A custom_id made by hand names no kept editor: nothing runs.
		a := h.interact(discordfake.Submit(appID, guild, channel, alice, rawPrefix+"supervisor delete:web", map[string]string{"content": "x"}))
		if !strings.Contains(a.msg(t).Text(), "nothing was applied") {
			t.Errorf("a forged raw editor: type %d %s", a.Type, a.Data)
		}
	})
}

func TestRawOperationCarriesTheHost(t *testing.T) {
	h := newHarnessWith(t, func(*Config) {}, func(*Adapter) {})
	who := ops.Actor{Platform: "discord", ID: "u1"}
	keep := func(target string) string {
		key, err := h.a.plans.putForm(context.Background(), formOpened{Words: "fpm pool edit", Target: target, Shown: "d1", User: who.ID})
		if err != nil {
			t.Fatal(err)
		}
		return rawKey + key
	}
	op, refused, ok := h.a.rawOperation(context.Background(), keep("shop@web-02"), who, map[string]string{"content": "[shop]\n"})
	shown, _ := op.Get(ops.ShownArg)
	if !ok || refused != "" || op.Name != "fpm.pool.edit" || op.Target != "shop" || op.Host != "web-02" || op.Text != "/fpm pool edit shop --host web-02 --raw" || shown != "d1" {
		t.Errorf("%+v %q %v", op, refused, ok)
	}
	if _, _, ok := h.a.rawOperation(context.Background(), keep("shop@web 02"), who, nil); ok {
		t.Error("a host that is not a name was taken")
	}
}
