package phpfpm

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/poolvisor/poolvisor/internal/hostscan"
)

// Installation is one PHP-FPM installed on this host, as detection finds
// it: every path absolute. With phpfpm.version: auto and no
// phpfpm.instances, each Installation becomes one instance named by its
// Name; these paths replace the "auto" values of the single-instance keys.
type Installation struct {
	Name       string // what --php takes: the version, unless two share it ("remi-8.3")
	Version    string // "8.3"
	Binary     string // /usr/sbin/php-fpm8.3
	MainConfig string // /etc/php/8.3/fpm/php-fpm.conf
	PoolDir    string // /etc/php/8.3/fpm/pool.d
	Unit       string // systemd unit, php8.3-fpm
}

// DetectInstances finds every PHP-FPM installed on this host, oldest
// version first, or fails saying where it looked. It is the one place a
// host layout is chosen: hostscan knows Debian and Ubuntu (PPA versions
// side by side), RHEL with Remi's collections, Alpine and /usr/local
// builds, the same layouts `poolvisor init` finds.
var DetectInstances func() ([]Installation, error) = DetectHost

// DetectHost finds the PHP-FPM installations of this host with hostscan.
func DetectHost() ([]Installation, error) { return detectUnder("/") }

// detectUnder is DetectHost for the host under root; the paths it returns
// are real ones (root joined in front), so tests can lay out a host.
func detectUnder(root string) ([]Installation, error) {
	found, problems := hostscan.PHPFPM(root)
	if len(found) == 0 {
		why := make([]string, len(problems))
		for i, p := range problems {
			why[i] = p.String()
		}
		return nil, fmt.Errorf("phpfpm.version: auto: %s", strings.Join(why, "; "))
	}
	real := func(p string) string {
		if p == "" || root == "/" {
			return p
		}
		return filepath.Join(root, p)
	}
	out := make([]Installation, len(found))
	for i, in := range found {
		out[i] = Installation{Name: in.Name, Version: in.Version, Binary: real(in.Binary), MainConfig: real(in.MainConfig),
			PoolDir: real(in.PoolDir), Unit: in.Service.Unit}
	}
	slices.SortStableFunc(out, func(a, b Installation) int {
		switch {
		case newer(a.Version, b.Version):
			return 1
		case newer(b.Version, a.Version):
			return -1
		}
		return 0
	})
	return out, nil
}
