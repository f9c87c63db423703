package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/internal/grants"
)

// extendLabel is the button of a grant's messages: it asks an approver
// for more time (/ops extend), as long again as the grant was given for.
const extendLabel = "Ask for more time"

// startText is what a grant's holder is told when it starts.
func startText(g grants.Grant) chat.Direct {
	by := g.By
	if g.Approver != "" {
		by += ", approved by " + g.Approver
	}
	text := fmt.Sprintf("You hold the role %s until %s (%s %s, by %s).", g.Role, stamp(g.Until), g.Kind, g.ID, by)
	if g.Reason != "" {
		text += " Reason: " + g.Reason + "."
	}
	return withExtend(g, text)
}

// endText is what a grant's holder is told rbac.grant_reminder before it
// ends.
func endText(g grants.Grant, now time.Time) chat.Direct {
	left := g.Until.Sub(now).Round(time.Second)
	return withExtend(g, fmt.Sprintf("Your %s %s of the role %s ends at %s, in %s.", g.Kind, g.ID, g.Role, stamp(g.Until), left))
}

// withExtend adds the extension button to a plain grant's message; a
// break-glass session is not extended through approval.
func withExtend(g grants.Grant, text string) chat.Direct {
	if g.Kind != grants.KindGrant {
		return chat.Direct{Text: text}
	}
	span := g.Until.Sub(g.Created).Round(time.Second)
	return chat.Direct{
		Text:        text + fmt.Sprintf(" %s asks an approver for %s more; /ops extend %s DURATION for another length.", extendLabel, span, g.ID),
		Action:      "ops extend " + g.ID,
		ActionLabel: extendLabel,
	}
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// addDirect lets grants' holders on platform p be told privately, when p
// can write to one person.
func (a *App) addDirect(p chat.Platform) {
	dm, ok := p.(chat.DirectMessager)
	if !ok {
		return
	}
	a.notifyMu.Lock()
	defer a.notifyMu.Unlock()
	if a.directs == nil {
		a.directs = map[string]chat.DirectMessager{}
	}
	a.directs[p.Name()] = dm
}

// tell sends m privately to every platform identity of g's holder: the
// identity it names, or each identity of the person it names. An identity
// of a platform poolvisor cannot write to privately (local:NAME, or a
// platform that is not enabled) is told nothing; that is only logged.
func (a *App) tell(ctx context.Context, g grants.Grant, m chat.Direct) {
	a.notifyMu.Lock()
	directs := a.directs
	a.notifyMu.Unlock()
	told := 0
	for _, id := range a.identities(g.Who) {
		platform, user, _ := strings.Cut(id, ":")
		dm := directs[platform]
		if dm == nil {
			continue
		}
		if err := dm.DirectMessage(ctx, user, m); err != nil {
			a.Log.Error("could not tell a grant's holder privately", "id", g.ID, "who", id, "err", err)
			continue
		}
		told++
	}
	a.Log.Info("grant holder told", "id", g.ID, "who", g.Who, "platforms", told)
}

// identities are the platform identities who names: itself when it is one
// (slack:U012AB), else those rbac.people lists for the person.
func (a *App) identities(who string) []string {
	if strings.Contains(who, ":") {
		return []string{who}
	}
	var out []string
	for platform, ids := range a.Config.RBAC.People[who] {
		for _, id := range ids {
			out = append(out, platform+":"+id)
		}
	}
	return out
}
