package discord

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// everyOption gives every option of sc a valid value.
func everyOption(sc subcommand) []optionValue {
	var given []optionValue
	for _, o := range sc.Opts {
		var v any = "web"
		switch o.Kind {
		case optInt:
			v = 3.0
		case optBool, optBoolV:
			v = true
		case optChoice:
			v = o.Choices[0]
		}
		switch {
		case o.Name == "id":
			v = "k3x9pq"
		case o.Name == "host":
			v = "web-02"
		case o.Name == "settle", o.Name == "since", o.Name == "duration": // durations
			v = "5s"
		case isSetOpt(o.Name):
			v = o.Name + ".key=a;b c"
		case o.Name == "plan" && ops.KindOf(sc.Op) != ops.Write && sc.ApplyOp == "":
			continue
		}
		given = append(given, optionValue{Name: o.Name, Value: v})
	}
	return given
}

// TestTreeMatchesGrammar parses every subcommand, with every option given,
// with the text grammar: each must name the operation the tree says, the
// host it names, and every --set whole.
func TestTreeMatchesGrammar(t *testing.T) {
	for _, top := range topLevel {
		for _, sc := range tree()[top] {
			t.Run(top+" "+strings.Join(sc.Path, " "), func(t *testing.T) {
				text, ok := commandText(top, sc.Path, everyOption(sc))
				if !ok {
					t.Fatal("no text")
				}
				op, err := command.Parser{}.Parse(text)
				if err != nil {
					t.Fatalf("%q: %v", text, err)
				}
				if want := sc.opOf(everyOption(sc)); op.Name != want || op.Host != "web-02" {
					t.Errorf("%q parses as %s on %q, want %s on web-02", text, op.Name, op.Host, want)
				}
				var sets []string
				for _, a := range op.Args {
					if a.Key == "set" {
						sets = append(sets, a.Value)
					}
				}
				if hasSet := slices.ContainsFunc(sc.Opts, func(o option) bool { return o.Name == "set" }); hasSet &&
					strings.Join(sets, "|") != "set.key=a;b c|set2.key=a;b c|set3.key=a;b c" {
					t.Errorf("%q: --set values %q", text, sets)
				}
			})
		}
	}
}

// TestSetWhereverTheGrammarTakesIt: a subcommand has the set options
// exactly when its grammar command takes --set.
func TestSetWhereverTheGrammarTakesIt(t *testing.T) {
	for _, top := range topLevel {
		for _, sc := range tree()[top] {
			var given []optionValue
			for _, o := range everyOption(sc) {
				if !isSetOpt(o.Name) {
					given = append(given, o)
				}
			}
			text, _ := commandText(top, sc.Path, given)
			_, err := command.Parser{}.Parse(text + " --set a=1")
			has := slices.ContainsFunc(sc.Opts, func(o option) bool { return isSetOpt(o.Name) })
			if takes := err == nil; takes != has {
				t.Errorf("/%s %s: the grammar takes --set: %t (%v); the subcommand has set options: %t",
					top, strings.Join(sc.Path, " "), takes, err, has)
			}
		}
	}
}

func TestCommandText(t *testing.T) {
	for _, tc := range []struct {
		top   string
		path  []string
		given []optionValue
		want  string
	}{
		{"supervisor", []string{"status"}, nil, "supervisor status"},
		{"supervisor", []string{"restart"}, []optionValue{{"program", "queue:*"}}, "supervisor restart queue:*"},
		{"fpm", []string{"pool", "create"}, []optionValue{{"name", "shop"}, {"pm", "dynamic"}, {"max-children", 12.0}},
			"fpm pool create shop --pm dynamic --max-children 12"},
		{"supervisor", []string{"add"}, []optionValue{{"program", "w"}, {"command", "php artisan 'queue'"}, {"autostart", false}, {"plan", true}},
			`supervisor add w --command 'php artisan '\''queue'\''' --autostart false --plan`},
		{"supervisor", []string{"xmlrpc", "show"}, nil, "supervisor xmlrpc"},
		{"ops", []string{"deny"}, []optionValue{{"id", "abc"}, {"reason", "not now"}}, "ops deny abc 'not now'"},
		{"fpm", []string{"pool", "edit"}, []optionValue{{"name", "shop"}, {"set", " php_admin_value[error_log]=/var/log/a;b.log "}, {"set2", ""}, {"host", "web-02"}},
			"fpm pool edit shop --set php_admin_value[error_log]=/var/log/a;b.log --host web-02"},
	} {
		got, ok := commandText(tc.top, tc.path, tc.given)
		if !ok || got != tc.want {
			t.Errorf("%s %v: %q, want %q", tc.top, tc.path, got, tc.want)
		}
	}
	if _, ok := commandText("supervisor", []string{"nope"}, nil); ok {
		t.Error("an unknown subcommand has a text")
	}
}

func TestDefinitionsAreValid(t *testing.T) {
	defs := Definitions()
	raw, err := json.Marshal(defs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := discordfake.ValidateCommands(raw); err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		if (d.DefaultMemberPermissions != nil) != writes(d.Name) {
			t.Errorf("/%s: default_member_permissions %v", d.Name, d.DefaultMemberPermissions)
		}
	}
	// What Discord gives back compares equal, so a restart changes nothing.
	var back []*discordgo.ApplicationCommand
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if !sameCommands(back, defs) {
		t.Error("registered commands read back compare as different")
	}
}
