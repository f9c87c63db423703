package discord

import (
	"crypto/rand"
	"encoding/base32"
	"sync"
	"time"
)

// planStore keeps the commands of form plans whose command is too long for
// their Apply button's custom_id: the button carries a key to it instead.
// Plans live in memory, for planTTL, and at most maxStoredPlans at once; an
// Apply whose plan is gone (expired, or poolvisor restarted) asks for the
// command again. Nothing is read back from the message a member clicked.
type planStore struct {
	now   func() time.Time
	mu    sync.Mutex
	plans map[string]storedPlan
}

type storedPlan struct {
	text    string
	expires time.Time
}

const (
	// planTTL is how long a long form plan can be applied: longer than a
	// member takes to read a plan, shorter than a stale plan is worth.
	planTTL        = 24 * time.Hour
	maxStoredPlans = 1000
)

func newPlanStore(now func() time.Time) *planStore {
	return &planStore{now: now, plans: map[string]storedPlan{}}
}

// put stores text and returns its key.
func (s *planStore) put(text string) string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	key := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, p := range s.plans {
		if now.After(p.expires) {
			delete(s.plans, k)
		}
	}
	if len(s.plans) >= maxStoredPlans { // the oldest goes
		oldest := ""
		for k, p := range s.plans {
			if oldest == "" || p.expires.Before(s.plans[oldest].expires) {
				oldest = k
			}
		}
		delete(s.plans, oldest)
	}
	s.plans[key] = storedPlan{text: text, expires: now.Add(planTTL)}
	return key
}

// get returns the text stored under key, while it lives.
func (s *planStore) get(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.plans[key]
	if !ok || s.now().After(p.expires) {
		return "", false
	}
	return p.text, true
}
