package supervisor

import (
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestCatalogKeysAreKnown: every program flag of the catalog sets a key
// supervisord knows.
func TestCatalogKeysAreKnown(t *testing.T) {
	for flag, key := range flagKeys {
		if _, _, err := lookupProgKey(key); err != nil {
			t.Errorf("--%s sets %s: %v", flag, key, err)
		}
	}
}

// TestProgramErrorsNameTheirField: a refused program names the flag of
// its first problem's key.
func TestProgramErrorsNameTheirField(t *testing.T) {
	checks := HostChecks{UserExists: func(string) bool { return false }, DirExists: func(string) bool { return false }}
	tests := []struct {
		name string
		sets []progKV
		want string
	}{
		{"user", []progKV{{"user", "no_such_user_pv"}}, "user"},
		{"several", []progKV{{"numprocs", "2"}, {"directory", "/nonexistent-pv"}}, "numprocs"},
		{"a key without a flag", []progKV{{"stopasgroup", "true"}, {"killasgroup", "false"}}, "set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := DefaultProgram("worker", "/usr/bin/php artisan queue:work", "/var/log", 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.sets {
				if err := f.Set(s.key, s.value, nil); err != nil {
					t.Fatal(err)
				}
			}
			err = ValidateProgram(f, checks)
			if got := ops.FieldOf(err); got != tt.want {
				t.Errorf("ValidateProgram: %v on field %q, want %q", err, got, tt.want)
			}
		})
	}
}
