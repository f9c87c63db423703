package discord

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// clickOn is member m clicking customID on the message a reply carried,
// as Discord delivers it: with the whole message, embeds and all.
func clickOn(t *testing.T, m discordfake.Member, msgID string, reply wireReply, customID string) *discordgo.Interaction {
	t.Helper()
	in := discordfake.Click(appID, guild, channel, m, msgID, customID)
	var msg map[string]any
	if err := json.Unmarshal(reply.Data, &msg); err != nil {
		t.Fatal(err)
	}
	msg["id"], msg["channel_id"] = msgID, channel
	in["message"] = msg
	var out discordgo.Interaction
	if err := json.Unmarshal(discordfake.Body(in), &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestFormPlanButtons(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	long := "php artisan queue:work --queue=high,default,low --tries=3 --timeout=90 --sleep=3 --max-jobs=1000"
	submit := func() wireReply {
		return h.interact(discordfake.Submit(appID, guild, channel, alice, "pv:form:supervisor add:w", map[string]string{"command": long}))
	}
	applied := func() []ops.Operation {
		var out []ops.Operation
		for {
			select {
			case op := <-h.w.applied:
				out = append(out, op)
			case <-time.After(200 * time.Millisecond):
				return out
			}
		}
	}

	plan := submit()
	b := plan.msg(t).Buttons()
	applyOf := func(plan wireReply) string { return plan.msg(t).Buttons()[0].CustomID }
	if len(b) != 2 || !strings.HasPrefix(b[0].CustomID, planKey) {
		t.Fatalf("a command longer than a custom_id: buttons %+v", b)
	}
	if !strings.Contains(string(plan.Data), `"text":"Apply runs: /supervisor add w --command '`+long+`'"`) {
		t.Errorf("the plan does not say what Apply runs: %s", plan.Data)
	}

	t.Run("apply runs the command as the clicking member, once", func(t *testing.T) {
		r, ok := h.a.formButton(ctx, clickOn(t, alice, "900000000000000001", plan, applyOf(plan)))
		if !ok || r.Type != 4 || !strings.Contains(string(encodeData(t, r)), "Updated w") {
			t.Fatalf("Apply answered %v %+v", ok, r)
		}
		if ops := applied(); len(ops) != 1 {
			t.Fatalf("applied %d times", len(ops))
		} else if c, _ := ops[0].Get("command"); c != long {
			t.Errorf("applied %q", c)
		}
		r, _ = h.a.formButton(ctx, clickOn(t, alice, "900000000000000001", plan, applyOf(plan)))
		if !strings.Contains(string(encodeData(t, r)), "already applied") || len(applied()) != 0 {
			t.Errorf("a second click: %s", encodeData(t, r))
		}
	})

	t.Run("a member without the permission is refused", func(t *testing.T) {
		viewer := submit()
		r, ok := h.a.formButton(ctx, clickOn(t, vic, "900000000000000002", viewer, applyOf(viewer)))
		if !ok || !strings.Contains(string(encodeData(t, r)), "may not") || len(applied()) != 0 {
			t.Errorf("a viewer's Apply: %s", encodeData(t, r))
		}
	})

	t.Run("cancel removes the buttons and applies nothing", func(t *testing.T) {
		plan := submit()
		r, ok := h.a.formButton(ctx, clickOn(t, alice, "900000000000000003", plan, planCancel))
		data := string(encodeData(t, r))
		if !ok || r.Type != 7 || !strings.Contains(data, "Cancelled by alice") || strings.Contains(data, `"custom_id"`) {
			t.Errorf("Cancel answered type %d %s", r.Type, data)
		}
		if err := discordfake.ValidateMessage(encodeData(t, r)); err != nil {
			t.Errorf("Discord would refuse the update: %v", err)
		}
		r, _ = h.a.formButton(ctx, clickOn(t, alice, "900000000000000003", plan, applyOf(plan)))
		if !strings.Contains(string(encodeData(t, r)), "already applied or cancelled") || len(applied()) != 0 {
			t.Errorf("Apply after Cancel: %s", encodeData(t, r))
		}
	})

	t.Run("other buttons are not a plan's", func(t *testing.T) {
		pending := wireReply{Type: 4, Data: encode(t, Render(loadResult(t, "../testdata/results/pending_restart.json")))}
		if _, ok := h.a.formButton(ctx, clickOn(t, alice, "900000000000000004", pending, "pv:ops approve k3x9pq")); ok {
			t.Error("an approval button was taken for a plan's")
		}
	})
}

func encodeData(t *testing.T, r *response) []byte {
	t.Helper()
	raw, err := json.Marshal(r.Data)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestPlanMessageStaysWithinLimits(t *testing.T) {
	a := &Adapter{plans: newPlanStore(nil, time.Now), log: slog.New(slog.DiscardHandler)}
	for _, name := range []string{"plan_add", "long_diff", "edit_with_diff", "invalid_command"} {
		for _, text := range []string{"supervisor edit web --numprocs 4", "supervisor edit web --set " + strings.Repeat("x", 1900)} {
			res := loadResult(t, "../testdata/results/"+name+".json")
			m := a.planMessage(context.Background(), res, text, nil)
			checkLimits(t, name, m)
			got, ok := "", false
			for _, row := range m.Components {
				for _, c := range row.(discordgo.ActionsRow).Components {
					if id := c.(discordgo.Button).CustomID; planButton(id) {
						got, ok = a.planCommand(context.Background(), id)
					}
				}
			}
			if ok != (res.Status == ops.StatusOK) || (ok && got != text) {
				t.Errorf("%s: the plan keeps %q (%v) for Apply", name, got, ok)
			}
			if ok && strings.Contains(string(encode(t, m)), "more lines not shown") != (name == "long_diff") {
				t.Errorf("%s: a diff is cut, or a long one is not counted", name)
			}
		}
	}
}
