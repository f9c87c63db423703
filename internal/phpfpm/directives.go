package phpfpm

import (
	"fmt"
	"slices"
	"strings"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// poolDirectives are the pool directives php-fpm 8.x knows
// (sapi/fpm/fpm/fpm_conf.c, ini_fpm_pool_options). php-fpm's own test
// catches a directive of another version; this list gives the friendlier
// answer first.
var poolDirectives = []string{
	"prefix", "user", "group",
	"listen", "listen.owner", "listen.group", "listen.mode", "listen.allowed_clients",
	"listen.acl_users", "listen.acl_groups", "listen.backlog", "listen.setfib",
	"process.priority", "process.dumpable",
	"pm", "pm.max_children", "pm.start_servers", "pm.min_spare_servers", "pm.max_spare_servers",
	"pm.max_spawn_rate", "pm.process_idle_timeout", "pm.max_requests", "pm.status_path", "pm.status_listen",
	"ping.path", "ping.response",
	"access.log", "access.format", "slowlog",
	"request_slowlog_timeout", "request_slowlog_trace_depth", "request_terminate_timeout",
	"request_terminate_timeout_track_finished",
	"rlimit_files", "rlimit_core", "chroot", "chdir",
	"catch_workers_output", "decorate_workers_output", "clear_env", "security.limit_extensions", "apparmor_hat",
}

// arrayDirectives take a key: php_value[memory_limit] = 256M.
var arrayDirectives = []string{"php_value", "php_flag", "php_admin_value", "php_admin_flag", "env", "access.suppress_path"}

// checkKnownKey refuses a key php-fpm would not know, suggesting the
// directive the user probably meant.
func checkKnownKey(key string) error {
	if err := checkKeySyntax(key); err != nil {
		return err
	}
	name, _, array, _ := splitKey(key)
	if array {
		if slices.Contains(arrayDirectives, name) {
			return nil
		}
		return ops.Invalidf("%s is not a directive php-fpm knows; the directives with [KEY] are %s", key, strings.Join(arrayDirectives, ", "))
	}
	if slices.Contains(poolDirectives, key) {
		return nil
	}
	if slices.Contains(arrayDirectives, key) {
		return ops.Invalidf("%s needs a key: %s[KEY]=VALUE", key, key)
	}
	norm := func(s string) string {
		return strings.NewReplacer("_", "", ".", "", "-", "").Replace(strings.ToLower(s))
	}
	for _, d := range poolDirectives {
		if norm(d) == norm(key) || editDistance(d, key) <= 2 {
			return ops.Invalidf("%s is not a directive php-fpm knows; did you mean %s?", key, d)
		}
	}
	return ops.Invalidf("%s is not a pool directive php-fpm knows (see https://www.php.net/manual/en/install.fpm.configuration.php)", key)
}

// flagDirectives are the pool flags of SPEC §1 that set a directive, as
// the catalog declares them.
var flagDirectives = catalog.Directives(catalog.PoolFlags)

// flagFor names the flag that sets directive key, like --pm for pm,
// or --set for a directive without one.
func flagFor(key string) string { return "--" + directiveField(key) }

// directiveField is the flag (a form's field) that sets directive key:
// its own, or set.
func directiveField(key string) string {
	if f := catalog.FlagOf(catalog.PoolFlags, key); f != "" {
		return f
	}
	return catalog.Set
}

type setting struct{ key, value string }

// presets are the operators' guide's pool sizes.
var presets = map[string][]setting{
	"small": {{"pm", "ondemand"}, {"pm.max_children", "5"}, {"pm.process_idle_timeout", "10s"}, {"pm.max_requests", "500"}},
	"medium": {{"pm", "dynamic"}, {"pm.max_children", "20"}, {"pm.start_servers", "5"},
		{"pm.min_spare_servers", "2"}, {"pm.max_spare_servers", "8"}, {"pm.max_requests", "1000"}},
	"large": {{"pm", "static"}, {"pm.max_children", "50"}, {"pm.max_requests", "10000"}},
}

// pairedDirectives are the pool flags that set more than the directive
// the catalog gives them, each with what it sets from the flag's value,
// the pool and the backend's own config. This is the one place a flag sets
// two directives: --slowlog sets request_slowlog_timeout and a slow log
// path that poolvisor chooses, never the user (slowlog_flag.go).
var pairedDirectives = map[string]func(b *Backend, pool, value string) ([]setting, error){
	catalog.SlowlogFlag.Name: slowlogSettings,
}

// requested returns the directives an operation's flags set, in the order
// they apply: --preset, then the named flags, then each --set in turn, a
// later one overriding an earlier one for the same directive.
func (b *Backend) requested(op ops.Operation) ([]setting, error) {
	var out []setting
	if p, ok := op.Get("preset"); ok {
		s, ok := presets[p]
		if !ok {
			return nil, ops.InvalidField("preset", "unknown preset %q: use small, medium or large", p)
		}
		out = append(out, s...)
	}
	for _, f := range flagDirectives {
		v, ok := op.Get(f.Name)
		if !ok {
			continue
		}
		if pair, ok := pairedDirectives[f.Name]; ok {
			s, err := pair(b, op.Target, v)
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
			continue
		}
		out = append(out, setting{f.Key, v})
	}
	for _, kv := range op.All(catalog.Set) {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, ops.InvalidField(catalog.Set, "--set takes KEY=VALUE, like --set php_admin_value[memory_limit]=256M; got %q", kv)
		}
		if err := checkKnownKey(k); err != nil {
			return nil, ops.WithField(err, catalog.Set)
		}
		out = append(out, setting{k, v})
	}
	return out, nil
}

// createDefaults returns the directives a new pool gets before its flags
// apply: user and group from the config, a socket in the socket dir owned
// by them, and a small dynamic process manager.
func (b *Backend) createDefaults(name string, req []setting) []setting {
	final := map[string]string{}
	for _, s := range req {
		final[s.key] = s.value
	}
	get := func(k, def string) string {
		if v, ok := final[k]; ok {
			return v
		}
		return def
	}
	user, group := get("user", b.cfg.DefaultUser), get("group", b.cfg.DefaultGroup)
	out := []setting{
		{"user", user}, {"group", group},
		{"listen", fmt.Sprintf("%s/php%s-%s-fpm.sock", strings.TrimRight(b.cfg.SocketDir, "/"), b.cfg.Version, name)},
		{"listen.owner", user}, {"listen.group", group}, {"listen.mode", "0660"},
		{"pm", "dynamic"},
		{"pm.max_children", "5"},
	}
	switch get("pm", "dynamic") {
	case "dynamic":
		out = append(out, setting{"pm.start_servers", "2"}, setting{"pm.min_spare_servers", "1"}, setting{"pm.max_spare_servers", "3"})
	case "ondemand":
		out = append(out, setting{"pm.process_idle_timeout", "10s"})
	}
	return append(out, setting{"pm.max_requests", "500"})
}

// editDistance is the Levenshtein distance of a and b, for suggestions.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
