package phpfpm

import (
	"maps"
	"slices"
	"testing"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestCatalogDirectivesAreKnown: every pool flag of the catalog sets a
// directive php-fpm knows.
func TestCatalogDirectivesAreKnown(t *testing.T) {
	for _, f := range flagDirectives {
		if err := checkKnownKey(f.Key); err != nil {
			t.Errorf("--%s sets %s: %v", f.Name, f.Key, err)
		}
	}
}

// TestPresetsAreTheCatalogs: --preset's choices are the presets there are.
func TestPresetsAreTheCatalogs(t *testing.T) {
	f, _ := catalog.Lookup(catalog.PoolFlags, "preset")
	if got := slices.Sorted(maps.Keys(presets)); !slices.Equal(got, slices.Sorted(slices.Values(f.Choices))) {
		t.Errorf("presets %v, --preset's choices %v", got, f.Choices)
	}
}

// TestPoolErrorsNameTheirField: a refused pool names the flag of its first
// problem's directive, or --set for one without a flag.
func TestPoolErrorsNameTheirField(t *testing.T) {
	pool := func(changed string, d map[string]string) candidate {
		base := map[string]string{"pm": "static", "pm.max_children": "2", "listen": "127.0.0.1:9100", "user": "nobody", "group": "nogroup"}
		for k, v := range d {
			base[k] = v
		}
		return candidate{name: "api", changed: map[string]bool{changed: true}, directives: base}
	}
	tests := []struct {
		name string
		c    candidate
		want string
	}{
		{"a flag's value", pool("pm.max_children", map[string]string{"pm.max_children": "x"}), "max-children"},
		{"a --set value", pool("request_terminate_timeout", map[string]string{"request_terminate_timeout": "soon"}), catalog.Set},
		{"a paired flag's value", pool("request_slowlog_timeout", map[string]string{"request_slowlog_timeout": "soon"}), catalog.SlowlogFlag.Name},
		{"a rule of pm", pool("pm", map[string]string{"pm": "dynamic", "pm.min_spare_servers": "3", "pm.max_spare_servers": "2"}), "max-spare"},
		{"a clash", pool("listen", map[string]string{"listen": "127.0.0.1:9000"}), "listen"},
	}
	others := []poolEntry{{name: "tcp", file: "/p/tcp.conf", directives: map[string]string{"listen": "0.0.0.0:9000"}}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validatePool(tt.c, others)
			if got := ops.FieldOf(err); got != tt.want {
				t.Errorf("validatePool: %v on field %q, want %q", err, got, tt.want)
			}
		})
	}
	_, err := (&Backend{}).requested(ops.Operation{Args: []ops.Arg{{Key: catalog.Set, Value: "pm.max_childs=3"}}})
	if got := ops.FieldOf(err); got != catalog.Set {
		t.Errorf("an unknown --set key: %v on field %q", err, got)
	}
	c := candidate{name: "api", changed: map[string]bool{"user": true}, directives: map[string]string{"user": "nobody"}}
	if err := checkPoolIdentity(c, nil, "www-data"); ops.FieldOf(err) != "user" {
		t.Errorf("a user the write policy refuses: %v on field %q", err, ops.FieldOf(err))
	}
}
