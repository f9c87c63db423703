package phpfpm

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
)

// address is where a pool listens, in the form net.Dial takes.
type address struct {
	network string // "unix" or "tcp"
	addr    string // socket path, or host:port to dial
	host    string // tcp: the IP php-fpm binds ("" for all addresses)
	port    int
}

func (a address) String() string { return a.addr }

// expandPool replaces $pool the way php-fpm does in a pool's values.
func expandPool(v, pool string) string { return strings.ReplaceAll(v, "$pool", pool) }

// parseListen reads a pool's listen value as php-fpm does: a socket path,
// IP:PORT, [IPv6]:PORT, or a bare port (all addresses).
func parseListen(v, pool string) (address, error) {
	v = expandPool(v, pool)
	switch {
	case v == "":
		return address{}, fmt.Errorf("listen is empty")
	case strings.HasPrefix(v, "/"):
		return address{network: "unix", addr: filepath.Clean(v)}, nil
	}
	if p, err := strconv.Atoi(v); err == nil {
		if p < 1 || p > 65535 {
			return address{}, fmt.Errorf("port %d is out of range", p)
		}
		return address{network: "tcp", addr: net.JoinHostPort("127.0.0.1", v), port: p}, nil
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return address{}, fmt.Errorf("%q is neither an absolute socket path nor IP:PORT", v)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return address{}, fmt.Errorf("%q: the port must be a number from 1 to 65535", v)
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return address{}, fmt.Errorf("%q: %q is not an IP address", v, host)
	}
	dial := host
	switch {
	case ip.Equal(net.IPv4zero):
		dial = "127.0.0.1"
	case ip.Equal(net.IPv6unspecified):
		dial = "::1"
	}
	bind := host
	if ip.IsUnspecified() {
		bind = ""
	}
	return address{network: "tcp", addr: net.JoinHostPort(dial, port), host: bind, port: p}, nil
}

// clashes reports whether two pools cannot both listen on a and b.
func (a address) clashes(b address) bool {
	if a.network != b.network {
		return false
	}
	if a.network == "unix" {
		return a.addr == b.addr
	}
	return a.port == b.port && (a.host == "" || b.host == "" || a.host == b.host)
}

// dial checks that the address accepts a connection.
func (a address) dial(ctx context.Context) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, a.network, a.addr)
	if err != nil {
		return err
	}
	return c.Close()
}
