package slack

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	slackgo "github.com/slack-go/slack"

	model "github.com/poolvisor/poolvisor/adapters/chat/form"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// actionPreview is the action ID of a form's Preview button (SPEC §1: in
// chat forms, Preview does what --plan does). It carries no value: the
// click is not a command of its own but the form's values, read from the
// view when it comes.
const (
	actionPreview = actionPrefix + "preview"
	blockPreview  = "preview" // the block_id of the Preview button's row
)

// withPreview adds the Preview button to a form, and below it what the
// last preview showed, if any. m is stored again as the view's
// private_metadata, so that a preview keeps what the form opened with
// (which fields were prefilled) rather than what the preview typed in.
func withPreview(v *slackgo.ModalViewRequest, m meta, shown []slackgo.Block) {
	btn := slackgo.NewButtonBlockElement(actionPreview, "", plain("Preview"))
	row := slackgo.NewActionBlock(blockPreview, btn)
	note := contextText("*Preview* checks the form as `--plan` does and shows exactly what would change; nothing is applied until *Apply*.")
	blocks := append(v.Blocks.BlockSet, row, note)
	blocks = append(blocks, shown...)
	v.Blocks.BlockSet = fitBlocks(blocks, maxModalBlocks)
	raw, _ := json.Marshal(m)
	v.PrivateMetadata = truncate(string(raw), maxPrivateMetadata)
}

// preview answers a click on a form's Preview button: the form's values
// run as their command with --plan, as the clicking user, and the form is
// redrawn in place (views.update) with the values as typed and, below
// them, the plan and its diffs or each problem found. The form stays open
// and nothing is applied. Slack wants only an acknowledgement; the plan
// follows when it is ready.
func (a *Adapter) preview(ctx context.Context, cb slackgo.InteractionCallback) {
	kind, ok := strings.CutPrefix(cb.View.CallbackID, actionPrefix)
	if !ok || cb.View.ID == "" {
		return
	}
	var m meta
	_ = json.Unmarshal([]byte(cb.View.PrivateMetadata), &m)
	f := form{Kind: formKind(kind), Name: m.Name, PHP: m.PHP}
	values := submitted(cb.View.State)
	viewID, hash := cb.View.ID, cb.View.Hash
	a.bg.Go(func(ctx context.Context) {
		var shown []slackgo.Block
		fm := a.modelWith(f, values, m.shown().Current())
		actor := a.actorIn(ctx, cb.User.ID, firstNonEmpty(cb.User.Name, cb.User.Profile.DisplayName), m.Channel)
		if req, errs := a.buildRequest(ctx, actor, f, values, m); len(errs) > 0 {
			shown = fieldProblems(fieldsOf(f, fm), errs)
		} else {
			shown = Render(req.run(ctx, a.run, actor, true)).Blocks
		}
		shown = append([]slackgo.Block{slackgo.NewDividerBlock()}, shown...)
		scratch := meta{Channel: m.Channel, ResponseURL: m.ResponseURL, Name: m.Name}
		v := a.buildView(f, fm, values[fieldContent], &scratch)
		withPreview(&v, m, shown)
		a.updateView(ctx, v, viewID, hash)
	})
}

// fieldProblems lists what is wrong with a form's values, field by field,
// in the form's order: a preview cannot mark the fields themselves (only
// an answer to a submission can).
func fieldProblems(fields []model.Field, errs model.Errors) []slackgo.Block {
	labels := map[string]string{}
	order := map[string]int{}
	for i, fl := range fields {
		labels[fl.Name], order[fl.Name] = fl.Label, i
	}
	ids := make([]string, 0, len(errs))
	for id := range errs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return order[ids[i]] < order[ids[j]] })
	lines := []string{statusMarks[ops.StatusInvalid] + " *The form cannot be applied as it is:*"}
	for _, id := range ids {
		if id == model.Whole {
			lines = append(lines, "• "+escape(truncate(errs[id], maxFieldError)))
			continue
		}
		lines = append(lines, "• *"+escape(firstNonEmpty(labels[id], id))+"*: "+escape(truncate(errs[id], maxFieldError)))
	}
	var out []slackgo.Block
	for _, c := range chunkLines(lines, maxSectionText) {
		out = append(out, section(c))
	}
	return out
}

// updateView redraws an open modal. hash makes Slack refuse the update
// when the view changed since the click (a newer preview): the newer one
// wins.
func (a *Adapter) updateView(ctx context.Context, v slackgo.ModalViewRequest, viewID, hash string) {
	if _, err := a.api.UpdateViewContext(ctx, v, "", hash, viewID); err != nil {
		a.log.Warn("slack: could not show a form's preview", "view", viewID, "err", err)
	}
}

// problemsText is what is wrong with a form's values as a plain message,
// for a submission whose form has closed (too late to show it inline).
func problemsText(fields []model.Field, errs model.Errors) string {
	lines := []string{"Nothing was applied; the form cannot be applied as it is:"}
	for _, fl := range append([]model.Field{{Name: model.Whole}}, fields...) {
		if msg, ok := errs[fl.Name]; ok {
			lines = append(lines, "• "+strings.TrimPrefix(fl.Label+": ", ": ")+truncate(msg, maxFieldError))
		}
	}
	return strings.Join(lines, "\n")
}
