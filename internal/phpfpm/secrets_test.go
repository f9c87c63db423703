package phpfpm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// TestSecretsMaskedAndKept: env[...] secrets are masked in show (message,
// directives and the file content a raw editor starts from) and in the
// answer to edit; a raw edit keeps a masked line as shown with its value,
// and refuses to write the mask as a value.
func TestSecretsMaskedAndKept(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"}, sandbox.Pool{Name: "api"})
	b := testBackend(t, f)
	path := filepath.Join(f.PoolDir, "api.conf")
	r := run(t, b, op("fpm.pool.edit", "api", "set", "env[DB_PASSWORD]=hunter2secret", "set", "env[DB_HOST]=db.internal",
		"set", "php_admin_value[mail.api_key]=k-secret"))
	if r.status != ops.StatusOK {
		t.Fatalf("edit: %s %s", r.status, r.msg)
	}
	if strings.Contains(r.msg, "hunter2secret") || strings.Contains(r.msg, "k-secret") {
		t.Errorf("the edit's answer shows a secret:\n%s", r.msg)
	}
	shown := run(t, b, op("fpm.pool.show", "api"))
	pool := shown.data.(ops.PoolShow).Pool
	if d := pool.Directives; d["env[DB_PASSWORD]"] != "••••" || d["env[DB_HOST]"] != "db.internal" || d["php_admin_value[mail.api_key]"] != "••••" {
		t.Errorf("show's directives: %v", d)
	}
	if strings.Contains(shown.msg+pool.Content, "secret") || !strings.Contains(pool.Content, "env[DB_PASSWORD] = ••••") {
		t.Fatalf("show reveals a secret:\n%s\n%s", shown.msg, pool.Content)
	}

	edited := pool.Content + "pm.max_requests = 100\n"
	if r := run(t, b, op("fpm.pool.edit", "api", "content", edited)); r.status != ops.StatusOK {
		t.Fatalf("raw edit: %s %s", r.status, r.msg)
	}
	now, _ := os.ReadFile(path)
	if !strings.Contains(string(now), "hunter2secret") || !strings.Contains(string(now), "k-secret") || !strings.Contains(string(now), "pm.max_requests = 100") {
		t.Fatalf("a raw edit lost a secret it did not retype:\n%s", now)
	}
	broken := strings.Replace(edited, "env[DB_PASSWORD] = ••••", "env[DB_PASSWORD] = ••••x", 1)
	if r := run(t, b, op("fpm.pool.edit", "api", "content", broken)); r.status != ops.StatusInvalid || !strings.Contains(r.msg, "masked secret") {
		t.Errorf("a changed masked line: %s %s", r.status, r.msg)
	}
	if again, _ := os.ReadFile(path); string(again) != string(now) {
		t.Errorf("a refused raw edit changed the file:\n%s", again)
	}
}
