package phpfpm

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// slowlogTimeRE is the part of php-fpm's time values (fpm_conf_set_time)
// that --slowlog takes: seconds, or a number with s, m or h. php-fpm also
// reads d, and atoi reads "5xs" as 5 seconds; neither is worth a slow log.
var slowlogTimeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9]{1,6})([smh]?)$`) })

// maxSlowlogTimeout is the longest --slowlog taken: a request slower than
// a day is not one a stack would explain, and php-fpm keeps it in an int.
const maxSlowlogTimeout = 24 * time.Hour

// phpTime reads a time value as slowlogTimeRE takes it.
func phpTime(v string) (time.Duration, bool) {
	m := slowlogTimeRE().FindStringSubmatch(v)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, false
	}
	unit := map[string]time.Duration{"": time.Second, "s": time.Second, "m": time.Minute, "h": time.Hour}[m[2]]
	return time.Duration(n) * unit, true
}

// slowlogPath is where --slowlog puts pool's slow log: a file of its own in
// the log dir, named after the pool.
func (b *Backend) slowlogPath(pool string) string {
	return filepath.Join(b.cfg.LogDir, pool+".slow.log")
}

// slowlogSettings are the directives --slowlog v sets: the timeout as given
// and, unless it is 0, the slow log file in the log dir. Turning it off
// leaves slowlog as it was, so the entries already logged stay readable.
func slowlogSettings(b *Backend, pool, v string) ([]setting, error) {
	field := catalog.SlowlogFlag.Name
	d, ok := phpTime(v)
	if !ok {
		return nil, ops.InvalidField(field, "--slowlog takes a time as php-fpm reads it: seconds, or a number with s, m or h, like 5s (0 turns the slow log off); not %q", v)
	}
	if d > maxSlowlogTimeout {
		return nil, ops.InvalidField(field, "--slowlog %s is longer than %s; a request that slow is better stopped (request_terminate_timeout)", v, maxSlowlogTimeout)
	}
	if d == 0 {
		return []setting{{catalog.SlowlogFlag.Key, "0"}}, nil
	}
	dir := b.cfg.LogDir
	if !filepath.IsAbs(dir) {
		return nil, ops.InvalidField(field, "--slowlog needs phpfpm.log_dir, an absolute directory for the slow log; it is %q on %s", dir, b.cfg.Host)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, ops.InvalidField(field, "--slowlog writes the slow log to phpfpm.log_dir, and %s is not a directory on %s; create it or set phpfpm.log_dir", dir, b.cfg.Host)
	}
	return []setting{{catalog.SlowlogFlag.Key, v}, {"slowlog", b.slowlogPath(pool)}}, nil
}
