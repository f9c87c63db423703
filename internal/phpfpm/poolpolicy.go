package phpfpm

// This file applies the write policy (SPEC §6) to a pool: the master,
// running as root, creates the pool's socket and opens its access and slow
// logs, so where they are is where a write role could make root write.
// Only the directives a write changes (or whose meaning it moves:
// policyKeys) are checked, so pools that broke the policy before poolvisor
// arrived can still be edited back into it.

import (
	"errors"
	"maps"
	"net"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/writepolicy"
)

// poolListenKeys are the directives whose value is an address the master
// binds as root: the pool's own, and pm.status_listen, the separate
// status-only listener of php-fpm 8 (a socket path it unlinks and creates,
// or a TCP address).
var poolListenKeys = []string{"listen", "pm.status_listen"}

// poolLogKeys are the directives whose value is a file the master or a
// worker opens for writing; php_value and php_admin_value are matched by
// their offset (php_admin_value[error_log]).
var (
	poolLogKeys    = []string{"access.log", "slowlog"}
	poolLogOffsets = []string{"error_log", "mail.log", "opcache.error_log"}
)

// isLogKey reports whether key names a file written for the pool.
func isLogKey(key string) bool {
	if slices.Contains(poolLogKeys, key) {
		return true
	}
	name, offset, array, err := splitKey(key)
	return err == nil && array && (name == "php_value" || name == "php_admin_value") && slices.Contains(poolLogOffsets, offset)
}

// checkPolicy checks the directives c changes against the write policy.
func (b *Backend) checkPolicy(c candidate) error {
	p := b.cfg.Policy
	if err := checkPoolIdentity(c, p.ProgramUsers, b.cfg.DefaultUser); err != nil {
		return err
	}
	for _, k := range policyKeys(c) {
		isListen := slices.Contains(poolListenKeys, k)
		if !isListen && !isLogKey(k) {
			continue
		}
		v, ok := c.directives[k]
		if !ok {
			continue // removed: php-fpm's default applies
		}
		if c.raw != nil {
			if raw, ok := c.raw(k); ok && !literal(raw) {
				return ops.InvalidField(directiveField(k), "%s: its value uses ${...}, a constant or an expression, so what php-fpm would use depends on its environment and cannot be checked against the write policy; write the value itself", k)
			}
		}
		v = expandPool(v, c.name)
		if isListen {
			addr, err := parseListen(v, c.name)
			if err != nil {
				return ops.InvalidField(directiveField(k), "%s %s: %v", k, v, err)
			}
			if addr.network == "unix" {
				if err = p.CheckPath(k, v, writepolicy.Socket, b.cfg.SocketDir); err == nil {
					err = checkSocketFree(k, v)
				}
			} else {
				host, _, e := net.SplitHostPort(v)
				if e != nil {
					host = "" // a bare port: every address
				}
				if err = p.CheckTCP(k, host); err == nil {
					err = checkPortFree(k, v, addr)
				}
			}
			if err != nil {
				return ops.WithField(err, directiveField(k))
			}
			continue
		}
		if v == "syslog" && !slices.Contains(poolLogKeys, k) {
			continue // error_log = syslog (PHP compares it case-sensitively): no file
		}
		if err := p.CheckPath(k, v, writepolicy.File, b.cfg.LogDir); err != nil {
			return ops.WithField(err, directiveField(k))
		}
	}
	return nil
}

// policyKeys returns the directives of c the policy judges: those c
// changes, and those whose meaning to php-fpm the change moves. php-fpm
// opens (as root, creating it) the slowlog only while
// request_slowlog_timeout is on, and resolves a relative log or socket
// against prefix. A pool written before poolvisor may name a file outside
// the policy that php-fpm never opened, or a relative one: turning the
// timeout on, or moving the prefix, makes root write there as surely as
// setting the path would (at php-fpm -t already).
func policyKeys(c candidate) []string {
	keys := maps.Clone(c.changed)
	if c.changed["request_slowlog_timeout"] {
		if m := phpTimeRE().FindStringSubmatch(c.directives["request_slowlog_timeout"]); m == nil || strings.TrimLeft(m[1], "0") != "" {
			keys["slowlog"] = true
		}
	}
	if c.changed["prefix"] {
		for k, v := range c.directives {
			v = expandPool(v, c.name)
			if slices.Contains(poolListenKeys, k) {
				if addr, err := parseListen(v, c.name); err != nil || addr.network != "unix" {
					continue
				}
			} else if !isLogKey(k) {
				continue
			}
			if !filepath.IsAbs(strings.Trim(strings.TrimSpace(v), `"'`)) {
				keys[k] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(keys))
}

// checkPoolIdentity refuses a write that would give a pool's workers rights
// beyond those of its user. php-fpm, as root, sets the workers' group to
// the pool's group= and their supplementary groups with initgroups(3), so:
//
//   - group must be one the user belongs to: any other (disk, docker,
//     shadow) would add its rights, and several amount to root;
//   - user must be phpfpm.defaults.user or one of policy.program_users,
//     as for programs: any other account (postgres, a deploy user) runs
//     the pool's PHP, and brings along its supplementary groups (the
//     ubuntu user is in lxd and sudo, a deploy user often in docker);
//   - chroot may not be set or moved through poolvisor: initgroups runs
//     after chroot(2) and reads <chroot>/etc/group, so whoever can write
//     there (a program of an allowed user, in its own directory) picks the
//     workers' groups, root's among them. prefix moves a relative chroot.
func checkPoolIdentity(c candidate, listed []string, defaultUser string) error {
	d := c.directives
	if c.changed["chroot"] && d["chroot"] != "" {
		return ops.InvalidField(directiveField("chroot"), "chroot is refused by the write policy: php-fpm reads the workers' groups from %s/etc/group after it enters the chroot, so whoever can write there chooses them (root's included); an admin sets chroot by hand", d["chroot"])
	}
	if c.changed["prefix"] && d["chroot"] != "" {
		return ops.InvalidField(directiveField("prefix"), "prefix is refused by the write policy while chroot is set: it moves a relative chroot, where php-fpm reads the workers' groups")
	}
	if !c.changed["user"] && !c.changed["group"] {
		return nil
	}
	name, group := d["user"], d["group"]
	if name == "" {
		return nil // php-fpm keeps the master's identity (not root: validatePool)
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil // validatePool says the user does not exist
	}
	gids, err := u.GroupIds()
	if err != nil {
		return ops.InvalidField(directiveField("user"), "user %s: its groups cannot be read (%v), so the write policy cannot check them", name, err)
	}
	if c.changed["user"] && name != defaultUser && !slices.Contains(listed, name) {
		allowed := strings.Join(append(slices.Clone(listed), defaultUser+" (phpfpm.defaults.user)"), ", ")
		return ops.InvalidField(directiveField("user"), "user %s is refused by the write policy: the pool's PHP would run as %s, outside policy.program_users (allowed: %s), and with every group %s is in; have an admin list %s there", name, name, allowed, name, name)
	}
	if group == "" {
		return nil // php-fpm takes the user's own primary group
	}
	g, err := user.LookupGroup(group)
	if err != nil {
		return nil // validatePool says the group does not exist
	}
	if g.Gid != u.Gid && !slices.Contains(gids, g.Gid) {
		return ops.InvalidField(directiveField("group"), "group %s is refused by the write policy: user %s is not a member of it, and php-fpm would give the pool's workers its rights (groups such as disk or docker amount to root); use one of the user's own groups", group, name)
	}
	return nil
}

// checkSocketFree refuses a socket path that something listens on already.
// php-fpm 8 refuses to start then ("another FPM instance seems to already
// listen"), and as php-fpm -t does not see it, the reload would take the
// master down: every pool stops until poolvisor has brought it back on the
// old file, a restart (approvals.required) by way of an edit. A stale
// socket file is fine.
func checkSocketFree(key, path string) error {
	conn, err := net.DialTimeout("unix", path, time.Second)
	if err != nil {
		return nil
	}
	conn.Close()
	return ops.Invalidf("%s %q is refused by the write policy: something already listens on it (a pool of another php-fpm instance, or another service), and php-fpm would unlink it and take its connections; choose a free path", key, path)
}

// checkPortFree refuses a TCP address that something listens on already,
// for the same reason as checkSocketFree: the reload would fail at bind and
// take every pool down with it.
func checkPortFree(key, value string, addr address) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(addr.host, strconv.Itoa(addr.port)))
	if err == nil {
		ln.Close()
		return nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return ops.Invalidf("%s %s is refused: something already listens on that address, so php-fpm could not bind it and the reload would take every pool down; choose a free port", key, value)
	}
	return nil // not ours to judge (a port poolvisor itself may not bind, say)
}
