package discord

import (
	"strings"
	"testing"
	"time"
)

func TestPlanStoreKeepsLongPlansForADay(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	a := &Adapter{plans: newPlanStore(func() time.Time { return now })}
	long := "supervisor add w --command '" + strings.Repeat("x", 120) + "'"
	id := planKey + a.plans.put(long)
	if len(id) > maxCustomID {
		t.Fatalf("the key's custom_id is %d characters", len(id))
	}
	if text, apply, known := a.planCommand(id); !apply || !known || text != long {
		t.Errorf("planCommand = %q %v %v", text, apply, known)
	}
	if text, apply, known := a.planCommand(planRun + "fpm reload"); !apply || !known || text != "fpm reload" {
		t.Errorf("inline: planCommand = %q %v %v", text, apply, known)
	}
	if _, apply, _ := a.planCommand(buttonPrefix + "ops approve x"); apply {
		t.Error("an approval button was taken for a plan's Apply")
	}
	now = now.Add(planTTL + time.Minute)
	if _, apply, known := a.planCommand(id); !apply || known {
		t.Errorf("an expired plan: apply %v, known %v", apply, known)
	}
}
