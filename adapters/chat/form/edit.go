package form

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// An edit form is a snapshot: it shows the item's values as they were when
// it opened, and someone may change the item before it is submitted. Sent
// whole, the submission would put back every value it showed and silently
// undo that change. So an edit sends only what the person changed, judged
// against what the form showed (not against the item at submission), and a
// field they changed whose value on the host is no longer the one the form
// showed is refused on that field rather than overwritten: they decided on
// a value they no longer see. A field they left alone is not sent at all,
// whatever happened to it meanwhile.
//
// What the form showed travels from opening to submission with the
// platform (Slack's private_metadata, Mattermost's signed dialog state,
// Discord's store behind a key in the modal's custom_id) as Shown: a short
// digest per field, never the value, so no value (a command line, an
// environment) is left in a chat platform's metadata or at rest. The
// digests are no secret and no guard against the person: one who forges
// them can only overwrite a change they could overwrite with a typed
// command anyway.

// Whole is the key in Errors of what concerns the whole form rather than a
// field: nothing to change, a form whose item could not be read again.
const Whole = ""

// Shown is what an edit form showed: each field that shows a directive, by
// name, with the digest of its starting value (an empty one included).
type Shown map[string]string

// digestLen is how many bytes of SHA-256 a digest keeps: a chance change
// going unnoticed is one in 2^72, and a form of fifteen fields stays far
// under Slack's 3000 characters of private_metadata.
const digestLen = 9

// digest is the digest of a field's value, as Text compares it.
func digest(v string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(v)))
	return base64.RawURLEncoding.EncodeToString(sum[:digestLen])
}

// Shown returns what an edit form shows, for the platform to carry to its
// submission; nil for a form that adds.
func (f Form) Shown() Shown {
	if !f.Edit() {
		return nil
	}
	s := Shown{}
	for _, fl := range f.Fields {
		if fl.Key != "" {
			s[fl.Name] = digest(fl.Value)
		}
	}
	return s
}

// Encode is s as one line, "name:digest,name:digest" in name order: the
// field names are flags' and the digests base64url, so neither holds ':'
// or ','.
func (s Shown) Encode() string {
	parts := make([]string, 0, len(s))
	for _, name := range slices.Sorted(maps.Keys(s)) {
		parts = append(parts, name+":"+s[name])
	}
	return strings.Join(parts, ",")
}

// DecodeShown reads what Encode wrote; ok is false for anything else.
func DecodeShown(line string) (Shown, bool) {
	s := Shown{}
	if line == "" {
		return s, true
	}
	for _, part := range strings.Split(line, ",") {
		name, d, ok := strings.Cut(part, ":")
		if !ok || name == "" || len(d) != base64.RawURLEncoding.EncodedLen(digestLen) {
			return nil, false
		}
		s[name] = d
	}
	return s, true
}

// Current returns the names of the fields the form showed with a value.
func (s Shown) Current() []string {
	var out []string
	for name, d := range s {
		if d != digest("") {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Base is what an edit form's submission is weighed against.
type Base struct {
	// Shown is what the form showed (Form.Shown), carried by the platform.
	Shown Shown
	// Now is the item's directives at submission (Form.Read).
	Now map[string]string
}

// Runner runs a command as an actor: every platform's way into the
// pipeline.
type Runner interface {
	Run(ctx context.Context, actor ops.Actor, text string) ops.Result
}

// ShowText is the read of the item an edit form is for, with its --host and
// --php: what opens the form, and what its submission is weighed against.
func (f Form) ShowText() string {
	parts := f.base(f.Target, f.PHP)
	parts[len(f.Cmd.Words)-1] = "show"
	return strings.Join(parts, " ")
}

// Read returns the directives of the item in a show's result, if it holds
// the item of f's kind.
func (f Form) Read(res ops.Result) (map[string]string, bool) {
	switch d := view.Decode(res.Data); {
	case f.Program() && d.Program != nil:
		return d.Program.Directives, true
	case !f.Program() && d.Pool != nil:
		return d.Pool.Directives, true
	}
	return nil, false
}

// Submit is Text for a submission by actor. For an edit it first reads the
// item again as actor (RBAC decides, as when the form opened) and weighs
// the values against shown and the item now; a read that fails is an error
// on the whole form. A form that adds reads nothing.
func (f Form) Submit(ctx context.Context, run Runner, actor ops.Actor, values map[string]string, shown Shown) (string, Errors) {
	if !f.Edit() {
		return f.Text(values, Base{})
	}
	if shown == nil {
		return "", Errors{Whole: reopen}
	}
	res := run.Run(ctx, actor, f.ShowText())
	if res.Status != ops.StatusOK {
		return "", Errors{Whole: fmt.Sprintf("%s could not be read again, so nothing was changed: %s", f.Target, cut(strings.TrimSpace(res.Summary()), 300))}
	}
	now, ok := f.Read(res)
	if !ok {
		return "", Errors{Whole: fmt.Sprintf("The current values of %s could not be read, so nothing was changed.", f.Target)}
	}
	return f.Text(values, Base{Shown: shown, Now: now})
}

// reopen is the answer to an edit whose platform did not carry what the
// form showed (a form opened before poolvisor kept it, or whose keeping
// expired).
const reopen = "This form no longer knows what it showed; nothing was changed. Open it again."

// Nothing is the answer to an edit that changes nothing.
func (f Form) Nothing() string {
	return fmt.Sprintf("Nothing to change: no field differs from what the form showed, or %s already holds what you changed.", f.Target)
}

// edited weighs field fl's submitted value v of an edit against what the
// form showed and the item now: whether to send it, or what is wrong.
func (fl Field) edited(v string, base Base) (send bool, msg string) {
	if fl.Key == "" {
		return v != "", "" // a field that shows no directive (--set lines)
	}
	shown, ok := base.Shown[fl.Name]
	if !ok {
		return false, reopen
	}
	if digest(fl.canonical(v)) == shown {
		return false, "" // left as the form showed it
	}
	now := fl.canonical(directive(base.Now, fl.Key))
	switch {
	case digest(now) == shown:
		return true, ""
	case strings.TrimSpace(now) == strings.TrimSpace(fl.canonical(v)):
		return false, "" // someone made the same change meanwhile
	}
	return false, changed(now)
}

// changed is the refusal of a field whose value on the host (now) is no
// longer the one its form showed.
func changed(now string) string {
	if strings.TrimSpace(now) == "" {
		return "Changed since this form was opened (now unset); open the form again to see it."
	}
	return fmt.Sprintf("Changed since this form was opened (now %q); open the form again to see it.", cut(now, 80))
}

// Sent is what an edit with values sends, as Text weighs it against
// shown: the digest of each field's value it changes (no value), for a
// platform that applies the edit later than it weighed it (Discord's
// Apply button) to keep beside shown and give Recheck.
func (f Form) Sent(values map[string]string, shown Shown) Shown {
	s := Shown{}
	for _, fl := range f.Fields {
		d, ok := shown[fl.Name]
		v := fl.canonical(strings.TrimSpace(values[fl.Name]))
		if fl.Key != "" && ok && v != "" && digest(v) != d {
			s[fl.Name] = digest(v)
		}
	}
	return s
}

// Recheck weighs an edit again just before it is applied, when that is a
// click after its plan rather than its submission: reading the item as
// actor, each field it sends (sent, from Sent) must still hold what the
// form showed, or already what is sent. Else the field is refused as Text
// refuses it, and nothing is to be applied: the member decided on a value
// they no longer see, and Apply would silently overwrite the change.
func (f Form) Recheck(ctx context.Context, run Runner, actor ops.Actor, shown, sent Shown) Errors {
	if !f.Edit() || len(sent) == 0 {
		return nil
	}
	res := run.Run(ctx, actor, f.ShowText())
	if res.Status != ops.StatusOK {
		return Errors{Whole: fmt.Sprintf("%s could not be read again, so nothing was changed: %s", f.Target, cut(strings.TrimSpace(res.Summary()), 300))}
	}
	now, ok := f.Read(res)
	if !ok {
		return Errors{Whole: fmt.Sprintf("The current values of %s could not be read, so nothing was changed.", f.Target)}
	}
	errs := Errors{}
	for _, fl := range f.Fields {
		d, sends := sent[fl.Name]
		if !sends || fl.Key == "" {
			continue
		}
		n := fl.canonical(directive(now, fl.Key))
		if h := digest(n); h != shown[fl.Name] && h != d {
			errs[fl.Name] = changed(n)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// directive is the value of key in directives, its key compared without
// case as Prefill does.
func directive(directives map[string]string, key string) string {
	for k, v := range directives {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}
