package mattermost

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Interactive dialogs are the forms of `supervisor add` and
// `fpm pool create` typed without arguments (SPEC §1).
// https://developers.mattermost.com/integrate/plugins/interactive-dialogs/
//
// A dialog holds at most maxDialogElements fields, so it shows the name
// and the first fields of the catalog's short form (the one Discord's
// five-input modals show too); every other flag is typed. Edit forms
// (`edit NAME`, `edit NAME --raw`) are not built yet.
const (
	maxDialogElements = 5
	maxDialogTitle    = 24
)

const dialogsPath = "/mattermost/dialogs"

// dialogForms are the commands that open a dialog when typed alone.
var dialogForms = []string{"supervisor.program.add", "fpm.pool.create"}

// dialogFor returns the catalog's command of text when text is that
// command alone, so it opens a dialog.
func dialogFor(text string) (catalog.Command, bool) {
	w := strings.Fields(text)
	for _, c := range catalog.Commands {
		if slices.Contains(dialogForms, c.Op) && slices.Equal(w, c.Words) {
			return c, true
		}
	}
	return catalog.Command{}, false
}

// dialogFlags are the flags a dialog of c shows, after the name.
func dialogFlags(c catalog.Command) []catalog.Flag {
	flags := catalog.InForm(c.Flags, catalog.DiscordForm)
	return flags[:min(len(flags), maxDialogElements-1)]
}

// Dialog is an interactive dialog.
type Dialog struct {
	CallbackID       string          `json:"callback_id"`
	Title            string          `json:"title"`
	IntroductionText string          `json:"introduction_text,omitempty"`
	Elements         []DialogElement `json:"elements"`
	SubmitLabel      string          `json:"submit_label,omitempty"`
	State            string          `json:"state"`
}

// DialogElement is one field of a dialog.
type DialogElement struct {
	DisplayName string         `json:"display_name"`
	Name        string         `json:"name"`
	Type        string         `json:"type"` // text | textarea | select
	SubType     string         `json:"subtype,omitempty"`
	Default     string         `json:"default,omitempty"`
	HelpText    string         `json:"help_text,omitempty"`
	Optional    bool           `json:"optional"`
	Options     []DialogOption `json:"options,omitempty"`
}

// DialogOption is a choice of a select.
type DialogOption struct {
	Text  string `json:"text"`
	Value string `json:"value"`
}

// openDialog is the body of POST /api/v4/actions/dialogs/open.
type openDialog struct {
	TriggerID string `json:"trigger_id"`
	URL       string `json:"url"`
	Dialog    Dialog `json:"dialog"`
}

// DialogSubmission is what Mattermost posts when a dialog is submitted.
type DialogSubmission struct {
	Type       string         `json:"type"`
	CallbackID string         `json:"callback_id"`
	State      string         `json:"state"`
	UserID     string         `json:"user_id"`
	ChannelID  string         `json:"channel_id"`
	TeamID     string         `json:"team_id"`
	Submission map[string]any `json:"submission"`
	Cancelled  bool           `json:"cancelled"`
}

// DialogResponse answers a submission: errors by field keep the dialog
// open with each shown under its field; Error, under the whole dialog.
type DialogResponse struct {
	Errors map[string]string `json:"errors,omitempty"`
	Error  string            `json:"error,omitempty"`
}

// dialog builds the dialog of c for channel. Its state is the command's
// words signed for that channel, as a button's context is: Mattermost
// does not sign submissions either.
func (a *Adapter) dialog(c catalog.Command, channel string) Dialog {
	words := strings.Join(c.Words, " ")
	state, _ := json.Marshal(a.sign.context(channel, words))
	d := Dialog{CallbackID: words, Title: truncateRunes("/"+words, maxDialogTitle), SubmitLabel: "Apply", State: string(state),
		IntroductionText: "Checked with `--plan` before anything is written; other settings can be typed as flags (`/" + c.Words[0] + " help`)."}
	d.Elements = append(d.Elements, DialogElement{DisplayName: "Name", Name: catalog.Target, Type: "text",
		HelpText: "Letters, digits, _ . - (up to 64)"})
	for _, f := range dialogFlags(c) {
		e := DialogElement{DisplayName: f.Label, Name: f.Name, Type: "text", Default: f.Default, HelpText: f.Hint, Optional: !f.Required}
		switch f.Type {
		case catalog.Choice:
			e.Type = "select"
			for _, ch := range f.Choices {
				e.Options = append(e.Options, DialogOption{Text: ch, Value: ch})
			}
		case catalog.Int:
			e.SubType = "number"
		case catalog.Repeat:
			e.Type = "textarea"
		}
		d.Elements = append(d.Elements, e)
	}
	return d
}

// submitted reads a submission back into command text, or says which
// field is wrong.
func submitted(words string, c catalog.Command, values map[string]any) (string, map[string]string) {
	str := func(k string) string {
		switch v := values[k].(type) {
		case string:
			return strings.TrimSpace(v)
		case float64:
			return fmt.Sprint(v)
		}
		return ""
	}
	name := str(catalog.Target)
	if !ops.ValidName(name) {
		return "", map[string]string{catalog.Target: "1 to 64 letters, digits, _ . -, starting with a letter or digit"}
	}
	text := words + " " + command.Word(name)
	for _, f := range dialogFlags(c) {
		v := str(f.Name)
		if v == "" {
			continue
		}
		// A line break or NUL would reach the grammar's refusal, which
		// names no field: say it here, under the field it is in.
		if (f.Type != catalog.Repeat && strings.ContainsAny(v, "\r\n")) || strings.ContainsAny(v, "\r\x00") {
			return "", map[string]string{f.Name: "one line only: line breaks and NUL characters are not allowed"}
		}
		if f.Type == catalog.Repeat {
			for _, line := range strings.Split(v, "\n") {
				if line = strings.TrimSpace(line); line != "" {
					text += " --" + f.Name + " " + command.Word(line)
				}
			}
			continue
		}
		text += " --" + f.Name + " " + command.Word(v)
	}
	return text, nil
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
		if json.Unmarshal([]byte(in.State), &state) != nil || state.Command != in.CallbackID || a.sign.verify(in.ChannelID, state) != nil {
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
		writeJSON(w, a.submit(r.Context(), in, state.Command))
	})
}

// submit checks a dialog with a dry run (--plan) as the submitting user.
// An invalid value comes back on its field (ops.Result.Field) and nothing
// changes; a valid dialog closes and is applied in the background, its
// result posted in the channel.
func (a *Adapter) submit(ctx context.Context, in DialogSubmission, words string) DialogResponse {
	c, ok := dialogFor(words)
	if !ok {
		return DialogResponse{Error: "This form is not one poolvisor knows."}
	}
	text, errs := submitted(words, c, in.Submission)
	if errs != nil {
		return DialogResponse{Errors: errs}
	}
	var actor ops.Actor
	apply := func(ctx context.Context, plan ops.Result) {
		if plan.Status != ops.StatusOK {
			a.show(ctx, in.ChannelID, actor, plan)
			return
		}
		a.show(ctx, in.ChannelID, actor, a.run.Run(ctx, actor, text))
	}
	plan, inTime := a.within(func(ctx context.Context) ops.Result {
		actor = a.actor(ctx, in.UserID, "", in.ChannelID)
		return a.run.Run(ctx, actor, text+" --plan")
	}, apply)
	if !inTime {
		return DialogResponse{} // the dialog closes; apply posts what follows
	}
	if plan.Status != ops.StatusOK {
		msg := truncateRunes(strings.TrimSpace(plan.Summary()), 1000)
		field := plan.Field
		if field == "" || !slices.ContainsFunc(a.dialog(c, in.ChannelID).Elements, func(e DialogElement) bool { return e.Name == field }) {
			return DialogResponse{Error: msg}
		}
		return DialogResponse{Errors: map[string]string{field: msg}}
	}
	a.spawn(func(ctx context.Context) { apply(ctx, plan) })
	return DialogResponse{}
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
