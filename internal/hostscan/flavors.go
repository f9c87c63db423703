package hostscan

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/poolvisor/poolvisor/internal/daemonglob"
)

// flavor is how one packaging lays out an installation.
type flavor struct {
	name      string
	id        string // what tells installations apart in paths: "8.3", "php83", ""
	version   string
	binary    string
	main      string
	prefix    string // PHP_PREFIX: a relative include is relative to it
	stateDir  string // PHP_LOCALSTATEDIR: a relative pid is relative to it
	unit      string
	init      string
	socketDir string
}

var (
	debianBinRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^/usr/sbin/php-fpm(\d+\.\d+)$`) })
	debianDirRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^/etc/php/(\d+\.\d+)/fpm/php-fpm\.conf$`) })
	remiRE      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^/(?:etc/)?opt/remi/(php\d+)/`) })
	alpineBinRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^/usr/sbin/php-fpm(\d+)$`) })
	alpineDirRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^/etc/(php\d+)/php-fpm\.conf$`) })
)

func debianFlavor(v string) flavor {
	return flavor{name: "debian", id: v, version: v,
		binary: "/usr/sbin/php-fpm" + v, main: "/etc/php/" + v + "/fpm/php-fpm.conf",
		prefix: "/usr", stateDir: "/var", unit: "php" + v + "-fpm", init: "/etc/init.d/php" + v + "-fpm",
		socketDir: "/run/php"}
}

func rhelFlavor() flavor {
	return flavor{name: "rhel", binary: "/usr/sbin/php-fpm", main: "/etc/php-fpm.conf",
		prefix: "/usr", stateDir: "/var", unit: "php-fpm", init: "/etc/init.d/php-fpm", socketDir: "/run/php-fpm"}
}

// localFlavor is PHP built from source with its default prefix, which is
// also how the official Docker images (php:8.3-fpm) install it: the
// package's include=etc/php-fpm.d/*.conf is relative to /usr/local.
func localFlavor() flavor {
	return flavor{name: "local", binary: "/usr/local/sbin/php-fpm", main: "/usr/local/etc/php-fpm.conf",
		prefix: "/usr/local", stateDir: "/usr/local/var", unit: "php-fpm", init: "/etc/init.d/php-fpm",
		socketDir: "/run/php"}
}

// remiFlavor is one of Remi's software collections, phpXY, installed under
// /opt/remi/phpXY/root beside the base package.
func remiFlavor(id string) flavor {
	return flavor{name: "remi", id: id, version: digitsVersion(strings.TrimPrefix(id, "php")),
		binary: "/opt/remi/" + id + "/root/usr/sbin/php-fpm", main: "/etc/opt/remi/" + id + "/php-fpm.conf",
		prefix: "/opt/remi/" + id + "/root/usr", stateDir: "/var/opt/remi/" + id,
		unit: id + "-php-fpm", init: "/etc/init.d/" + id + "-php-fpm", socketDir: "/var/opt/remi/" + id + "/run/php-fpm"}
}

// alpineFlavor is Alpine's phpXY: /etc/phpXY, php-fpmXY, an OpenRC service.
func alpineFlavor(id string) flavor {
	digits := strings.TrimPrefix(id, "php")
	return flavor{name: "alpine", id: id, version: digitsVersion(digits),
		binary: "/usr/sbin/php-fpm" + digits, main: "/etc/" + id + "/php-fpm.conf",
		prefix: "/usr", stateDir: "/var", unit: "php-fpm" + digits, init: "/etc/init.d/php-fpm" + digits,
		socketDir: "/run/php-fpm" + digits}
}

// digitsVersion turns "83" into "8.3"; a lone digit says no minor version.
func digitsVersion(d string) string {
	if len(d) < 2 {
		return ""
	}
	return d[:1] + "." + d[1:]
}

// candidates lists every installation whose binary or main config exists,
// in the order of PHPInstall's doc.
func (h *host) candidates() []flavor {
	var out []flavor
	byID := func(paths []string, re *regexp.Regexp) []string {
		var ids []string
		for _, p := range paths {
			if m := re.FindStringSubmatch(p); m != nil {
				ids = append(ids, m[1])
			}
		}
		slices.SortFunc(ids, compareVersions)
		return slices.Compact(ids)
	}
	debian := append(byID(h.glob(daemonglob.C, "/usr/sbin/php-fpm*"), debianBinRE()), byID(h.glob(daemonglob.C, "/etc/php/*/fpm/php-fpm.conf"), debianDirRE())...)
	slices.SortFunc(debian, compareVersions)
	for _, v := range slices.Compact(debian) {
		out = append(out, debianFlavor(v))
	}
	// A /usr/sbin/php-fpm that is a link (to a Debian php-fpmX.Y, say) is
	// no installation of its own.
	if h.exists("/etc/php-fpm.conf") || (h.exists("/usr/sbin/php-fpm") && !h.isLink("/usr/sbin/php-fpm")) {
		out = append(out, rhelFlavor())
	}
	remi := append(h.glob(daemonglob.C, "/opt/remi/php*/root/usr/sbin/php-fpm"), h.glob(daemonglob.C, "/etc/opt/remi/php*/php-fpm.conf")...)
	for _, id := range sortedIDs(byID(remi, remiRE())) {
		out = append(out, remiFlavor(id))
	}
	var alpine []string
	for _, d := range byID(h.glob(daemonglob.C, "/usr/sbin/php-fpm*"), alpineBinRE()) {
		alpine = append(alpine, "php"+d)
	}
	alpine = append(alpine, byID(h.glob(daemonglob.C, "/etc/php*/php-fpm.conf"), alpineDirRE())...)
	for _, id := range sortedIDs(alpine) {
		out = append(out, alpineFlavor(id))
	}
	if h.exists("/usr/local/sbin/php-fpm") || h.exists("/usr/local/etc/php-fpm.conf") {
		out = append(out, localFlavor())
	}
	return out
}

func sortedIDs(ids []string) []string {
	slices.SortFunc(ids, func(a, b string) int { return compareVersions(digitsVersion(a[3:]), digitsVersion(b[3:])) })
	return slices.Compact(ids)
}

// compareVersions orders "7.4" < "8.1" < "8.10".
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, errX := strconv.Atoi(pa[i])
		y, errY := strconv.Atoi(pb[i])
		if errX != nil || errY != nil {
			if c := strings.Compare(pa[i], pb[i]); c != 0 {
				return c
			}
			continue
		}
		if x != y {
			return cmp.Compare(x, y)
		}
	}
	return cmp.Compare(len(pa), len(pb))
}
