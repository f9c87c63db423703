package mattermost

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	model "github.com/poolvisor/poolvisor/adapters/chat/form"
	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Interactive dialogs are the forms of `supervisor add` and
// `fpm pool create` typed without arguments, and of `supervisor edit
// NAME` and `fpm pool edit NAME [--php P]` typed without flags (SPEC §1),
// drawn from the shared form model (adapters/chat/form) in its short
// layout: a dialog holds five elements, so it shows the catalog's short
// list (the fields Discord's modals show too); every other flag is typed.
// An edit dialog starts with the current values, read as the user.
// https://developers.mattermost.com/integrate/plugins/interactive-dialogs/
const (
	maxDialogElements = 5
	maxDialogTitle    = 24
	maxDisplayName    = 24   // an element's display_name
	maxHelpText       = 150  // an element's help_text
	maxTextDefault    = 150  // a text element's default
	maxAreaDefault    = 3000 // a textarea's default
)

const dialogsPath = "/mattermost/dialogs"

// dialogLayout is the form model's short layout in a dialog's limit.
var dialogLayout = model.Layout{Show: model.Short.Show, MaxInputs: maxDialogElements}

// dialogFor returns the form text opens, when text is a form's command
// alone: add and create with nothing, edit with a name and, for a pool,
// --php NAME. text is also what a dialog's state carries back (openText).
func dialogFor(text string) (model.Form, bool) {
	w := strings.Fields(text)
	for _, op := range model.Ops {
		c, _ := model.Lookup(op)
		n := len(c.Words)
		if len(w) < n || !slices.Equal(w[:n], c.Words) {
			continue
		}
		rest := w[n:]
		fm := model.New(c, "", dialogLayout)
		if !fm.Edit() {
			return fm, len(rest) == 0
		}
		if len(rest) == 0 || !ops.ValidName(rest[0]) {
			return model.Form{}, false
		}
		fm = model.New(c, rest[0], dialogLayout)
		switch rest = rest[1:]; {
		case len(rest) == 0:
			return fm, true
		case len(rest) == 2 && !fm.Program() && rest[0] == "--"+catalog.Instance && ops.ValidName(rest[1]):
			fm.PHP = rest[1]
			return fm, true
		}
		return model.Form{}, false
	}
	return model.Form{}, false
}

// rawDialogFor returns the edit form whose raw editor text asks for: an
// edit with --raw (SPEC §1), and for a pool --php NAME, in either order.
func rawDialogFor(text string) (model.Form, bool) {
	w := strings.Fields(text)
	i := slices.Index(w, "--"+catalog.RawFlag.Name)
	if i < 0 {
		return model.Form{}, false
	}
	fm, ok := dialogFor(strings.Join(slices.Delete(w, i, i+1), " "))
	return fm, ok && fm.Edit()
}

// isDialog reports whether text opens a dialog: a form or a raw editor.
func isDialog(text string) bool {
	_, form := dialogFor(text)
	_, raw := rawDialogFor(text)
	return form || raw
}

// openText is the command a dialog of fm stands for before its values:
// what its state signs, and what dialogFor reads back.
func openText(fm model.Form) string {
	if fm.Edit() {
		return fm.OpenText()
	}
	return fm.Words()
}

// openDialog opens the dialog text asks for, if it asks for one, and
// reports whether it did. An edit dialog is prefilled from a show run as
// the user, so RBAC decides what they may see; a show refused is the
// answer instead.
func (a *Adapter) openDialog(ctx context.Context, text, userID, userName, trigger string, o origin) (CommandResponse, bool) {
	fm, ok := dialogFor(text)
	raw := false
	if !ok {
		fm, raw = rawDialogFor(text)
		ok = raw
	}
	if !ok || a.dialogURL == "" {
		// Without a URL Mattermost can post to (websocket mode without
		// public_url) there is no dialog: the grammar answers instead.
		return CommandResponse{}, false
	}
	var d Dialog
	var err error
	if fm.Edit() {
		// The trigger_id lasts seconds, as the command's answer does: the
		// show is not put off, and not waited for beyond fastAnswer.
		showCtx, cancel := context.WithTimeout(ctx, fastAnswer)
		defer cancel()
		actor := a.actor(showCtx, userID, userName, o.Channel)
		res := a.run.Run(showCtx, actor, fm.ShowText())
		if res.Status != ops.StatusOK {
			return a.answer(o, actor, res), true
		}
		if raw {
			path, content, ok := fm.RawFile(res)
			switch {
			case !ok:
				return ephemeralText("⚠️ The file of " + code(fm.Target) + " could not be read; change it with the command's flags instead."), true
			case utf8.RuneCountInString(content) > maxAreaDefault:
				return ephemeralText(fmt.Sprintf("⚠️ %s is %d characters long, more than a dialog field holds (%d). Change it with the command's flags (`--set KEY=VALUE`), or on the host with `poolvisor exec`.",
					code(firstNonEmpty(path, fm.Target)), utf8.RuneCountInString(content), maxAreaDefault)), true
			}
			d = a.rawDialog(fm, path, content, o.Channel, userID)
		} else if directives, ok := fm.Read(res); ok {
			fm.Prefill(directives)
		} else {
			return ephemeralText("⚠️ The current values of " + code(fm.Target) + " could not be read; give the values to change as flags."), true
		}
	} else {
		fm.Defaults(nil)
	}
	if !raw {
		d, err = a.dialog(fm, o.Channel, userID)
	}
	if err == nil {
		err = a.api.OpenDialog(ctx, trigger, a.dialogURL, d)
	}
	if err != nil {
		a.log.Warn("mattermost: could not open a dialog", "err", err)
		return ephemeralText("⚠️ The form did not open (" + escape(err.Error()) + "). Try again, or give the values as flags (" + code("/"+fm.Cmd.Top()+" help") + ")."), true
	}
	return CommandResponse{ResponseType: Ephemeral}, true
}

// dialog draws form fm for user in channel. Its state is the form's
// command, what an edit showed (the form model's digests, no value) and
// the user, signed for
// that channel as a button's context is: Mattermost does not sign
// submissions either. The user is signed in because, unlike a button's
// context, the state reaches the opener's client: without it, the opener
// could post the state to the dialog URL with anyone's user_id.
func (a *Adapter) dialog(fm model.Form, channel, user string) (Dialog, error) {
	open := openText(fm)
	state, _ := json.Marshal(a.sign.context(channel, open+"\n"+fm.Shown().Encode()+"\n"+user))
	intro := "Checked with `--plan` before anything is written; other settings can be typed as flags (`/" + fm.Cmd.Top() + " help`)."
	if fm.Edit() {
		intro = "**" + escape(fm.Target) + "**: the current values. " + intro + " A setting is removed in the whole file: `/" + open + " --raw`."
	}
	d := Dialog{CallbackID: open, Title: truncateRunes("/"+fm.Words(), maxDialogTitle), SubmitLabel: "Apply", State: string(state),
		IntroductionText: intro}
	if f, long := fm.TooLong(maxAreaDefault); long {
		return Dialog{}, fmt.Errorf("the %s of %s is longer than a dialog field holds; change it with flags or `--raw`", f.Label, fm.Target)
	}
	for _, f := range fm.Fields {
		e := DialogElement{DisplayName: truncateRunes(f.Label, maxDisplayName), Name: f.Name, Type: "text", Default: f.Value,
			HelpText: truncateRunes(f.Hint, maxHelpText), Optional: !f.Required}
		switch {
		case f.Type == catalog.Choice:
			e.Type = "select"
			for _, ch := range f.Choices {
				e.Options = append(e.Options, DialogOption{Text: ch, Value: ch})
			}
		case f.Multiline(), utf8.RuneCountInString(f.Value) > maxTextDefault:
			e.Type = "textarea" // a long current value is shown whole, never cut
		case f.Type == catalog.Int:
			e.SubType = "number"
		}
		d.Elements = append(d.Elements, e)
	}
	return d, nil
}

// rawDialog draws the raw editor of fm's item: its file (path) in one
// textarea, as its show gave it, secrets masked. Its state is signed as
// a form's, with the digest of the file shown in place of a form's: the
// backend weighs the file on disk against it.
func (a *Adapter) rawDialog(fm model.Form, path, content, channel, user string) Dialog {
	open := fm.RawText()
	state, _ := json.Marshal(a.sign.context(channel, open+"\n"+ops.Digest([]byte(content))+"\n"+user))
	intro := "**" + escape(fm.Target) + "**: " + code(path) + ", the whole file. Secrets show as `••••`: a line left as it is keeps its value; " +
		"one changed around the mark is refused. Checked as a whole (and by " + map[bool]string{true: "supervisord", false: "`php-fpm -t`"}[fm.Program()] +
		") with `--plan` before anything is written."
	return Dialog{CallbackID: open, Title: truncateRunes("Edit the file of "+fm.Target, maxDialogTitle), SubmitLabel: "Apply", State: string(state),
		IntroductionText: intro,
		Elements: []DialogElement{{DisplayName: "File", Name: model.RawField, Type: "textarea", Default: content,
			HelpText: "The whole file; it is checked as a whole before anything changes"}}}
}

// submission reads a submission's values as text: Mattermost sends a
// number element's value as a JSON number.
func submission(sub map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range sub {
		switch v := v.(type) {
		case string:
			out[k] = v
		case float64:
			out[k] = strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return out
}

func (a *Adapter) dialogHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
		var in DialogSubmission
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		var state ActionContext
		err := json.Unmarshal([]byte(in.State), &state)
		open, rest, _ := strings.Cut(state.Command, "\n") // see dialog
		current, user, _ := strings.Cut(rest, "\n")
		if err != nil || open == "" || open != in.CallbackID || user == "" || user != in.UserID || a.sign.verify(in.ChannelID, state) != nil {
			a.log.Warn("mattermost: dialog submission refused", "err", ErrBadContext, "channel", in.ChannelID, "remote", r.RemoteAddr)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if !idRE.MatchString(in.UserID) || !idRE.MatchString(in.ChannelID) {
			http.Error(w, "bad user_id or channel_id", http.StatusBadRequest)
			return
		}
		if in.Cancelled {
			w.WriteHeader(http.StatusOK)
			return
		}
		writeJSON(w, a.submit(r.Context(), in, open, current))
	})
}

// submit checks a dialog with a dry run (--plan) as the submitting user.
// An invalid value comes back on its field (the form model's checks, then
// ops.Result.Field) and nothing changes; a valid dialog closes and is
// applied in the background, through approval where the policy asks for
// one, its result posted in the channel.
func (a *Adapter) submit(ctx context.Context, in DialogSubmission, open, current string) DialogResponse {
	fm, ok := dialogFor(open)
	if !ok {
		if fm, ok = rawDialogFor(open); ok {
			return a.submitRaw(in, fm, current)
		}
		return DialogResponse{Error: "This form is not one poolvisor knows."}
	}
	shown, ok := model.DecodeShown(current)
	if !ok {
		shown = nil // a dialog opened before poolvisor kept digests: the model asks to reopen it
	}
	var (
		actor ops.Actor
		text  string
		errs  model.Errors
	)
	apply := func(ctx context.Context, plan ops.Result) {
		if plan.Status != ops.StatusOK {
			a.show(ctx, in.ChannelID, actor, plan)
			return
		}
		a.show(ctx, in.ChannelID, actor, a.run.Run(ctx, actor, text))
	}
	// An edit reads its item again before it is weighed (the form model),
	// so its command is made in the background, within the answer's time;
	// what is wrong then comes inline, or later for the user alone. A form
	// that adds is checked at once, as it needs nothing but its values.
	if !fm.Edit() {
		if text, errs = fm.Text(submission(in.Submission), model.Base{}); len(errs) > 0 {
			return DialogResponse{Errors: fitErrors(errs)}
		}
	}
	plan, inTime := a.within(func(ctx context.Context) ops.Result {
		actor = a.actor(ctx, in.UserID, "", in.ChannelID)
		if !fm.Edit() {
			return a.run.Run(ctx, actor, text+" --plan")
		}
		if text, errs = fm.Submit(ctx, a.run, actor, submission(in.Submission), shown); len(errs) > 0 {
			return ops.Result{Status: ops.StatusInvalid, Operation: fm.Cmd.Op, Message: problemsText(fm, errs)}
		}
		return a.run.Run(ctx, actor, text+" --plan")
	}, apply)
	if !inTime {
		return DialogResponse{} // the dialog closes; apply posts what follows
	}
	if len(errs) > 0 {
		whole := errs[model.Whole]
		delete(errs, model.Whole)
		return DialogResponse{Errors: fitErrors(errs), Error: truncateRunes(whole, maxFieldError)}
	}
	if plan.Status != ops.StatusOK {
		msg := truncateRunes(strings.TrimSpace(plan.Summary()), maxFieldError)
		if field := fm.ErrorField(plan); field != "" {
			return DialogResponse{Errors: map[string]string{field: msg}}
		}
		return DialogResponse{Error: msg}
	}
	a.spawn(func(ctx context.Context) { apply(ctx, plan) })
	return DialogResponse{}
}

// submitRaw checks a submitted raw editor with a dry run as the
// submitting user, as submit does a form: what the backend refuses (the
// daemon's own check, a masked secret on a changed line, the file changed
// since it was shown, whose digest is shown) comes back under the file,
// and nothing changes; a file that passes is applied in the background.
func (a *Adapter) submitRaw(in DialogSubmission, fm model.Form, shown string) DialogResponse {
	op := fm.RawOperation(submission(in.Submission)[model.RawField], shown)
	var actor ops.Actor
	apply := func(ctx context.Context, plan ops.Result) {
		if plan.Status != ops.StatusOK {
			a.show(ctx, in.ChannelID, actor, plan)
			return
		}
		a.show(ctx, in.ChannelID, actor, a.run.Execute(ctx, actor, op))
	}
	plan, inTime := a.within(func(ctx context.Context) ops.Result {
		actor = a.actor(ctx, in.UserID, "", in.ChannelID)
		dry := op
		dry.DryRun = true
		return a.run.Execute(ctx, actor, dry)
	}, apply)
	if !inTime {
		return DialogResponse{} // the dialog closes; apply posts what follows
	}
	if plan.Status != ops.StatusOK {
		return DialogResponse{Errors: map[string]string{model.RawField: truncateRunes(strings.TrimSpace(plan.Summary()), maxFieldError)}}
	}
	a.spawn(func(ctx context.Context) { apply(ctx, plan) })
	return DialogResponse{}
}

// problemsText is what is wrong with a dialog's values as a message, for a
// submission whose dialog has closed (too late to show it inline).
func problemsText(fm model.Form, errs model.Errors) string {
	lines := []string{"Nothing was applied; the form cannot be applied as it is:"}
	for _, f := range append([]model.Field{{Name: model.Whole}}, fm.Fields...) {
		if msg, ok := errs[f.Name]; ok {
			lines = append(lines, "• "+strings.TrimPrefix(f.Label+": ", ": ")+msg)
		}
	}
	return strings.Join(lines, "\n")
}

// maxFieldError bounds an error shown under a field or the dialog.
const maxFieldError = 1000

func fitErrors(errs model.Errors) map[string]string {
	out := make(map[string]string, len(errs))
	for k, v := range errs {
		out[k] = truncateRunes(v, maxFieldError)
	}
	return out
}

// show posts a result where no response_url leads: an approval request
// as the bot's post, a write that ran for the channel, anything else to
// the user alone.
func (a *Adapter) show(ctx context.Context, channel string, actor ops.Actor, res ops.Result) {
	if isApprovalRequest(res) {
		a.postApproval(ctx, channel, res, nil)
		return
	}
	m := Render(res)
	var err error
	if visibility(res) == InChannel {
		m.Text += "\n\n_Asked by " + escape(firstNonEmpty(actor.Name, actor.ID)) + "._"
		_, err = a.api.CreatePost(ctx, a.post(channel, m))
	} else {
		err = a.api.Ephemeral(ctx, actor.ID, a.post(channel, m))
	}
	if err != nil {
		a.log.Warn("mattermost: could not post a form's result", "err", err)
	}
}
