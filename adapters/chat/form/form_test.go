package form_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/chat/form"
	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/catalog/catalogtest"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
)

func mustForm(t *testing.T, op, target string, l form.Layout) form.Form {
	t.Helper()
	c, ok := form.Lookup(op)
	if !ok {
		t.Fatalf("no form for %s", op)
	}
	return form.New(c, target, l)
}

func names(f form.Form) []string {
	var out []string
	for _, fl := range f.Fields {
		out = append(out, fl.Name)
	}
	return out
}

// TestFields: a form shows the catalog's flags of its layout, in the
// catalog's order, after the name of what it adds; the short layout
// holds five inputs.
func TestFields(t *testing.T) {
	tests := []struct {
		name, op, target string
		layout           form.Layout
		want             []string
	}{
		{"full add", "supervisor.program.add", "", form.Full, []string{"name", "command", "directory", "user", "autostart", "autorestart", "numprocs", "set"}},
		{"full edit", "supervisor.program.edit", "web", form.Full, []string{"command", "directory", "user", "autostart", "autorestart", "numprocs", "set"}},
		{"short add asks the name in five", "supervisor.program.add", "", form.Short, []string{"name", "command", "directory", "user", "autorestart"}},
		{"short add named already", "supervisor.program.add", "web", form.Short, []string{"command", "directory", "user", "autorestart", "set"}},
		{"short pool edit", "fpm.pool.edit", "www", form.Short, []string{"user", "listen", "pm", "max-children", "set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(mustForm(t, tt.op, tt.target, tt.layout)); !slices.Equal(got, tt.want) {
				t.Errorf("fields %v, want %v", got, tt.want)
			}
		})
	}
	if _, ok := form.Lookup("supervisor.program.delete"); ok {
		t.Error("delete has a form")
	}
	c, _ := form.LookupIn(catalogtest.Commands(), "fpm.pool.create")
	if f := form.New(c, "", form.Full); !slices.Contains(names(f), catalogtest.Flag.Name) {
		t.Errorf("a flag added to the catalog is not a field: %v", names(f))
	}
}

// TestStartingValues: a form that adds starts with the catalog's defaults
// and the host's; one that edits with the current values, each of them
// required, matched to its directive without case.
func TestStartingValues(t *testing.T) {
	add := mustForm(t, "fpm.pool.create", "", form.Full)
	add.Defaults(map[string]string{"user": "app", "pm": ""})
	if fl, _ := add.Field("pm"); fl.Value != "dynamic" {
		t.Errorf("pm starts with %q, want the catalog's dynamic", fl.Value)
	}
	if fl, _ := add.Field("user"); fl.Value != "app" || fl.Current {
		t.Errorf("user: %+v", fl)
	}
	edit := mustForm(t, "fpm.pool.edit", "www", form.Full)
	edit.Prefill(map[string]string{"PM.Max_Children": "8", "user": "www-data", "group": "", "pm": "OnDemand"})
	if got := edit.Shown().Current(); !slices.Equal(got, []string{"max-children", "pm", "user"}) {
		t.Errorf("current %v", got)
	}
	if fl, _ := edit.Field("pm"); fl.Value != "ondemand" {
		t.Errorf("a choice starts as %q, want the catalog's spelling", fl.Value)
	}
	for _, name := range []string{"user", "max-children"} {
		if fl, _ := edit.Field(name); !fl.Required || !fl.Current {
			t.Errorf("%s: %+v, want required with its current value", name, fl)
		}
	}
	if fl, _ := edit.Field("group"); fl.Required || fl.Value != "" {
		t.Errorf("an empty directive is no current value: %+v", fl)
	}
}

// TestText: submitted values become the command every other input takes,
// or errors on the fields they concern and no command.
func TestText(t *testing.T) {
	edit := mustForm(t, "fpm.pool.edit", "www", form.Full)
	edit.Host, edit.PHP = "web-02", "8.3"
	edit.Prefill(map[string]string{"user": "www-data"})
	shown := form.Base{Shown: edit.Shown(), Now: map[string]string{"user": "www-data"}}
	add := mustForm(t, "supervisor.program.add", "", form.Full)
	php := mustForm(t, "fpm.pool.create", "", form.Full)
	php.AskPHP([]string{"7.4", "8.3"}, "8.3")
	tests := []struct {
		name   string
		f      form.Form
		values map[string]string
		base   form.Base
		want   string
		errs   []string // the fields with an error
	}{
		{"edit", edit, map[string]string{"user": "www-data", "max-children": " 12 ", "pm": "STATIC", "unknown": "x"}, shown,
			"fpm pool edit www --host web-02 --php 8.3 --pm static --max-children 12", nil},
		{"emptying a current value is refused", edit, map[string]string{"user": "", "listen": ""}, shown, "", []string{"user"}},
		{"a field left out is emptied", edit, map[string]string{"listen": "/run/a.sock"}, shown, "", []string{"user"}},
		{"an empty field that was empty changes nothing", edit, map[string]string{"user": "www-data", "listen": "", "set": "rlimit_files=1024"}, shown,
			"fpm pool edit www --host web-02 --php 8.3 --set rlimit_files=1024", nil},
		{"types", edit, map[string]string{"max-children": "-1", "pm": "lazy", "user": "a\nb"}, shown, "", []string{"max-children", "pm", "user"}},
		{"an edit without what its form showed", edit, map[string]string{"user": "nobody"}, form.Base{}, "", []string{form.Whole}},
		{"set lines", add, map[string]string{"name": "w", "command": "php artisan queue:work", "set": "priority=5\n\n stopsignal = TERM "}, form.Base{},
			"supervisor add w --command 'php artisan queue:work' --set priority=5 --set 'stopsignal = TERM'", nil},
		{"a section smuggled into a value", add, map[string]string{"name": "w", "command": "/bin/true\n[program:root]\ncommand=/bin/sh"}, form.Base{}, "", []string{"command"}},
		{"NUL in a set line", add, map[string]string{"name": "w", "command": "x", "set": "priority=5\nenvironment=A=\x00"}, form.Base{}, "", []string{"set"}},
		{"CRLF lines", add, map[string]string{"name": "w", "command": "x", "set": "priority=5\r\nstopsignal=TERM\r\n"}, form.Base{},
			"supervisor add w --command x --set priority=5 --set stopsignal=TERM", nil},
		{"a set line without KEY=", add, map[string]string{"name": "w", "command": "x", "set": "priority=5\n=3"}, form.Base{}, "", []string{"set"}},
		{"bad name", add, map[string]string{"name": "../etc", "command": "x"}, form.Base{}, "", []string{catalog.Target}},
		{"quoting cannot add a flag", add, map[string]string{"name": "w", "command": "x' --user root '"}, form.Base{},
			`supervisor add w --command 'x'\'' --user root '\'''`, nil},
		{"php chosen", php, map[string]string{"name": "api", "php": "7.4"}, form.Base{}, "fpm pool create api --php 7.4", nil},
		{"php not offered", php, map[string]string{"name": "api", "php": "5.6"}, form.Base{}, "", []string{"php"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := tt.f.Text(tt.values, tt.base)
			var fields []string
			for k := range errs {
				fields = append(fields, k)
			}
			slices.Sort(fields)
			slices.Sort(tt.errs)
			if got != tt.want || !slices.Equal(fields, tt.errs) {
				t.Errorf("Text = %q %v, want %q with errors on %v", got, errs, tt.want, tt.errs)
			}
		})
	}
	_, errs := edit.Text(map[string]string{"user": ""}, shown)
	if !strings.Contains(errs["user"], "edit www --raw") {
		t.Errorf("emptying a current value does not lead to the raw editor: %q", errs["user"])
	}
}

// TestErrorField: a refused plan's error goes on the field it concerns,
// when the form has it.
func TestErrorField(t *testing.T) {
	f := mustForm(t, "fpm.pool.create", "", form.Short)
	for field, want := range map[string]string{"max-children": "max-children", "name": "name", "preset": "", "": ""} {
		if got := f.ErrorField(ops.Result{Field: field}); got != want {
			t.Errorf("ErrorField(%q) = %q, want %q", field, got, want)
		}
	}
}

// TestTooLong: a current value longer than a platform's input holds is
// found, so the form does not open with it cut.
func TestTooLong(t *testing.T) {
	f := mustForm(t, "supervisor.program.edit", "web", form.Short)
	f.Prefill(map[string]string{"command": strings.Repeat("é", 11), "user": "www-data"})
	if fl, long := f.TooLong(10); !long || fl.Name != "command" {
		t.Errorf("TooLong(10) = %+v %v", fl, long)
	}
	if _, long := f.TooLong(11); long {
		t.Error("11 characters are too long for 11")
	}
}

// TestValueSmugglesNoFlag: a field's value is one value of its flag
// whatever blank it holds. The grammar splits words on every Unicode space
// (a no-break space, an em space), so a value holding one, if left
// unquoted, would add flags of its own: --host all in a form opened for
// one host, or --user root beside a command pasted from a web page.
func TestValueSmugglesNoFlag(t *testing.T) {
	fm := mustForm(t, "supervisor.program.edit", "web", form.Short)
	fm.Host = "web-01"
	for _, blank := range []string{"\u00a0", "\u2003", "\u3000", "\u205f", "\u1680"} {
		dir := "/srv/app" + blank + "--host" + blank + "all" + blank + "--user" + blank + "root"
		text, errs := fm.Text(map[string]string{"command": "/usr/bin/php worker.php", "directory": dir}, form.Base{Shown: fm.Shown()})
		if len(errs) > 0 {
			t.Errorf("%U: %v", []rune(blank)[0], errs)
			continue
		}
		op, err := command.Parser{}.Parse(text)
		if err != nil {
			t.Errorf("%U: %q: %v", []rune(blank)[0], text, err)
			continue
		}
		got, _ := op.Get("directory")
		if op.Host != "web-01" || got != dir || op.Has("user") {
			t.Errorf("%U: %q ran on host %q with directory %q, user given: %v", []rune(blank)[0], text, op.Host, got, op.Has("user"))
		}
	}
}
