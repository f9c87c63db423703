package form_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/chat/form"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// opened is web's edit form as it opened: its values then.
var opened = map[string]string{"command": "/usr/bin/php worker.php", "user": "www-data", "autorestart": "true", "numprocs": "2"}

func with(m map[string]string, kv ...string) map[string]string {
	out := maps.Clone(m)
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// TestEditSendsOnlyWhatChanged: an edit sends the fields changed from what
// the form showed, and nothing else; a field changed in the form whose
// value on the host moved since it opened is refused on that field, saying
// what it is now; a field left alone is not sent whatever happened to it.
func TestEditSendsOnlyWhatChanged(t *testing.T) {
	f := mustForm(t, "supervisor.program.edit", "web", form.Full)
	f.Prefill(opened)
	shown := f.Shown()
	values := map[string]string{"command": "/usr/bin/php worker.php", "directory": "", "user": "www-data", "autostart": "", "autorestart": "true", "numprocs": "2", "set": ""}
	tests := []struct {
		name   string
		values map[string]string
		now    map[string]string
		want   string
		errs   map[string]string // field -> a part of its error
	}{
		{"nothing changed", values, opened, "", map[string]string{form.Whole: "Nothing to change"}},
		{"nothing changed, the host did", values, with(opened, "command", "/usr/bin/php v2.php", "user", "app"), "",
			map[string]string{form.Whole: "Nothing to change"}},
		{"one field changed", with(values, "numprocs", "4"), opened, "supervisor edit web --numprocs 4", nil},
		{"one field changed, another changed underneath", with(values, "numprocs", "4"), with(opened, "command", "/usr/bin/php v2.php"),
			"supervisor edit web --numprocs 4", nil},
		{"a field empty when shown, filled", with(values, "directory", "/srv/app"), opened, "supervisor edit web --directory /srv/app", nil},
		{"changed in the form and underneath", with(values, "user", "app", "numprocs", "4"), with(opened, "user", "deploy"), "",
			map[string]string{"user": `now "deploy"`}},
		{"filled in the form, set underneath", with(values, "directory", "/srv/app"), with(opened, "directory", "/srv/other"), "",
			map[string]string{"directory": `now "/srv/other"`}},
		{"changed in the form, removed underneath", with(values, "autorestart", "false"), with(opened, "autorestart", ""), "",
			map[string]string{"autorestart": "now unset"}},
		{"the same change made meanwhile", with(values, "user", "app"), with(opened, "user", "app"), "",
			map[string]string{form.Whole: "Nothing to change"}},
		{"a choice typed in another case is no change", with(values, "autorestart", " TRUE "), opened, "",
			map[string]string{form.Whole: "Nothing to change"}},
		{"set lines are always sent", with(values, "set", "stopsignal=INT"), with(opened, "user", "app"),
			"supervisor edit web --set stopsignal=INT", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := f.Text(tt.values, form.Base{Shown: shown, Now: tt.now})
			if got != tt.want || len(errs) != len(tt.errs) {
				t.Fatalf("Text = %q %v, want %q with errors %v", got, errs, tt.want, tt.errs)
			}
			for field, part := range tt.errs {
				if !strings.Contains(errs[field], part) {
					t.Errorf("error on %q: %q, want it to say %q", field, errs[field], part)
				}
			}
			for field, msg := range errs {
				if field != form.Whole && !strings.Contains(msg, "open the form again") {
					t.Errorf("%s: %q does not say what to do", field, msg)
				}
			}
		})
	}
}

// TestShownHoldsNoValue: what a platform carries is digests, which name
// no value, and reads back as written; anything else is refused.
func TestShownHoldsNoValue(t *testing.T) {
	f := mustForm(t, "supervisor.program.edit", "web", form.Full)
	f.Prefill(with(opened, "environment", "DB_PASSWORD=hunter2"))
	line := f.Shown().Encode()
	for _, v := range opened {
		if len(v) > 3 && strings.Contains(line, v) { // a short one may be in a digest by chance
			t.Errorf("%q holds the value %q", line, v)
		}
	}
	back, ok := form.DecodeShown(line)
	if !ok || !maps.Equal(back, f.Shown()) {
		t.Errorf("DecodeShown(%q) = %v %v", line, back, ok)
	}
	if got := back.Current(); !slices.Equal(got, []string{"autorestart", "command", "numprocs", "user"}) {
		t.Errorf("the fields shown with a value: %v", got)
	}
	for _, bad := range []string{"user", "user:abc", "user:" + strings.Repeat("A", 12) + ",", ":" + strings.Repeat("A", 12)} {
		if _, ok := form.DecodeShown(bad); ok {
			t.Errorf("DecodeShown(%q) is accepted", bad)
		}
	}
	if add := mustForm(t, "supervisor.program.add", "", form.Full); add.Shown() != nil {
		t.Error("a form that adds shows no current values")
	}
}

// reader answers the show of a form's item with directives, and records
// what it was asked, as whom.
type reader struct {
	now   map[string]string
	asked []string
}

func (r *reader) Run(_ context.Context, actor ops.Actor, text string) ops.Result {
	r.asked = append(r.asked, actor.ID+": "+text)
	if r.now == nil {
		return ops.Result{Status: ops.StatusInvalid, Message: "no pool named www"}
	}
	return ops.Result{Status: ops.StatusOK, Data: map[string]any{"pool": map[string]any{"name": "www", "directives": r.now}}}
}

// TestSubmitReadsTheItemAgain: an edit's submission is weighed against the
// item read again as the submitter, with the form's --host and --php; an
// item that cannot be read is an error on the whole form.
func TestSubmitReadsTheItemAgain(t *testing.T) {
	f := mustForm(t, "fpm.pool.edit", "www", form.Short)
	f.Host, f.PHP = "web-02", "8.3"
	f.Prefill(map[string]string{"user": "www-data", "pm": "dynamic", "pm.max_children": "5"})
	values := map[string]string{"user": "www-data", "pm": "dynamic", "max-children": "9"}
	r := &reader{now: map[string]string{"user": "app", "pm": "dynamic", "pm.max_children": "5"}}
	got, errs := f.Submit(context.Background(), r, ops.Actor{ID: "U1"}, values, f.Shown())
	if got != "fpm pool edit www --host web-02 --php 8.3 --max-children 9" || len(errs) > 0 {
		t.Errorf("Submit = %q %v", got, errs)
	}
	if want := []string{"U1: fpm pool show www --host web-02 --php 8.3"}; !slices.Equal(r.asked, want) {
		t.Errorf("read %v, want %v", r.asked, want)
	}
	r.now = nil
	if got, errs := f.Submit(context.Background(), r, ops.Actor{ID: "U1"}, values, f.Shown()); got != "" || !strings.Contains(errs[form.Whole], "no pool named www") {
		t.Errorf("an item gone: %q %v", got, errs)
	}
	if got, errs := f.Submit(context.Background(), r, ops.Actor{ID: "U1"}, values, nil); got != "" || errs[form.Whole] == "" || len(r.asked) != 2 {
		t.Errorf("without what the form showed: %q %v, read %v", got, errs, r.asked)
	}
}

// TestRecheck: an edit applied later than it was weighed is weighed again
// on the fields it sends, and only on those: one changed on the host since
// (to anything but what is sent) is refused; a field it leaves alone may
// change freely.
func TestRecheck(t *testing.T) {
	f := mustForm(t, "fpm.pool.edit", "www", form.Short)
	f.Prefill(map[string]string{"user": "www-data", "pm": "dynamic", "pm.max_children": "5"})
	shown := f.Shown()
	sent := f.Sent(map[string]string{"user": "www-data", "pm": "Dynamic", "max-children": " 9 "}, shown)
	if got := sent.Current(); !slices.Equal(got, []string{"max-children"}) {
		t.Fatalf("Sent names %v, want max-children alone", got)
	}
	for _, c := range []struct {
		name string
		now  map[string]string
		want string // the field refused, if any
	}{
		{"nothing changed", map[string]string{"user": "www-data", "pm": "dynamic", "pm.max_children": "5"}, ""},
		{"a field not sent changed", map[string]string{"user": "app", "pm": "static", "pm.max_children": "5"}, ""},
		{"the same change made meanwhile", map[string]string{"user": "www-data", "pm": "dynamic", "pm.max_children": "9"}, ""},
		{"the field sent changed", map[string]string{"user": "www-data", "pm": "dynamic", "pm.max_children": "20"}, "max-children"},
		{"the field sent removed", map[string]string{"user": "www-data", "pm": "dynamic"}, "max-children"},
	} {
		t.Run(c.name, func(t *testing.T) {
			errs := f.Recheck(context.Background(), &reader{now: c.now}, ops.Actor{ID: "U1"}, shown, sent)
			if _, refused := errs[c.want]; (c.want == "") != (len(errs) == 0) || c.want != "" && !refused {
				t.Errorf("Recheck = %v, want a refusal of %q", errs, c.want)
			}
		})
	}
	if errs := f.Recheck(context.Background(), &reader{}, ops.Actor{ID: "U1"}, shown, sent); errs[form.Whole] == "" {
		t.Errorf("an item gone: %v", errs)
	}
}
