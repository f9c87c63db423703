package phpfpm

import (
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
	"github.com/poolvisor/poolvisor/internal/writepolicy"
)

// TestPoolWritePolicy: the php-fpm master runs as root and creates each
// pool's socket and opens its logs, so a pool write may put them only in
// phpfpm.socket_dir, phpfpm.log_dir or policy.writable_dirs, and listen on
// TCP only on loopback. Every refusal changes no file and reloads nothing;
// the file a socket path names is not removed.
func TestPoolWritePolicy(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"}, sandbox.Pool{Name: "api", PM: "dynamic", MaxChildren: 4})
	b := testBackend(t, f, func(c *Config) { c.Policy = writepolicy.Policy{FPMTCP: writepolicy.TCPLoopback} })
	if err := os.MkdirAll(b.cfg.LogDir, 0o755); err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim.txt")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(b.cfg.LogDir, "escape")); err != nil {
		t.Fatal(err)
	}
	logIn := func(name string) string { return filepath.Join(b.cfg.LogDir, name) }
	hand := "[api]\nuser = " + f.User + "\ngroup = " + f.Group + "\nlisten = " + f.SocketPath("api") +
		"\npm = dynamic\npm.max_children = 4\npm.min_spare_servers = 1\npm.max_spare_servers = 2\n"
	if f.User == "" {
		hand = strings.Replace(hand, "user = \ngroup = \n", "", 1)
	}
	tests := []struct {
		name string
		op   ops.Operation
		want string
	}{
		{"listen on an existing file", op("fpm.pool.create", "f18", "listen", victim), "is outside"},
		{"listen in /etc", op("fpm.pool.create", "f18", "listen", "/etc/evil.sock"), "is outside"},
		{"listen out of the socket dir by ..", op("fpm.pool.edit", "api", "listen", f.SocketDir+"/../x.sock"), "'..'"},
		{"listen on every address", op("fpm.pool.edit", "api", "listen", "0.0.0.0:9071"), "policy.fpm_tcp"},
		{"listen on a public address", op("fpm.pool.edit", "api", "listen", "203.0.113.7:9071"), "policy.fpm_tcp"},
		{"access.log as a crontab", op("fpm.pool.edit", "api", "set", "access.log=/etc/cron.d/poolvisor", "set", "access.format=* * * * * root touch /root/PWNED"), "is outside"},
		{"access.log through a link", op("fpm.pool.edit", "api", "set", "access.log="+logIn("escape/x")), "symbolic link"},
		{"access.log relative to the prefix", op("fpm.pool.edit", "api", "set", "access.log=log/x.log"), "absolute path"},
		{"slowlog elsewhere", op("fpm.pool.edit", "api", "set", "slowlog="+victim, "set", "request_slowlog_timeout=5s"), "is outside"},
		{"error_log elsewhere", op("fpm.pool.edit", "api", "set", "php_admin_value[error_log]=/etc/profile.d/x.sh"), "is outside"},
		{"php_value error_log elsewhere", op("fpm.pool.edit", "api", "set", "php_value[error_log]=/etc/x"), "is outside"},
		{"error_log SYSLOG is a file to PHP", op("fpm.pool.edit", "api", "set", "php_admin_value[error_log]=SYSLOG"), "must be an absolute path"},
		{"access.log on the log dir itself", op("fpm.pool.edit", "api", "set", "access.log="+b.cfg.LogDir), "is outside"},
		{"raw: log from the environment", op("fpm.pool.edit", "api", "content", hand+"access.log = \"${HOME}/x.log\"\n"), "${...}"},
		{"raw: log built from a constant", op("fpm.pool.edit", "api", "content", hand+"access.log = \""+b.cfg.LogDir+"/\" PHP_OS\n"), "a constant"},
		{"raw: listen outside", op("fpm.pool.edit", "api", "content", strings.Replace(hand, f.SocketPath("api"), victim, 1)), "is outside"},
		{"raw: a section after a lone CR", op("fpm.pool.edit", "api", "content", hand+"pm.max_requests = 5\r[global]\rerror_log = /etc/x\n"), "carriage return"},
		{"pm.status_listen on an existing file", op("fpm.pool.edit", "api", "set", "pm.status_listen="+victim), "is outside"},
		{"pm.status_listen in /etc", op("fpm.pool.create", "f19", "set", "pm.status_listen=/etc/evil.sock"), "is outside"},
		{"pm.status_listen on every address", op("fpm.pool.edit", "api", "set", "pm.status_listen=0.0.0.0:9072"), "policy.fpm_tcp"},
		{"pm.status_listen on a bare port", op("fpm.pool.edit", "api", "set", "pm.status_listen=9072"), "policy.fpm_tcp"},
		{"raw: pm.status_listen outside", op("fpm.pool.edit", "api", "content", hand+"pm.status_listen = "+victim+"\n"), "is outside"},
		{"chroot where a program could write etc/group", op("fpm.pool.edit", "api", "set", "chroot="+outside), "chroot is refused"},
		{"raw: chroot", op("fpm.pool.edit", "api", "content", hand+"chroot = "+outside+"\n"), "chroot is refused"},
		{"raw: include", op("fpm.pool.edit", "api", "content", hand+"include = "+victim+"\n"), "include is not a pool directive"},
		{"raw: Listen in capitals", op("fpm.pool.edit", "api", "content", hand+"Listen = "+victim+"\n"), "did you mean listen"},
		{"raw: quoted offset", op("fpm.pool.edit", "api", "content", hand+"php_admin_value[\"error_log\"] = "+victim+"\n"), "is not a directive name"},
		{"raw: indented [global]", op("fpm.pool.edit", "api", "content", hand+"  [global]\nerror_log = "+victim+"\n"), "first column"},
		{"raw: another pool", op("fpm.pool.edit", "api", "content", hand+"[evil]\nlisten = /tmp/e.sock\n"), "exactly the section [api]"},
	}
	q := snapshot(t, f, "www", "api")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, b, tt.op)
			if r.status != ops.StatusInvalid || !strings.Contains(r.msg, tt.want) {
				t.Errorf("got %s %q, want invalid mentioning %q", r.status, r.msg, tt.want)
			}
			q.check(t, f)
		})
	}
	if data, err := os.ReadFile(victim); err != nil || string(data) != "keep" {
		t.Errorf("the file a refused listen named: %q, %v", data, err)
	}
	for _, p := range []string{"/etc/evil.sock", "/etc/cron.d/poolvisor"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s exists", p)
		}
	}

	// A socket dir that the pools' user may write (Debian's /run/php
	// belongs to www-data): a socket directly in it is fine, but not one in
	// a directory below it, which that user could swap for a link to /etc
	// after the check; php-fpm would unlink and bind there as root.
	if os.Geteuid() == 0 {
		sub := filepath.Join(f.SocketDir, "sub")
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(f.SocketDir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		r := run(t, b, op("fpm.pool.edit", "api", "listen", filepath.Join(sub, "api.sock")))
		if r.status != ops.StatusInvalid || !strings.Contains(r.msg, "uid 65534") {
			t.Errorf("listen below a socket dir another user owns: %s %q", r.status, r.msg)
		}
		q.check(t, f)
		if err := os.Chown(f.SocketDir, 0, 0); err != nil {
			t.Fatal(err)
		}
	}

	// A pool's group adds its rights to the workers': only one of the
	// user's own groups (disk or docker would amount to root).
	if f.User != "" {
		for _, o := range []ops.Operation{
			op("fpm.pool.edit", "api", "group", "disk"),
			op("fpm.pool.create", "f20", "group", "disk"),
			op("fpm.pool.edit", "api", "content", strings.Replace(hand, "group = "+f.Group, "group = disk", 1)),
		} {
			r := run(t, b, o)
			if r.status != ops.StatusInvalid || !strings.Contains(r.msg, "group disk is refused") {
				t.Errorf("%s %v: %s %q", o.Name, o.Args[0].Key, r.status, r.msg)
			}
			q.check(t, f)
		}
	}

	// A pool's user is the default one or one of policy.program_users, as
	// for programs: any other account (postgres, a deploy user) would run
	// the pool's PHP, with every group it is in (ubuntu: lxd, sudo).
	others := []string{"daemon"}
	if member := supplementaryMember(t); member != "" {
		others = append(others, member)
	}
	for _, name := range others {
		for _, o := range []ops.Operation{
			op("fpm.pool.edit", "api", "user", name),
			op("fpm.pool.create", "f21", "user", name),
		} {
			r := run(t, b, o)
			if r.status != ops.StatusInvalid || !strings.Contains(r.msg, "user "+name+" is refused") || !strings.Contains(r.msg, "policy.program_users") {
				t.Errorf("%s --user %s: %s %q", o.Name, name, r.status, r.msg)
			}
			q.check(t, f)
		}
	}
	if f.User != "" { // php-fpm changes users only as root
		b2 := testBackend(t, f, func(c *Config) {
			c.Policy = writepolicy.Policy{FPMTCP: writepolicy.TCPLoopback, ProgramUsers: []string{"daemon"}}
		})
		if r := run(t, b2, op("fpm.pool.edit", "api", "user", "daemon", "group", "daemon")); r.status != ops.StatusOK {
			t.Errorf("a user policy.program_users lists: %s %q", r.status, r.msg)
		}
		q = snapshot(t, f, "www", "api")
	}

	// An address something else listens on (a pool of another php-fpm
	// instance, another service) makes the reload fail at bind, which takes
	// the master and every pool down: a restart by way of an edit.
	other, err := net.Listen("unix", filepath.Join(f.SocketDir, "other.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, o := range []ops.Operation{
		op("fpm.pool.edit", "api", "listen", busy.Addr().String()),
		op("fpm.pool.edit", "api", "listen", filepath.Join(f.SocketDir, "other.sock")),
		op("fpm.pool.edit", "api", "set", "pm.status_listen="+filepath.Join(f.SocketDir, "other.sock")),
	} {
		r := run(t, b, o)
		if r.status != ops.StatusInvalid || !strings.Contains(r.msg, "already listens") || !strings.Contains(r.msg, o.Args[0].Key) && !strings.Contains(o.Args[0].Value, "status_listen") {
			t.Errorf("%v: %s %q", o.Args, r.status, r.msg)
		}
		q.check(t, f)
	}

	// Within the policy, the same directives are fine.
	r := run(t, b, op("fpm.pool.edit", "api", "set", "access.log="+logIn("$pool.access.log"), "set", "slowlog="+logIn("api.slow"),
		"set", "request_slowlog_timeout=5s", "listen", "127.0.0.1:9071"))
	if r.status != ops.StatusOK {
		t.Fatalf("allowed edit: %s %s", r.status, r.msg)
	}
}

// supplementaryMember returns a user of this host that /etc/group lists as
// a member of some group, or "".
func supplementaryMember(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("/etc/group")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Split(line, ":")
		if len(fields) < 4 || fields[3] == "" {
			continue
		}
		for _, m := range strings.Split(fields[3], ",") {
			if u, err := user.Lookup(m); err == nil && u.Uid != "0" {
				return m
			}
		}
	}
	return ""
}
