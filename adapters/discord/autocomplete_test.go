package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// oneHost is a Runner of a single host; fleet adds the hub's hosts.
type oneHost struct{}

func (oneHost) Run(context.Context, ops.Actor, string) ops.Result { return ops.Result{} }
func (oneHost) Execute(context.Context, ops.Actor, ops.Operation) ops.Result {
	return ops.Result{}
}
func (oneHost) Host() string { return "web-01" }

type fleet struct {
	oneHost
	hosts []string
}

func (f fleet) Hosts(context.Context) []string { return f.hosts }

var _ Fleet = fleet{}

func TestHostAutocomplete(t *testing.T) {
	many := []string{"db-01", "web-01", "web-02", "edge-web"}
	for i := 0; i < 30; i++ {
		many = append(many, fmt.Sprintf("web-%02d", i+10))
	}
	for _, tc := range []struct {
		name  string
		run   Runner
		typed string
		want  []string
	}{
		{"one host", oneHost{}, "", []string{"web-01"}},
		{"one host, typed another", oneHost{}, "db", []string{}},
		{"fleet, prefix first", fleet{hosts: []string{"edge-web", "db-01", "web-01", "web-02"}}, "web", []string{"web-01", "web-02", "edge-web"}},
		{"fleet, at most 25", fleet{hosts: many}, "web", append([]string{"web-01", "web-02"}, func() []string {
			var out []string
			for i := 0; i < 23; i++ {
				out = append(out, fmt.Sprintf("web-%02d", i+10))
			}
			return out
		}()...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New(Config{Mode: ModeGateway}, tc.run, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			var in discordgo.Interaction
			raw := discordfake.Body(discordfake.Command(discordfake.TypeAutocomplete, appID, guild, channel, vic, "supervisor",
				[]string{"restart"}, discordfake.Opt{Name: "program", Value: "w"}, discordfake.Opt{Name: "host", Value: tc.typed, Focused: true}))
			if err := json.Unmarshal(raw, &in); err != nil {
				t.Fatal(err)
			}
			resp := a.autocomplete(context.Background(), &in)
			got := []string{}
			for _, c := range resp.Data.(choicesData).Choices {
				got = append(got, c.Name)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("choices %v, want %v", got, tc.want)
			}
		})
	}
}

// recorder is a Runner that records the text it is asked to run.
type recorder struct {
	oneHost
	texts chan string
}

func (r recorder) Run(_ context.Context, _ ops.Actor, text string) ops.Result {
	r.texts <- text
	return ops.Result{}
}

// TestNamesComeFromTheNamedHost: with a host given, the pools or programs
// offered are that host's.
func TestNamesComeFromTheNamedHost(t *testing.T) {
	r := recorder{texts: make(chan string, 4)}
	a, err := New(Config{Mode: ModeGateway}, r, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		top, want string
		path      []string
		opts      []discordfake.Opt
	}{
		{"supervisor", "supervisor status --host web-02", []string{"restart"},
			[]discordfake.Opt{{Name: "host", Value: "web-02"}, {Name: "program", Value: "q", Focused: true}}},
		{"fpm", "fpm pools", []string{"pool", "show"}, []discordfake.Opt{{Name: "name", Value: "", Focused: true}}},
		{"fpm", "fpm pools --php 7.4", []string{"pool", "edit"},
			[]discordfake.Opt{{Name: "php", Value: "7.4"}, {Name: "name", Value: "w", Focused: true}}},
		{"fpm", "fpm pools --host web-02", []string{"reload"},
			[]discordfake.Opt{{Name: "host", Value: "web-02"}, {Name: "php", Value: "", Focused: true}}},
	} {
		var in discordgo.Interaction
		raw := discordfake.Body(discordfake.Command(discordfake.TypeAutocomplete, appID, guild, channel, vic, tc.top, tc.path, tc.opts...))
		if err := json.Unmarshal(raw, &in); err != nil {
			t.Fatal(err)
		}
		a.autocomplete(context.Background(), &in)
		if got := <-r.texts; got != tc.want {
			t.Errorf("listed with %q, want %q", got, tc.want)
		}
	}
}

// instances is a Runner whose host runs PHP 7.4 and 8.3, both with www.
type instances struct{ oneHost }

func (instances) Run(context.Context, ops.Actor, string) ops.Result {
	return ops.Result{Status: ops.StatusOK, Operation: "fpm.pool.list", Data: ops.PoolList{
		Pools:     []ops.Pool{{PHP: "7.4", Name: "www"}, {PHP: "7.4", Name: "legacy"}, {PHP: "8.3", Name: "www"}},
		Instances: []string{"7.4", "8.3"},
	}}
}

// TestPHPAutocomplete: --php offers the host's instances, and pool names
// that repeat across instances are offered once.
func TestPHPAutocomplete(t *testing.T) {
	a, err := New(Config{Mode: ModeGateway}, instances{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		focused string
		want    []string
	}{{"php", []string{"7.4", "8.3"}}, {"name", []string{"www", "legacy"}}} {
		var in discordgo.Interaction
		raw := discordfake.Body(discordfake.Command(discordfake.TypeAutocomplete, appID, guild, channel, vic, "fpm", []string{"pool", "show"},
			discordfake.Opt{Name: tc.focused, Value: "", Focused: true}))
		if err := json.Unmarshal(raw, &in); err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, c := range a.autocomplete(context.Background(), &in).Data.(choicesData).Choices {
			got = append(got, c.Name)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: choices %v, want %v", tc.focused, got, tc.want)
		}
	}
}
