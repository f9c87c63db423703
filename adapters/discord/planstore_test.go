package discord

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat/posted"
)

func TestPlanStoreKeepsLongPlansForADay(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	a := &Adapter{plans: newPlanStore(nil, func() time.Time { return now })}
	long := "supervisor add w --command '" + strings.Repeat("x", 120) + "'"
	put := func() string {
		key, err := a.plans.put(ctx, long)
		if err != nil {
			t.Fatal(err)
		}
		return planKey + key
	}
	id := put()
	if len(id) > maxCustomID || !planButton(id) {
		t.Fatalf("the key's custom_id %q (%d characters)", id, len(id))
	}
	if text, ok := a.planCommand(ctx, id); !ok || text != long {
		t.Errorf("planCommand = %q %v", text, ok)
	}
	if _, ok := a.planCommand(ctx, id); ok {
		t.Error("a plan was taken twice")
	}
	if text, ok := a.planCommand(ctx, planRun+"fpm reload"); !ok || text != "fpm reload" {
		t.Errorf("inline: planCommand = %q %v", text, ok)
	}
	if planButton(buttonPrefix + "ops approve x") {
		t.Error("an approval button was taken for a plan's Apply")
	}
	id = put()
	now = now.Add(posted.Memory + time.Minute)
	if _, ok := a.planCommand(ctx, id); ok {
		t.Error("an expired plan was applied")
	}
}
