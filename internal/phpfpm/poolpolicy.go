package phpfpm

// This file applies the write policy (SPEC §6) to a pool: the master,
// running as root, creates the pool's socket and opens its access and slow
// logs, so where they are is where a write role could make root write.
// Only the directives a write changes are checked, so pools that broke the
// policy before poolvisor arrived can still be edited back into it.

import (
	"net"
	"slices"
	"strings"

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
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range c.changed {
			if !yield(k) {
				return
			}
		}
	}) {
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
				return ops.Invalidf("%s: its value uses ${...}, a constant or an expression, so what php-fpm would use depends on its environment and cannot be checked against the write policy; write the value itself", k)
			}
		}
		v = expandPool(v, c.name)
		if isListen {
			addr, err := parseListen(v, c.name)
			if err != nil {
				return ops.Invalidf("%s %s: %v", k, v, err)
			}
			if addr.network == "unix" {
				err = p.CheckPath(k, v, writepolicy.Socket, b.cfg.SocketDir)
			} else {
				host, _, e := net.SplitHostPort(v)
				if e != nil {
					host = "" // a bare port: every address
				}
				err = p.CheckTCP(k, host)
			}
			if err != nil {
				return err
			}
			continue
		}
		if strings.EqualFold(v, "syslog") && !slices.Contains(poolLogKeys, k) {
			continue // error_log = syslog: no file
		}
		if err := p.CheckPath(k, v, writepolicy.File, b.cfg.LogDir); err != nil {
			return err
		}
	}
	return nil
}
