package command

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		text string
		want ops.Operation
	}{
		{"status", "/supervisor status", ops.Operation{Name: "supervisor.program.list"}},
		{"status without slash", "supervisor status", ops.Operation{Name: "supervisor.program.list"}},
		{"list alias with group", "/supervisor list queue:*", ops.Operation{Name: "supervisor.program.list", Target: "queue:*"}},
		{"pools", "/fpm pools", ops.Operation{Name: "fpm.pool.list"}},
		{"pool list alias", "/fpm pool list", ops.Operation{Name: "fpm.pool.list"}},
		{"restart all", "/supervisor restart all", ops.Operation{Name: "supervisor.program.restart", Target: "all"}},
		{"restart group process", "supervisor restart queue:queue_01", ops.Operation{Name: "supervisor.program.restart", Target: "queue:queue_01"}},
		{"add with quoted command", `/supervisor add worker --command "/usr/bin/php artisan queue:work --tries=3" --numprocs 2`,
			ops.Operation{Name: "supervisor.program.add", Target: "worker", Args: []ops.Arg{
				{Key: "command", Value: "/usr/bin/php artisan queue:work --tries=3"}, {Key: "numprocs", Value: "2"}}}},
		{"single quotes keep everything", `supervisor add w --command 'echo "$HOME" \n'`,
			ops.Operation{Name: "supervisor.program.add", Target: "w", Args: []ops.Arg{{Key: "command", Value: `echo "$HOME" \n`}}}},
		{"flag=value and repeatable set", "fpm pool edit api --pm=static --set php_admin_value[memory_limit]=256M --set catch_workers_output=yes",
			ops.Operation{Name: "fpm.pool.edit", Target: "api", Args: []ops.Arg{{Key: "pm", Value: "static"},
				{Key: "set", Value: "php_admin_value[memory_limit]=256M"}, {Key: "set", Value: "catch_workers_output=yes"}}}},
		{"plan and host", "supervisor stop web --plan --host web-01", ops.Operation{Name: "supervisor.program.stop", Target: "web", DryRun: true, Host: "web-01"}},
		{"logs", "supervisor logs web --stderr --bytes 100", ops.Operation{Name: "supervisor.program.logs", Target: "web",
			Args: []ops.Arg{{Key: "stderr", Value: "true"}, {Key: "bytes", Value: "100"}}}},
		{"xmlrpc show", "supervisor xmlrpc", ops.Operation{Name: "supervisor.xmlrpc.show"}},
		{"xmlrpc disable", "supervisor xmlrpc disable", ops.Operation{Name: "supervisor.xmlrpc.set", Args: []ops.Arg{{Key: "action", Value: "disable"}}}},
		{"events", "supervisor events enable", ops.Operation{Name: "supervisor.events.manage", Target: "enable"}},
		{"approve", "ops approve abc234", ops.Operation{Name: "ops.approve", Target: "abc234", Args: []ops.Arg{{Key: "decision", Value: "approve"}}}},
		{"deny with reason", "ops deny abc234 not during the sale", ops.Operation{Name: "ops.approve", Target: "abc234",
			Args: []ops.Arg{{Key: "decision", Value: "deny"}, {Key: "reason", Value: "not during the sale"}}}},
		{"audit n", "/ops audit 5", ops.Operation{Name: "ops.audit", Target: "5"}},
		{"rollback version", "supervisor rollback web 3", ops.Operation{Name: "supervisor.program.rollback", Target: "web", Args: []ops.Arg{{Key: "version", Value: "3"}}}},
		{"fpm help", "/fpm help", ops.Operation{Name: "ops.help", Args: []ops.Arg{{Key: "topic", Value: "fpm"}}}},
		{"tune", "fpm tune --budget-mb 4096", ops.Operation{Name: "fpm.tune", Args: []ops.Arg{{Key: "budget-mb", Value: "4096"}}}},
		{"tune apply is its write", "fpm tune api --apply --budget-mb 512 --plan", ops.Operation{Name: "fpm.tune.apply", Target: "api", DryRun: true,
			Args: []ops.Arg{{Key: "budget-mb", Value: "512"}}}},
		{"workers", "fpm workers api", ops.Operation{Name: "fpm.pool.workers", Target: "api"}},
		{"php on a list", "/fpm pools --php 7.4", ops.Operation{Name: "fpm.pool.list", Args: []ops.Arg{{Key: "php", Value: "7.4"}}}},
		{"php on a write", "fpm pool edit api --php=legacy --pm static", ops.Operation{Name: "fpm.pool.edit", Target: "api",
			Args: []ops.Arg{{Key: "php", Value: "legacy"}, {Key: "pm", Value: "static"}}}},
		{"php on reload", "fpm reload --php 8.3 --plan", ops.Operation{Name: "fpm.service.reload", DryRun: true, Args: []ops.Arg{{Key: "php", Value: "8.3"}}}},
		{"php on rollback", "fpm pool rollback www 2 --php 8.3", ops.Operation{Name: "fpm.pool.rollback", Target: "www",
			Args: []ops.Arg{{Key: "php", Value: "8.3"}, {Key: "version", Value: "2"}}}},
		{"value with semicolon stays one word", `supervisor edit w --set "environment=A=1;B=2"`,
			ops.Operation{Name: "supervisor.program.edit", Target: "w", Args: []ops.Arg{{Key: "set", Value: "environment=A=1;B=2"}}}},
		{"value that looks like a flag", `supervisor add w --command --help`,
			ops.Operation{Name: "supervisor.program.add", Target: "w", Args: []ops.Arg{{Key: "command", Value: "--help"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parser{}.Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name, text, wantMsg string
	}{
		{"empty", "   ", "empty command"},
		{"unknown top", "/deploy prod", "commands start with /fpm, /supervisor or /ops"},
		{"unknown verb with hint", "/supervisor restrat web", "did you mean /supervisor restart"},
		{"bare top", "/supervisor", "needs a subcommand"},
		{"unknown flag", "/supervisor start web --force", "does not take --force"},
		{"plan on a read", "/supervisor status --plan", "does not take --plan"},
		{"plan on advice without --apply", "/fpm tune --plan", "--plan goes with --apply"},
		{"php on supervisor", "/supervisor status --php 8.3", "does not take --php"},
		{"php twice", "/fpm pools --php 8.3 --php 7.4", "--php is given twice"},
		{"host twice", "/supervisor restart web --host web-01 --host all", "--host is given twice"},
		{"php not a name", "/fpm pools --php ../x", "--php must name a PHP-FPM instance"},
		{"missing name", "/supervisor start", "missing NAME|GROUP:*|all"},
		{"extra word", "/supervisor start web now", `unexpected "now"`},
		{"flag without value", "/supervisor logs web --bytes", "--bytes needs a value"},
		{"non-numeric", "/supervisor logs web --bytes lots", "--bytes must be a whole number"},
		{"bad choice", "/fpm pool create api --pm turbo", "--pm must be one of static, dynamic, ondemand"},
		{"bad name", "/supervisor show ../etc/passwd", "is not a valid name"},
		{"name with colon for a program", "/supervisor show a:b", "is not a valid name"},
		{"name too long", "/supervisor show " + strings.Repeat("a", 65), "is not a valid name"},
		{"name starting with dash", "/fpm pool show -x", "is not a valid name"},
		{"newline", "/supervisor add w --command \"a\nb\"", "line breaks are not allowed"},
		{"section header smuggled", "/supervisor add w --command \"x\n[program:evil]\"", "line breaks are not allowed"},
		{"carriage return", "/supervisor add w --command \"a\rb\"", "line breaks are not allowed"},
		{"NUL", "/supervisor add w --command \"a\x00b\"", "NUL bytes are not allowed"},
		{"escape char", "/supervisor add w --command \"a\x1bb\"", "control character"},
		{"invalid utf-8", "/supervisor add w --command \"a\xffb\"", "not valid UTF-8"},
		{"unterminated quote", `/supervisor add w --command "php`, "unterminated double quote"},
		{"huge", "/supervisor add w --command " + strings.Repeat("x", 20000), "the limit is"},
		{"set without equals", "/supervisor edit w --set foo", "takes KEY=VALUE"},
		{"flag twice", "/supervisor add w --command a --command b", "given twice"},
		{"json inside text", "/supervisor status --json", "--json is an option of `poolvisor exec`"},
		{"bad approval id", "/ops approve ../../x", "is not an approval ID"},
		{"audit zero", "/ops audit 0", "at least 1"},
		{"bad host", "/supervisor status --host 'a b'", "--host must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parser{}.Parse(tt.text)
			var e *ops.Error
			if !errors.As(err, &e) || e.Status != ops.StatusInvalid {
				t.Fatalf("Parse(%q) = %v, want an invalid error", tt.text, err)
			}
			if !strings.Contains(e.Msg, tt.wantMsg) {
				t.Errorf("Parse(%q) message %q, want it to contain %q", tt.text, e.Msg, tt.wantMsg)
			}
		})
	}
}

// Every operation of the catalog is reachable from the grammar.
func TestGrammarCoversCatalog(t *testing.T) {
	reached := map[string]bool{}
	for _, sp := range std().commands {
		if !ops.Known(sp.Op) {
			t.Errorf("%s maps to unknown operation %s", sp.Usage, sp.Op)
		}
		reached[sp.Op] = true
		if sp.ApplyOp != "" {
			reached[sp.ApplyOp] = true
		}
	}
	for _, name := range ops.Names() {
		if !reached[name] {
			t.Errorf("operation %s has no command", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"/supervisor status", `supervisor add w --command "php a" --set x=1`, "ops deny a b c", "'", `"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		op, err := Parser{}.Parse(text)
		if err != nil {
			var e *ops.Error
			if !errors.As(err, &e) || e.Status != ops.StatusInvalid {
				t.Fatalf("Parse(%q) error %v is not an invalid ops.Error", text, err)
			}
			return
		}
		for _, a := range append(op.Args, ops.Arg{Value: op.Target}) {
			if strings.ContainsAny(a.Value, "\r\n\x00") {
				t.Fatalf("Parse(%q) let a line break or NUL through: %q", text, a.Value)
			}
		}
	})
}

func TestHelpNamesInstanceFlag(t *testing.T) {
	for _, tt := range []struct {
		topic string
		want  bool
	}{{"fpm", true}, {"", true}, {"supervisor", false}} {
		op := ops.Operation{Name: "ops.help"}
		if tt.topic != "" {
			op.Args = []ops.Arg{{Key: "topic", Value: tt.topic}}
		}
		plan, err := Help(allowAll{}).Plan(context.Background(), ops.Request{Op: op})
		if err != nil {
			t.Fatal(err)
		}
		out, err := plan.Apply(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(out.Message, "--php NAME"); got != tt.want {
			t.Errorf("help %q mentions --php: %v, want %v\n%s", tt.topic, got, tt.want, out.Message)
		}
	}
}

type allowAll struct{}

func (allowAll) Allowed(ops.Actor, string) bool { return true }
func (allowAll) Roles(ops.Actor) []string       { return nil }
func (allowAll) Person(ops.Actor) string        { return "" }
func (allowAll) SamePerson(a, b ops.Actor) bool { return a.Same(b) }
