package posted

import (
	"context"
	"sync"
	"time"
)

// memStore keeps a Tracker's entries in memory, for one process, with the
// same rules as a Store: each reference expires on its own.
type memStore struct {
	mu sync.Mutex
	m  map[memKey][]memRef
}

type memKey struct{ platform, id string }

type memRef struct {
	raw     []byte
	expires time.Time
}

func newMemStore() *memStore { return &memStore{m: map[memKey][]memRef{}} }

func (s *memStore) add(_ context.Context, platform, id string, ref []byte, expires, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, refs := range s.m {
		if live := unexpired(refs, now); len(live) > 0 {
			s.m[k] = live
		} else {
			delete(s.m, k)
		}
	}
	k := memKey{platform, id}
	s.m[k] = append(s.m[k], memRef{raw: ref, expires: expires})
	return nil
}

func (s *memStore) take(_ context.Context, platform, id string, now time.Time) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := memKey{platform, id}
	refs := unexpired(s.m[k], now)
	delete(s.m, k)
	var raws [][]byte
	for _, r := range refs {
		raws = append(raws, r.raw)
	}
	return raws, nil
}

func (s *memStore) get(_ context.Context, platform, id string, now time.Time) ([][]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var raws [][]byte
	for _, r := range unexpired(s.m[memKey{platform, id}], now) {
		raws = append(raws, r.raw)
	}
	return raws, nil
}

func unexpired(refs []memRef, now time.Time) []memRef {
	var live []memRef
	for _, r := range refs {
		if now.Before(r.expires) {
			live = append(live, r)
		}
	}
	return live
}
