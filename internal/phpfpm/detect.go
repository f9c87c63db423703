package phpfpm

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
)

// Installation is one PHP-FPM installed on this host, as detection finds
// it: every path absolute. With phpfpm.version: auto and no
// phpfpm.instances, each Installation becomes one instance named by its
// Version; these paths replace the "auto" values of the single-instance keys.
type Installation struct {
	Version    string // "8.3"
	Binary     string // /usr/sbin/php-fpm8.3
	MainConfig string // /etc/php/8.3/fpm/php-fpm.conf
	PoolDir    string // /etc/php/8.3/fpm/pool.d
	Unit       string // systemd unit, php8.3-fpm
}

// DetectInstances finds every PHP-FPM installed on this host, oldest
// version first, or fails saying where it looked. It is the one place a
// host layout is chosen: today Debian's and Ubuntu's (DetectDebian); a
// detector for other layouts replaces it here.
var DetectInstances func() ([]Installation, error) = DetectDebian

// DetectDebian finds the PHP-FPM installations of Debian and Ubuntu,
// packaged by the distribution or a PPA alike: /usr/sbin/php-fpmX.Y with
// /etc/php/X.Y/fpm and the unit phpX.Y-fpm. A version counts when its
// binary is installed; a pool dir alone (left behind when a package is
// removed but not purged) counts only when no binary is found at all.
func DetectDebian() ([]Installation, error) { return detectDebian(defaultSystem) }

var dirVersionRE = regexp.MustCompile(`^(\d+\.\d+)$`)

func detectDebian(sys system) ([]Installation, error) {
	var versions []string
	bins, _ := filepath.Glob(filepath.Join(sys.sbin, "php-fpm*"))
	for _, p := range bins {
		if m := binaryVersionRE.FindStringSubmatch(filepath.Base(p)); m != nil && isFile(p) {
			versions = append(versions, m[1])
		}
	}
	if len(versions) == 0 {
		dirs, _ := filepath.Glob(filepath.Join(sys.etcPHP, "*", "fpm", "pool.d"))
		for _, p := range dirs {
			if m := dirVersionRE.FindStringSubmatch(filepath.Base(filepath.Dir(filepath.Dir(p)))); m != nil {
				versions = append(versions, m[1])
			}
		}
	}
	if len(versions) == 0 {
		return nil, fmt.Errorf("phpfpm.version: auto found no PHP-FPM on this host (no %s/php-fpm<version>, no %s/<version>/fpm/pool.d); install php-fpm or set phpfpm.version",
			sys.sbin, sys.etcPHP)
	}
	slices.SortFunc(versions, func(a, b string) int {
		switch {
		case newer(a, b):
			return 1
		case newer(b, a):
			return -1
		}
		return 0
	})
	versions = slices.Compact(versions)
	out := make([]Installation, len(versions))
	for i, v := range versions {
		out[i] = Installation{
			Version:    v,
			Binary:     filepath.Join(sys.sbin, "php-fpm"+v),
			MainConfig: filepath.Join(sys.etcPHP, v, "fpm", "php-fpm.conf"),
			PoolDir:    filepath.Join(sys.etcPHP, v, "fpm", "pool.d"),
			Unit:       "php" + v + "-fpm",
		}
	}
	return out, nil
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
