package discord

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"time"

	"github.com/poolvisor/poolvisor/adapters/chat/posted"
)

// planStore keeps the commands of form plans whose command is too long for
// their Apply button's custom_id: the button carries a key to it instead.
// It keeps them where the adapter keeps its posted approvals (posted.Store
// on the embedded database, given by WithPosted; memory without one), for
// posted.Memory, so a plan still applies after `serve` restarts. Nothing is
// read back from the message a member clicked.
//
// It keeps, the same way, what each edit form showed (formOpened): a modal's
// custom_id holds 100 characters, too few for the form model's digests, so
// it carries a key to them (formKey).
type planStore struct {
	cmds  *posted.Tracker[string]
	forms *posted.Tracker[formOpened]
	edits *posted.Tracker[editPlan]
}

// formMemory is how long an edit form can be submitted after it opened:
// long enough for a pause, short enough that a form left open for the day
// is opened again (and shows the values of then) rather than kept.
const formMemory = 2 * time.Hour

func newPlanStore(s *posted.Store, now func() time.Time) *planStore {
	return &planStore{cmds: posted.New[string](s, "discord-plan", now),
		forms: posted.New[formOpened](s, "discord-form", now).For(formMemory),
		edits: posted.New[editPlan](s, "discord-edit", now)}
}

// newKey is a random key, of 16 characters.
func newKey() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
}

// put stores text and returns its key.
func (s *planStore) put(ctx context.Context, text string) (string, error) {
	key := newKey()
	return key, s.cmds.Add(ctx, key, text)
}

// putForm keeps what an edit form showed and returns its key.
func (s *planStore) putForm(ctx context.Context, f formOpened) (string, error) {
	key := newKey()
	return key, s.forms.Add(ctx, key, f)
}

// takeForm returns and forgets the edit form kept under key for member
// user, if it is still kept: a modal is submitted once. Another member's
// submission leaves it be (mine is false) for its own.
func (s *planStore) takeForm(ctx context.Context, key, user string) (f formOpened, kept, mine bool) {
	if peek, _ := s.forms.Get(ctx, key); len(peek) == 0 {
		return formOpened{}, false, false
	} else if peek[0].User != user {
		return formOpened{}, true, false
	}
	taken, _ := s.forms.Take(ctx, key)
	if len(taken) == 0 {
		return formOpened{}, false, false // taken meanwhile
	}
	return taken[0], true, true
}

// putEdit keeps an edit form's plan and returns its key.
func (s *planStore) putEdit(ctx context.Context, e editPlan) (string, error) {
	key := newKey()
	return key, s.edits.Add(ctx, key, e)
}

// takeEdit returns and forgets the edit form's plan kept under key, if it
// is still kept.
func (s *planStore) takeEdit(ctx context.Context, key string) (editPlan, bool) {
	taken, _ := s.edits.Take(ctx, key)
	if len(taken) == 0 {
		return editPlan{}, false
	}
	return taken[0], true
}

// take returns and forgets the text stored under key, if it is still kept.
func (s *planStore) take(ctx context.Context, key string) (string, bool) {
	texts, _ := s.cmds.Take(ctx, key)
	if len(texts) == 0 {
		return "", false
	}
	return texts[0], true
}
