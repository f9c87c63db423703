package phpfpm

import (
	"fmt"
	"maps"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// candidate is a pool as it would be after a write.
type candidate struct {
	name       string
	directives map[string]string // effective, as written
	changed    map[string]bool   // the directives the request sets
	// raw returns a directive's value part as written in the file, for
	// the checks that must see what php-fpm's ini scanner will see.
	raw func(key string) (string, bool)
}

var (
	intDirectives = []string{"pm.max_children", "pm.start_servers", "pm.min_spare_servers", "pm.max_spare_servers",
		"pm.max_requests", "pm.max_spawn_rate", "listen.backlog", "request_slowlog_trace_depth"}
	timeDirectives = []string{"pm.process_idle_timeout", "request_terminate_timeout", "request_slowlog_timeout"}
	boolDirectives = []string{"catch_workers_output", "decorate_workers_output", "clear_env", "process.dumpable",
		"request_terminate_timeout_track_finished"}
	timeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\d+[smhd]?$`) })
	modeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^0?[0-7]{3}$`) })
)

// validatePool is validation stage 1: poolvisor's own rules, checked before
// php-fpm sees anything, each broken rule said in words an operator knows.
// The values a request sets are checked one by one; the rules that tie
// directives together are checked on the pool as a whole.
func validatePool(c candidate, others []poolEntry) error {
	var problems []problem
	add := func(key, format string, args ...any) {
		problems = append(problems, problem{key: key, msg: fmt.Sprintf(format, args...)})
	}
	d := c.directives
	for _, k := range slices.Sorted(maps.Keys(c.changed)) {
		if msg := checkValueFormat(k, d[k]); msg != "" {
			add(k, "%s", msg) // a value the request set: by its flag, or by --set
		}
	}
	problems = append(problems, checkPM(d)...)
	for _, k := range []string{"user", "group"} {
		if msg := checkIdentity(k, d[k], false); msg != "" {
			add(k, "%s", msg)
		}
	}
	if d["user"] == "" && os.Geteuid() == 0 {
		add("user", "user is not set: php-fpm runs each pool as its own user (%s NAME)", flagFor("user"))
	}
	if l, ok := d["listen"]; !ok || l == "" {
		add("listen", "listen is not set: a pool needs a socket path or IP:PORT (%s)", flagFor("listen"))
	} else if addr, err := parseListen(l, c.name); err == nil {
		for _, o := range others {
			if o.name == c.name {
				continue
			}
			if oa, err := parseListen(o.directives["listen"], o.name); err == nil && addr.clashes(oa) {
				add("listen", "listen %s is already used by pool %s (%s)", addr, o.name, o.file)
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	field, msgs := "", make([]string, len(problems))
	for i, p := range problems {
		msgs[i] = p.msg
		if field == "" && p.key != "" {
			field = directiveField(p.key)
		}
	}
	return ops.InvalidField(field, "pool %s cannot be written as asked, nothing was changed:\n  - %s", c.name, strings.Join(msgs, "\n  - "))
}

// problem is one broken rule of a pool, and the directive it is about
// ("" for a rule of several).
type problem struct{ key, msg string }

// checkValueFormat checks one value the request sets; "" means fine.
func checkValueFormat(k, v string) string {
	switch {
	case k == "pm":
		if v != "static" && v != "dynamic" && v != "ondemand" {
			return fmt.Sprintf("pm %q is not a process manager: use static, dynamic or ondemand", v)
		}
	case slices.Contains(intDirectives, k):
		if _, err := strconv.Atoi(v); err != nil {
			return fmt.Sprintf("%s %q is not a whole number", k, v)
		}
	case slices.Contains(timeDirectives, k):
		if !timeRE().MatchString(v) {
			return fmt.Sprintf("%s %q is not a duration: use seconds, or a number with s, m, h or d (like 10s)", k, v)
		}
	case slices.Contains(boolDirectives, k):
		switch strings.ToLower(v) {
		case "yes", "no", "true", "false", "on", "off", "1", "0", "":
		default:
			return fmt.Sprintf("%s %q is not yes or no", k, v)
		}
	case k == "listen":
		return checkListen(v)
	case k == "listen.mode":
		if !modeRE().MatchString(v) {
			return fmt.Sprintf("listen.mode %q is not an octal file mode like 0660", v)
		}
	case k == "listen.owner" || k == "listen.group":
		return checkIdentity(k, v, true)
	case k == "pm.status_path" || k == "ping.path":
		if !strings.HasPrefix(v, "/") {
			return fmt.Sprintf("%s %q must start with '/', like /status", k, v)
		}
	}
	return ""
}

// checkListen accepts an absolute socket path in an existing directory, or
// IP:PORT.
func checkListen(v string) string {
	if strings.HasPrefix(v, "/") {
		dir := filepath.Dir(filepath.Clean(v))
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Sprintf("listen %s: the directory %s does not exist, so php-fpm could not create the socket", v, dir)
		}
		if strings.HasSuffix(v, "/") {
			return fmt.Sprintf("listen %s names a directory, not a socket", v)
		}
		return ""
	}
	if _, err := strconv.Atoi(v); err == nil {
		return fmt.Sprintf("listen %s: give the address too, like 127.0.0.1:%s", v, v)
	}
	if _, err := parseListen(v, ""); err != nil {
		return fmt.Sprintf("listen %s: %v", v, err)
	}
	return ""
}

// checkIdentity checks that a user (k user or listen.owner) or group
// exists, and for the pool's own user and group that it is not root.
func checkIdentity(k, v string, rootOK bool) string {
	if v == "" {
		return ""
	}
	isGroup := strings.HasSuffix(k, "group")
	var id string
	if isGroup {
		g, err := user.LookupGroup(v)
		if err != nil {
			return fmt.Sprintf("%s %q: no such group on this host", k, v)
		}
		id = g.Gid
	} else {
		u, err := user.Lookup(v)
		if err != nil {
			return fmt.Sprintf("%s %q: no such user on this host", k, v)
		}
		id = u.Uid
	}
	if !rootOK && id == "0" {
		return fmt.Sprintf("%s %s is root: a pool must not run PHP as root (php-fpm refuses it without -R)", k, v)
	}
	return ""
}

// checkProcessManager checks the rules that tie the pm directives
// together, as php-fpm does when it starts the pool.
func checkProcessManager(d map[string]string) []string {
	var out []string
	for _, p := range checkPM(d) {
		out = append(out, p.msg)
	}
	return out
}

// checkPM is checkProcessManager, each problem with the directive it is
// about.
func checkPM(d map[string]string) []problem {
	var out []problem
	add := func(key, format string, args ...any) {
		out = append(out, problem{key: key, msg: fmt.Sprintf(format, args...)})
	}
	num := func(k string) (int, bool) {
		v, ok := d[k]
		if !ok {
			return 0, false
		}
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	pm := d["pm"]
	if pm == "" {
		add("pm", "pm is not set: use static, dynamic or ondemand (%s)", flagFor("pm"))
		return out
	}
	maxc, ok := num("pm.max_children")
	if !ok || maxc < 1 {
		add("pm.max_children", "pm.max_children must be set to 1 or more (%s)", flagFor("pm.max_children"))
		return out
	}
	switch pm {
	case "dynamic":
		minS, okMin := num("pm.min_spare_servers")
		maxS, okMax := num("pm.max_spare_servers")
		if !okMin || minS < 1 {
			add("pm.min_spare_servers", "pm.min_spare_servers must be 1 or more for pm dynamic (%s)", flagFor("pm.min_spare_servers"))
		}
		if !okMax || maxS < 1 {
			add("pm.max_spare_servers", "pm.max_spare_servers must be 1 or more for pm dynamic (%s)", flagFor("pm.max_spare_servers"))
		}
		if len(out) > 0 {
			return out
		}
		if maxS < minS {
			add("pm.max_spare_servers", "pm.max_spare_servers (%d) must be at least pm.min_spare_servers (%d)", maxS, minS)
		}
		if maxS > maxc || minS > maxc {
			add("pm.max_children", "the spare servers (min %d, max %d) must not exceed pm.max_children (%d)", minS, maxS, maxc)
		}
		start, ok := num("pm.start_servers")
		if !ok {
			start = minS + (maxS-minS)/2 // php-fpm's default
		}
		if start < minS || start > maxS {
			add("pm.start_servers", "pm.start_servers (%d) must be between pm.min_spare_servers (%d) and pm.max_spare_servers (%d)", start, minS, maxS)
		}
	case "ondemand":
		if v, ok := d["pm.process_idle_timeout"]; ok && timeRE().MatchString(v) {
			if n, _ := strconv.Atoi(strings.TrimRight(v, "smhd")); n <= 0 {
				add("pm.process_idle_timeout", "pm.process_idle_timeout must be more than 0 for pm ondemand, or idle workers would never stop (%s 10s)",
					flagFor("pm.process_idle_timeout"))
			}
		}
	}
	return out
}
