package phpfpm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// Without php-fpm on the host (a container) its own test cannot run, and
// a write is refused rather than let through untested (issue 14 item 11).
func TestPHPCheckRefusesWhenPHPFPMIsMissing(t *testing.T) {
	dir := t.TempDir()
	pools := filepath.Join(dir, "pool.d")
	if err := os.MkdirAll(pools, 0o755); err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(dir, "php-fpm.conf")
	if err := os.WriteFile(main, []byte("[global]\ninclude = "+pools+"/*.conf\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{Host: "test", Version: "8.2", Binary: filepath.Join(dir, "no-php-fpm8.2"), MainConfig: main,
		PoolDir: pools, SocketDir: dir, LogDir: dir, DefaultUser: "www-data", DefaultGroup: "www-data", Service: ServiceConfig{Mode: "command", ReloadCommand: "/bin/true"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.phpCheck(context.Background(), filepath.Join(pools, "app.conf"), []byte("[app]\nlisten = /run/app.sock\n"))
	status, msg := ops.UserError(err)
	if status != ops.StatusFailed || !strings.Contains(msg, "cannot run here") || !strings.Contains(msg, "nothing was written") {
		t.Fatalf("%s: %s", status, msg)
	}
	if _, err := os.Stat(filepath.Join(pools, "app.conf")); !os.IsNotExist(err) {
		t.Error("the pool was written")
	}
}
