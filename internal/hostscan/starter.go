package hostscan

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// This file turns a scanned layout into the text of a starting config. It
// is written as text, not marshalled, so that every key carries a comment
// saying where its value came from, and the chat credentials can stand
// there commented out.

// localUserRE is the local user names rbac.bindings accepts
// (internal/config/rbac.go).
var localUserRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$`) })

// StarterConfig returns the YAML text of a config for layout l with admin
// as the admin's local user, and the problems of the layout that poolvisor
// itself cannot handle yet (they add to l.Problems).
func StarterConfig(l Layout, admin string) (string, []Problem) {
	var b strings.Builder
	var warn []Problem
	b.WriteString(`# poolvisor configuration written by "poolvisor init" from this host's layout.
# Check it with:  poolvisor check-config --config FILE
# configs/poolvisor.example.yaml describes every key; those left out keep their defaults.

data_dir: /var/lib/poolvisor          # approvals, audit log, history of every file poolvisor writes
listen: 127.0.0.1:8080                # /healthz, /metrics, and Slack or Discord in http mode

`)
	warn = append(warn, writePHP(&b, l.PHP)...)
	b.WriteString("\n")
	warn = append(warn, writeSupervisor(&b, l.Supervisor)...)
	b.WriteString(`
slack:
  enabled: false                      # set true once the tokens below are in place
  mode: socket                        # socket: an outbound websocket, no public URL needed
  # bot_token_file: /etc/poolvisor/slack-bot-token   # xoxb-... token, in a file of mode 0600
  # app_token_file: /etc/poolvisor/slack-app-token   # xapp-... token (socket mode)
  # notify_channel: C0123ABCDEF       # channel ID for alerts and approval requests

discord:
  enabled: false                      # set true once the token below is in place
  mode: gateway                       # gateway: an outbound websocket, no public URL needed
  # bot_token_file: /etc/poolvisor/discord-bot-token # bot token, in a file of mode 0600
  # application_id: "123456789012345678"
  # notify_channel_id: "123456789012345678"

rbac:
  bindings:                           # who may do what, by immutable ID; add slack_users and discord_users
    - role: admin
`)
	if localUserRE().MatchString(admin) {
		b.WriteString(commented("      local_users: ["+q(admin)+"]", "who ran poolvisor init"))
	} else {
		b.WriteString(commented("      local_users: []", fmt.Sprintf("%q (who ran poolvisor init) is no user name rbac accepts", admin)))
		warn = append(warn, Problem{What: fmt.Sprintf("the user running init, %q, cannot be bound to a role", admin),
			Fix: "add a local user name under rbac.bindings' local_users"})
	}
	writePolicy(&b, l)
	return b.String(), warn
}

func writePHP(b *strings.Builder, ins []PHPInstall) []Problem {
	var warn []Problem
	for _, in := range ins {
		if in.PoolExt != ".conf" && in.PoolExt != "" {
			warn = append(warn, Problem{
				What: fmt.Sprintf("php-fpm %s includes %s, but poolvisor writes new pools as <name>.conf", in.Name, strings.Join(in.Includes, " ")),
				Fix:  fmt.Sprintf("add include=%s/*.conf to %s", in.PoolDir, in.MainConfig)})
		}
	}
	switch len(ins) {
	case 0:
		b.WriteString("phpfpm:\n  enabled: false                      # no PHP-FPM found on this host\n")
	case 1:
		b.WriteString("phpfpm:\n  enabled: true\n")
		writeInstance(b, ins[0], "  ", false)
	default:
		b.WriteString("phpfpm:\n  enabled: true\n  instances:                          # every PHP-FPM installed here; /fpm commands take --php NAME\n")
		for _, in := range ins {
			writeInstance(b, in, "      ", true)
		}
		b.WriteString(commented("  default_instance: "+q(defaultInstance(ins)), "the newest; what /fpm commands without --php concern"))
	}
	return warn
}

// writeInstance writes one installation's keys, indented by ind; as a list
// item (with name) when item.
func writeInstance(b *strings.Builder, in PHPInstall, ind string, item bool) {
	key := func(k, v, comment string) {
		b.WriteString(commented(ind+k+": "+v, comment))
	}
	if item {
		fmt.Fprintf(b, "%s- name: %s\n", ind[:len(ind)-2], q(in.Name))
	}
	version := in.Version
	if version == "" {
		version = "auto"
	}
	key("version", q(version), in.Flavor+" package")
	key("binary", q(in.Binary), "")
	key("main_config", q(in.MainConfig), "")
	if in.PoolDir != "" {
		key("pool_dir", q(in.PoolDir), "pools: "+poolNames(in.Pools))
	}
	key("socket_dir", q(in.SocketDir), "")
	if in.LogDir != "" {
		key("log_dir", q(in.LogDir), "where its pools log now")
	}
	if slices.ContainsFunc(in.Pools, func(p Pool) bool { return p.Name == "www" }) {
		key("protected_pools", "[www]", "the package's own pool stays as it is")
	} else {
		key("protected_pools", "[]", "no www pool here to protect")
	}
	if in.DefaultUser != "" {
		key("defaults", fmt.Sprintf("{user: %s, group: %s}", q(in.DefaultUser), q(in.DefaultGroup)), "what the existing pools run as")
	}
	b.WriteString(ind + "service:\n")
	in2 := ind + "  "
	s := in.Service
	switch s.Mode {
	case "systemd":
		b.WriteString(commented(in2+"mode: systemd", ""))
		b.WriteString(commented(in2+"unit: "+q(s.Unit), ""))
	case "signal":
		why := "no systemd unit"
		if s.Unit != "" {
			why = "systemd does not run this host"
		}
		b.WriteString(commented(in2+"mode: signal", why))
		b.WriteString(commented(in2+"pid_file: "+q(s.PIDFile), "the master's pid, from "+pidSource(in)))
	default:
		b.WriteString(commented(in2+"mode: signal", "no unit and no pid file found: see init's problems"))
		b.WriteString(commented(in2+"pid_file: auto", "set the pid file php-fpm writes"))
	}
}

// commentColumn is where comments start, as in configs/poolvisor.example.yaml.
const commentColumn = 38

// commented returns line with comment (if any) at commentColumn, and a
// line break.
func commented(line, comment string) string {
	if comment == "" {
		return line + "\n"
	}
	pad := max(commentColumn-len(line), 1)
	return line + strings.Repeat(" ", pad) + "# " + comment + "\n"
}

// pidSource says where the pid file's name came from.
func pidSource(in PHPInstall) string {
	if in.Service.PIDFileFrom != "" {
		return in.Service.PIDFileFrom
	}
	return in.MainConfig
}

// defaultInstance is the newest version's instance.
func defaultInstance(ins []PHPInstall) string {
	best := ins[0]
	for _, in := range ins[1:] {
		if in.Version != "" && (best.Version == "" || newerVersion(in.Version, best.Version)) {
			best = in
		}
	}
	return best.Name
}

func newerVersion(a, b string) bool {
	var am, an, bm, bn int
	fmt.Sscanf(a, "%d.%d", &am, &an)
	fmt.Sscanf(b, "%d.%d", &bm, &bn)
	return am > bm || am == bm && an > bn
}

func poolNames(pools []Pool) string {
	if len(pools) == 0 {
		return "none yet"
	}
	names := make([]string, len(pools))
	for i, p := range pools {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

func writeSupervisor(b *strings.Builder, s *Supervisor) []Problem {
	if s == nil {
		b.WriteString("supervisor:\n  enabled: false                      # no supervisord config found on this host\n")
		return nil
	}
	if s.URL == "" {
		b.WriteString("supervisor:\n" + commented("  enabled: false", "its config starts no XML-RPC server: see init's problems"))
		b.WriteString(commented("  config_file: "+q(s.ConfigFile), ""))
		return nil
	}
	var warn []Problem
	b.WriteString("supervisor:\n  enabled: true\n")
	b.WriteString(commented("  url: "+q(s.URL), "from "+s.ConfigFile))
	if s.Username != "" {
		fmt.Fprintf(b, "  username: %s\n", q(s.Username))
	}
	if s.HasPassword {
		b.WriteString("  # password_file: /etc/poolvisor/supervisor-password # supervisord asks for a password: put it in this file (mode 0600)\n")
		warn = append(warn, Problem{What: "supervisord's XML-RPC server asks for a password (init never copies it)",
			Fix: "write it to /etc/poolvisor/supervisor-password (mode 0600) and uncomment supervisor.password_file"})
	}
	b.WriteString(commented("  config_file: "+q(s.ConfigFile), "found by "+s.FoundBy))
	if s.ProgramDir != "" {
		// New programs get the extension the include expects (.ini on RHEL).
		b.WriteString(commented("  program_dir: "+q(s.ProgramDir), "its [include] "+s.ProgramDir+"/*"+s.ProgramExt))
	}
	if s.LogDir != "" {
		fmt.Fprintf(b, "  log_dir: %s\n", q(s.LogDir))
	}
	return warn
}

// writePolicy lists the users the existing programs run as, the most
// common first (new programs run as the first), so that they can be edited
// without widening the policy; root stays out unless the admin adds it.
func writePolicy(b *strings.Builder, l Layout) {
	if l.Supervisor == nil {
		return
	}
	var users, root []string
	count := map[string]int{}
	for _, f := range l.Supervisor.Files {
		for _, p := range f.Programs {
			switch {
			case p.User == "root":
				root = append(root, p.Name)
			case p.User != "" && localUserRE().MatchString(p.User):
				if count[p.User] == 0 {
					users = append(users, p.User)
				}
				count[p.User]++
			}
		}
	}
	rootNote := ""
	if len(root) > 0 {
		rootNote = "  # root is left out: " + strings.Join(root, ", ") + " run as root and stay controllable, but edits to them are refused unless root is listed\n"
	}
	if len(users) == 0 {
		if rootNote != "" {
			b.WriteString("\n# policy.program_users keeps its default, [www-data].\n" + strings.TrimPrefix(rootNote, "  "))
		}
		return
	}
	slices.SortStableFunc(users, func(a, b string) int { return count[b] - count[a] })
	quoted := make([]string, len(users))
	for i, u := range users {
		quoted[i] = q(u)
	}
	b.WriteString("\npolicy:\n" + commented("  program_users: ["+strings.Join(quoted, ", ")+"]", "what the programs found run as; a new program runs as the first"))
	b.WriteString(rootNote)
}

// q renders s as a YAML scalar, quoted when plain text would read as
// something else ("8.2" as a number, a path with ": " as a map).
func q(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	return strings.TrimSuffix(string(out), "\n")
}
