package slack

import (
	"context"
	"fmt"
	"slices"
	"strings"

	model "github.com/poolvisor/poolvisor/adapters/chat/form"
	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// formKind names a modal; it is the view's callback_id after actionPrefix.
type formKind string

// The modals of SPEC §1: forms for programs and pools, and the raw editors.
const (
	formProgramAdd  formKind = "supervisor.add"
	formProgramEdit formKind = "supervisor.edit"
	formProgramRaw  formKind = "supervisor.raw"
	formPoolCreate  formKind = "fpm.create"
	formPoolEdit    formKind = "fpm.edit"
	formPoolRaw     formKind = "fpm.raw"
)

// form is a modal to open: its kind, to edit, the name it edits, and the
// PHP-FPM instance a pool form is for when --php named one.
type form struct {
	Kind formKind
	Name string
	PHP  string
}

// formFor reports whether text asks for a form: `supervisor add` and
// `fpm pool create` without arguments, `supervisor edit NAME` and
// `fpm pool edit NAME` without flags, and either edit with --raw alone.
func formFor(text string) (form, bool) {
	w := strings.Fields(text)
	php := ""
	if len(w) > 0 && w[0] == "fpm" {
		var ok bool
		if w, php, ok = cutPHP(w); !ok {
			return form{}, false // let the grammar say what is wrong
		}
	}
	f, ok := formOf(w)
	if ok {
		f.PHP = php
	}
	return f, ok
}

// cutPHP takes --php NAME (or --php=NAME) out of words, which must then
// name a valid instance.
func cutPHP(w []string) ([]string, string, bool) {
	flag := "--" + ops.InstanceArg
	for i, word := range w {
		if v, ok := strings.CutPrefix(word, flag+"="); ok {
			return slices.Delete(slices.Clone(w), i, i+1), v, ops.ValidName(v)
		}
		if word == flag {
			if i+1 >= len(w) {
				return w, "", false
			}
			return slices.Delete(slices.Clone(w), i, i+2), w[i+1], ops.ValidName(w[i+1])
		}
	}
	return w, "", true
}

// formKinds are the forms of the commands that take a set of flags, by
// their operation: the form, and for an edit the raw editor.
var formKinds = map[string][2]formKind{
	"supervisor.program.add": {formProgramAdd}, "supervisor.program.edit": {formProgramEdit, formProgramRaw},
	"fpm.pool.create": {formPoolCreate}, "fpm.pool.edit": {formPoolEdit, formPoolRaw},
}

// formOf finds the catalog's command of w, if it opens a form: given
// nothing (add, create), or a valid name and at most --raw (edit).
func formOf(w []string) (form, bool) {
	for _, c := range catalog.Commands {
		kinds, ok := formKinds[c.Op]
		n := len(c.Words)
		if !ok || len(w) < n || !slices.Equal(w[:n], c.Words) {
			continue
		}
		rest := w[n:]
		switch {
		case kinds[1] == "" && len(rest) == 0:
			return form{Kind: kinds[0]}, true
		case kinds[1] != "" && len(rest) >= 1 && len(rest) <= 2 && ops.ValidName(rest[0]):
			return editForm(rest[1:], rest[0], kinds[0], kinds[1])
		}
		return form{}, false
	}
	return form{}, false
}

func editForm(rest []string, name string, edit, raw formKind) (form, bool) {
	switch {
	case len(rest) == 0:
		return form{Kind: edit, Name: name}, true
	case len(rest) == 1 && rest[0] == "--"+catalog.RawFlag.Name:
		return form{Kind: raw, Name: name}, true
	}
	return form{}, false
}

func (f form) program() bool { return strings.HasPrefix(string(f.Kind), "supervisor.") }
func (f form) raw() bool     { return f.Kind == formProgramRaw || f.Kind == formPoolRaw }
func (f form) adds() bool    { return f.Kind == formProgramAdd || f.Kind == formPoolCreate }

// showText is the read that prefills an edit form, run as the asker.
func (f form) showText() string {
	if f.program() {
		return "supervisor show " + f.Name
	}
	return "fpm pool show " + f.Name + f.onPHP()
}

// onPHP is the --php flag of a pool form's commands, if it names one.
func (f form) onPHP() string {
	if f.PHP == "" {
		return ""
	}
	return " --" + ops.InstanceArg + " " + command.Quote(f.PHP)
}

// meta travels in the view's private_metadata: where the command was typed,
// so the result goes there, and for an edit what the form showed, as the
// form model's digests (model.Shown.Encode), never the values; for a raw
// editor, the digest of the file it showed (ops.Digest).
type meta struct {
	Channel     string `json:"c"`
	ResponseURL string `json:"u,omitempty"`
	Name        string `json:"n,omitempty"`
	Shown       string `json:"s,omitempty"`
	PHP         string `json:"php,omitempty"` // the instance --php named
}

// shown is what an edit form showed, read back from m; nil when m does not
// hold it (a form opened by an older poolvisor), which the model refuses.
func (m meta) shown() model.Shown {
	s, ok := model.DecodeShown(m.Shown)
	if !ok || m.Shown == "" {
		return nil
	}
	return s
}

// openForm opens the modal f for actor. An edit form is prefilled from a
// show run as the actor, so RBAC decides what they may see. Anything that
// keeps the form from opening is told to the actor.
func (a *Adapter) openForm(ctx context.Context, actor ops.Actor, o origin, t trigger, f form) {
	fm := a.model(f)
	var content string
	if !f.adds() {
		showCtx, cancel := context.WithDeadline(ctx, t.Expires)
		res := a.run.Run(showCtx, actor, f.showText())
		cancel()
		if res.Status != ops.StatusOK {
			a.send(ctx, o, Render(res), visEphemeral)
			return
		}
		var err error
		if content, err = a.current(f, &fm, res); err != nil {
			a.send(ctx, o, RenderText(":warning: "+escape(err.Error())), visEphemeral)
			return
		}
	} else if !f.program() {
		// A new pool starts with the configured user, group and process
		// manager, where the catalog's defaults are not this host's.
		d := a.cfg.PoolDefaults
		fm.Defaults(map[string]string{"user": d.User, "group": d.Group, "pm": d.PM})
	} else {
		fm.Defaults(nil)
	}
	if fl, long := fm.TooLong(maxInputLength); long {
		a.send(ctx, o, RenderText(fmt.Sprintf(":warning: The %s of %s is longer than a Slack form field holds (%d); change it with flags or `--raw`.",
			escape(fl.Label), escape(f.Name), maxInputLength)), visEphemeral)
		return
	}
	m := meta{Channel: o.Channel, ResponseURL: o.ResponseURL, Name: f.Name, PHP: f.PHP}
	view := a.buildView(f, fm, content, &m)
	if f.raw() { // what the backend weighs the file against at submission
		m.Shown = ops.Digest([]byte(content))
	}
	withPreview(&view, m, nil)
	if a.cfg.Now().After(t.Expires) {
		a.send(ctx, o, RenderText(":hourglass: The form could not open within Slack's 3 seconds. Try again, or give the values as flags (see `/"+
			strings.SplitN(string(f.Kind), ".", 2)[0]+" help`)."), visEphemeral)
		return
	}
	if _, err := a.api.OpenViewContext(ctx, t.ID, view); err != nil {
		a.log.Warn("slack: could not open a form", "form", f.Kind, "err", err)
		a.send(ctx, o, RenderText(":warning: Slack did not open the form ("+escape(err.Error())+"). Try again, or give the values as flags."), visEphemeral)
	}
}

// current reads what an edit form starts with from a show result: the
// current directives into fm, or for a raw editor the file's content.
func (a *Adapter) current(f form, fm *model.Form, res ops.Result) (string, error) {
	d := view.Decode(res.Data)
	var directives map[string]string
	var file, content string
	switch {
	case f.program() && d.Program != nil:
		directives, file, content = d.Program.Directives, d.Program.File, d.Program.Content
	case !f.program() && d.Pool != nil:
		directives, file, content = d.Pool.Directives, d.Pool.File, d.Pool.Content
	default:
		return "", fmt.Errorf("the current values of %s could not be read", f.Name)
	}
	if !f.raw() {
		fm.Prefill(directives)
		return "", nil
	}
	if content == "" {
		return "", fmt.Errorf("the file of %s could not be read; edit it with flags instead", f.Name)
	}
	if len(content) > maxInputLength {
		return "", fmt.Errorf("%s is %d bytes, more than a Slack form field holds (%d); edit it with flags (--set KEY=VALUE) instead",
			file, len(content), maxInputLength)
	}
	return content, nil
}
