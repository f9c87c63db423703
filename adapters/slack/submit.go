package slack

import (
	"context"
	"encoding/json"
	"strings"

	slackgo "github.com/slack-go/slack"

	model "github.com/poolvisor/poolvisor/adapters/chat/form"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// maxFieldError bounds an inline error under a form field.
const maxFieldError = 1000

// formRequest is what a submitted form asks for: command text, or for a raw
// edit an operation (the file cannot be command text: it has line breaks).
type formRequest struct {
	text string
	op   *ops.Operation
}

func (r formRequest) run(ctx context.Context, run Runner, actor ops.Actor, dry bool) ops.Result {
	if r.op != nil {
		op := *r.op
		op.DryRun = dry
		return run.Execute(ctx, actor, op)
	}
	text := r.text
	if dry {
		text += " --plan"
	}
	return run.Run(ctx, actor, text)
}

func (r formRequest) describe() string {
	if r.op != nil {
		return r.op.Text
	}
	return "/" + r.text
}

// viewSubmission checks a submitted form with a dry run (--plan) as the
// submitting user. Invalid values come back inline, on their field, and
// nothing changes; a valid form closes and is applied in the background,
// its result posted in the channel where the form was asked for.
func (a *Adapter) viewSubmission(ctx context.Context, cb slackgo.InteractionCallback) any {
	kind, ok := strings.CutPrefix(cb.View.CallbackID, actionPrefix)
	if !ok {
		return nil
	}
	var m meta
	_ = json.Unmarshal([]byte(cb.View.PrivateMetadata), &m)
	f := form{Kind: formKind(kind), Name: m.Name, PHP: m.PHP}
	values := submitted(cb.View.State)
	a.responses.seen(m.ResponseURL)
	o := origin{Channel: m.Channel, User: cb.User.ID, ResponseURL: m.ResponseURL}
	viewID := cb.View.ID
	var (
		actor ops.Actor
		req   formRequest
		errs  model.Errors
	)
	// An edit reads its item again before it is weighed (the form model),
	// so its request is built in the background, within Slack's time; any
	// other is checked at once, as it needs nothing but its values.
	reads := !f.raw() && a.model(f).Edit()
	if !reads {
		if req, errs = a.buildRequest(ctx, ops.Actor{}, f, values, m); len(errs) > 0 {
			return slackgo.NewErrorsViewSubmissionResponse(inline(errs, f, a.model(f)))
		}
		o.Command = req.describe()
	}
	plan, inTime := a.bg.Within(a.wait, func(ctx context.Context) ops.Result {
		actor = a.actorIn(ctx, cb.User.ID, firstNonEmpty(cb.User.Name, cb.User.Profile.DisplayName), m.Channel)
		if !reads {
			return req.run(ctx, a.run, actor, true)
		}
		if req, errs = a.buildRequest(ctx, actor, f, values, m); len(errs) > 0 {
			return ops.Result{Status: ops.StatusInvalid, Message: problemsText(fieldsOf(f, a.model(f)), errs)}
		}
		o.Command = req.describe()
		return req.run(ctx, a.run, actor, true)
	}, func(ctx context.Context, plan ops.Result) {
		a.applyForm(ctx, viewID, o, actor, req, plan)
	})
	if !inTime {
		return nil // the form closes; applyForm posts what follows
	}
	if len(errs) > 0 {
		return slackgo.NewErrorsViewSubmissionResponse(inline(errs, f, a.model(f)))
	}
	if plan.Status != ops.StatusOK {
		msg := strings.TrimSpace(plan.Message)
		return slackgo.NewErrorsViewSubmissionResponse(map[string]string{
			errorField(plan, f, a.model(f)): truncate(msg, maxFieldError),
		})
	}
	a.bg.Go(func(ctx context.Context) { a.applyForm(ctx, viewID, o, actor, req, plan) })
	return nil
}

// inline is errs as Slack shows them, under fields: what concerns the whole
// form (model.Whole) under its first field, since Slack shows a form's
// errors only under one.
func inline(errs model.Errors, f form, fm model.Form) map[string]string {
	out := make(map[string]string, len(errs))
	for field, msg := range errs {
		if field == model.Whole {
			field = fieldsOf(f, fm)[0].Name
		}
		out[field] = strings.TrimSpace(out[field] + " " + truncate(msg, maxFieldError))
	}
	return out
}

// applyForm applies a checked form once (a retried submission is claimed
// and dropped) and posts the result.
func (a *Adapter) applyForm(ctx context.Context, viewID string, o origin, actor ops.Actor, req formRequest, plan ops.Result) {
	if plan.Status != ops.StatusOK {
		a.send(ctx, o, Render(plan), visEphemeral) // too late to show it in the form
		return
	}
	if first, err := a.claim(ctx, "view:"+viewID); err != nil || !first {
		return
	}
	a.deliver(ctx, o, actor, req.run(ctx, a.run, actor, false))
}

// submitted reads a view's state: block_id -> the typed or selected value.
func submitted(state *slackgo.ViewState) map[string]string {
	out := map[string]string{}
	if state == nil {
		return out
	}
	for block, actions := range state.Values {
		act, ok := actions[valueAction]
		if !ok {
			continue
		}
		out[block] = act.Value
		if act.SelectedOption.Value != "" {
			out[block] = act.SelectedOption.Value
		}
	}
	return out
}

// buildRequest turns a form's values into the command it stands for
// (through the form model, as every platform's forms), or into errors by
// field for what can be told without running anything; an edit is
// weighed against what its form showed and the item read again as actor.
// A raw editor's file is an operation of its own.
func (a *Adapter) buildRequest(ctx context.Context, actor ops.Actor, f form, values map[string]string, m meta) (formRequest, model.Errors) {
	if f.raw() {
		edit := map[bool]string{true: "supervisor.program.edit", false: "fpm.pool.edit"}[f.program()]
		fm, _ := model.RawEditor(edit, m.Name, f.PHP)
		op := fm.RawOperation(values[fieldContent], m.Shown) // m.Shown: the digest of the file shown
		return formRequest{op: &op}, nil
	}
	text, errs := a.model(f).Submit(ctx, a.run, actor, values, m.shown())
	if len(errs) > 0 {
		return formRequest{}, errs
	}
	return formRequest{text: text}, nil
}

// errorField picks the field of form fm a refused plan is about: the flag
// or name its error concerns (Result.Field), when the form has that field.
// An error that concerns none of them (the checks of php-fpm -t and
// supervisord themselves, about the whole file; a flag this form has no
// field for, like --preset) goes on the form's first field: Slack shows a
// form's errors only under a field.
func errorField(res ops.Result, f form, fm model.Form) string {
	if field := fm.ErrorField(res); field != "" {
		return field
	}
	return fieldsOf(f, fm)[0].Name
}
