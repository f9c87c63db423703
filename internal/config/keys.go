package config

import (
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/alert"
	"github.com/poolvisor/poolvisor/internal/catalog"
)

var (
	configType   = reflect.TypeFor[Config]()
	durationType = reflect.TypeFor[time.Duration]()
)

// leaf is one settable key: a field that is not a nested section. Free-form
// maps and lists of structs are leaves too; they are set as a whole.
type leaf struct {
	key   string // dotted path, like "approvals.ttl"
	index []int  // field index path from Config
	typ   reflect.Type
}

// keyName returns the config key of a struct field.
func keyName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
	return name
}

// isSection reports whether t is a nested section of keys rather than a value.
func isSection(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t != durationType
}

// leaves lists every settable key of Config, in field order.
func leaves() []leaf {
	var out []leaf
	var walk func(t reflect.Type, prefix string, index []int)
	walk = func(t reflect.Type, prefix string, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			key := prefix + keyName(f)
			idx := append(append([]int(nil), index...), i)
			if isSection(f.Type) {
				walk(f.Type, key+".", idx)
				continue
			}
			out = append(out, leaf{key: key, index: idx, typ: f.Type})
		}
	}
	walk(configType, "", nil)
	return out
}

// envName returns the environment variable that overrides key.
func envName(key string) string {
	return "POOLVISOR_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// field returns the struct field of section t whose key is name: its own
// field, or for a key its remain field collects (a binding's platform
// lists, see remainKeys), a field of the map's element type.
func field(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); keyName(f) == name && !isRemain(f) {
			return f, true
		}
	}
	for i := range t.NumField() {
		if f := t.Field(i); isRemain(f) && remainKeys[t] != nil && slices.Contains(remainKeys[t](), name) {
			return reflect.StructField{Name: name, Type: f.Type.Elem()}, true
		}
	}
	return reflect.StructField{}, false
}

// isRemain reports whether f collects a section's other keys.
func isRemain(f reflect.StructField) bool {
	_, opts, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
	return opts == "remain"
}

// remainKeys are the keys a section's remain field may collect.
var remainKeys = map[reflect.Type]func() []string{reflect.TypeFor[Binding](): bindingKeys}

// defaultRoles are SPEC §5's roles. A file that sets rbac.roles replaces
// them as a whole.
func defaultRoles() map[string][]string {
	return map[string][]string{
		"viewer": {
			"fpm.pool.list", "fpm.pool.show", "fpm.service.status", "fpm.tune", "fpm.opcache.status", "fpm.pool.workers",
			"supervisor.program.list", "supervisor.program.show", "supervisor.program.logs",
			"supervisor.service.reread", "supervisor.service.status", "supervisor.xmlrpc.show",
			"supervisor.program.history", "fpm.pool.history", "fpm.pool.slowlog",
			"ops.help", "ops.whoami", "ops.approvals", "ops.audit", "ops.hosts", "ops.grants", "ops.maintenance.list",
		},
		"operator": {
			"viewer", "fpm.service.reload", "fpm.opcache.reset", "supervisor.program.start",
			"supervisor.program.stop", "supervisor.program.restart", "supervisor.program.signal", "supervisor.service.update",
			"ops.cancel", "ops.maintenance", "ops.mute",
		},
		"admin": {"*"},
	}
}

// defaults returns the configuration that applies when nothing is set.
// default_host is derived later, from the effective host.
func defaults(hostname string) Config {
	return Config{
		Host:    hostname,
		Log:     Log{Level: "info", Format: "text"},
		DataDir: "/var/lib/poolvisor",
		Listen:  "127.0.0.1:8080",
		Mode:    "standalone",
		PHPFPM:  defaultPHPFPM(),
		Supervisor: Supervisor{
			Enabled:    true,
			URL:        "unix:///var/run/supervisor.sock",
			ConfigFile: "/etc/supervisor/supervisord.conf",
			ProgramDir: "/etc/supervisor/conf.d",
			LogDir:     "/var/log/supervisor",
			Check:      "required",
			Writable:   []string{},
		},
		Slack:      Slack{Mode: "socket"},
		Discord:    Discord{Mode: "gateway", GuildIDs: []string{}},
		Mattermost: Mattermost{Mode: "http"},
		Local:      Local{Socket: DefaultSocket},
		RBAC:       RBAC{Roles: defaultRoles(), Bindings: []Binding{}, People: map[string]Person{}, MaxGrant: 24 * time.Hour, GrantReminder: 5 * time.Minute},
		Approvals: Approvals{
			Required:            catalog.DefaultApprovals(),
			ApproverRoles:       []string{"admin"},
			TTL:                 15 * time.Minute,
			MaxPendingPerPerson: 10,
			Retention:           30 * 24 * time.Hour,
		},
		Policy:  Policy{ProgramUsers: []string{"www-data"}, WritableDirs: []string{}, FPMTCP: "loopback"},
		History: History{Keep: 50},
		Audit:   Audit{Retention: 365 * 24 * time.Hour},
		Alerts: Alerts{Enabled: true, States: []string{"FATAL", "BACKOFF"}, UnexpectedExit: true,
			FlapWindow: 10 * time.Minute, Mute: []string{},
			StableAfter: alert.DefaultStableAfter, UpdateInterval: alert.DefaultUpdateEvery,
			MaxPosts: alert.DefaultMaxPosts, PostWindow: alert.DefaultPostWindow, PoolInterval: alert.DefaultPoolInterval},
		Maintenance: Maintenance{MaxDuration: DefaultMaxMaintenance, Windows: []MaintenanceWindow{}},
		NATS:        NATS{URL: "nats://127.0.0.1:4222"},
		Fleet:       Fleet{RequestTimeout: 2 * time.Second},
		HostGroups:  map[string][]string{},
		Channels:    map[string]string{},
	}
}
