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
	if m.CustomID != "pv:raw:supervisor edit:web" || len(m.Components) != 1 || m.Components[0].Components[0].Value != file {
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
		if c, _ := op.Get("content"); c != edited || op.Name != "supervisor.program.edit" || op.Target != "web" {
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

	t.Run("raw is only for edit", func(t *testing.T) {
		if _, _, ok := formOf("supervisor", []string{"add"}, []optionValue{{Name: "program", Value: "w"}, {Name: "raw", Value: true}}); ok {
			t.Error("add with raw opens a form")
		}
		if _, ok := rawOperation("pv:raw:supervisor delete:web", map[string]string{"content": "x"}); ok {
			t.Error("a raw editor deletes")
		}
	})
}

func TestRawOperationCarriesTheHost(t *testing.T) {
	op, ok := rawOperation(rawPrefix+"fpm pool edit:shop@web-02", map[string]string{"content": "[shop]\n"})
	if !ok || op.Name != "fpm.pool.edit" || op.Target != "shop" || op.Host != "web-02" || op.Text != "/fpm pool edit shop --host web-02 --raw" {
		t.Errorf("%+v %v", op, ok)
	}
	if _, ok := rawOperation(rawPrefix+"fpm pool edit:shop@web 02", nil); ok {
		t.Error("a host that is not a name was taken")
	}
}
