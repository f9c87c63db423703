package discord

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// TestTreeMatchesGrammar parses every subcommand, with every option given,
// with the text grammar: each must name the operation the tree says.
func TestTreeMatchesGrammar(t *testing.T) {
	for _, top := range topLevel {
		for _, sc := range tree[top] {
			t.Run(top+" "+strings.Join(sc.Path, " "), func(t *testing.T) {
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
					if o.Name == "id" {
						v = "k3x9pq"
					}
					if o.Name == "set" {
						v = "a=1; b=2 3"
					}
					if o.Name == "plan" && ops.KindOf(sc.Op) != ops.Write {
						continue
					}
					given = append(given, optionValue{Name: o.Name, Value: v})
				}
				text, ok := commandText(top, sc.Path, given)
				if !ok {
					t.Fatal("no text")
				}
				op, err := command.Parser{}.Parse(text)
				if err != nil {
					t.Fatalf("%q: %v", text, err)
				}
				if op.Name != sc.Op {
					t.Errorf("%q parses as %s, want %s", text, op.Name, sc.Op)
				}
			})
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
