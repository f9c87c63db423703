package app

import (
	"log/slog"
	"maps"
	"slices"
	"testing"

	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestBackendsCoverTheCatalog: every operation that is not the core's
// belongs to a backend of the list, so a host where all of them are off
// still answers each one with why.
func TestBackendsCoverTheCatalog(t *testing.T) {
	a := &App{Config: &config.Config{Host: "web-01"}} // every backend disabled
	handlers := map[string]ops.Handler{}
	if err := a.addBackends(handlers, nil, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, name := range ops.Names() {
		if ops.OwnerOf(name) != ops.OwnerCore {
			want = append(want, name)
		}
	}
	got := slices.Sorted(maps.Keys(handlers))
	if !slices.Equal(got, want) {
		t.Errorf("handled %v, want %v", got, want)
	}
	if len(a.backends) != len(backends) {
		t.Errorf("%d backends registered of %d", len(a.backends), len(backends))
	}
}
