package form

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/command"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// Errors are what is wrong with a submission, by the name of the field
// each concerns.
type Errors map[string]string

// Text turns the values submitted in form f (by field name; fields the
// form lacks are ignored) into the command text they stand for: the
// command's words, the name, --host and --php, then one flag for each
// filled field in the form's order (--set once per line). What can be told
// without running anything is checked by the field's type, and comes back
// in Errors, with no command.
//
// An edit (see edit.go) sends only the fields changed from what the form
// showed (base.Shown), refuses on its field one whose value on the host
// (base.Now) is no longer what the form showed, and refuses emptying a
// field shown with a value. An edit that changes nothing is an error on
// the whole form (Whole, Form.Nothing): there is nothing to run.
func (f Form) Text(values map[string]string, base Base) (string, Errors) {
	errs := Errors{}
	if f.Edit() && base.Shown == nil {
		return "", Errors{Whole: reopen}
	}
	current, changes := base.Shown.Current(), 0
	name := f.Target
	if _, asks := f.Field(catalog.Target); asks {
		name = strings.TrimSpace(values[catalog.Target])
	}
	if !ops.ValidName(name) {
		errs[catalog.Target] = "Use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit."
	}
	php := f.PHP
	if _, asks := f.Field(catalog.Instance); asks && php == "" {
		php = strings.TrimSpace(values[catalog.Instance])
	}
	parts := f.base(name, php)
	for _, fl := range f.Fields {
		if fl.Name == catalog.Target || fl.Name == catalog.Instance {
			if fl.Name == catalog.Instance {
				if msg := fl.check(php); msg != "" {
					errs[fl.Name] = msg
				}
			}
			continue
		}
		v := strings.TrimSpace(values[fl.Name])
		if f.Edit() {
			send, msg := fl.edited(v, base)
			if msg != "" {
				errs[fl.Name] = msg
			}
			if !send {
				continue
			}
		}
		changes++
		if v == "" {
			if slices.Contains(current, fl.Name) {
				errs[fl.Name] = fmt.Sprintf("A form cannot remove %s; remove it in the whole file: edit %s --raw.", firstNonEmpty(fl.Key, fl.Name), f.Target)
			}
			continue
		}
		if fl.Type == catalog.Repeat {
			for _, line := range strings.Split(v, "\n") {
				if line = strings.TrimSpace(line); line == "" {
					continue
				}
				if strings.ContainsAny(line, "\r\x00") {
					errs[fl.Name] = oneLine
					continue
				}
				if k, _, ok := strings.Cut(line, "="); !ok || strings.TrimSpace(k) == "" {
					errs[fl.Name] = fmt.Sprintf("Write one KEY=VALUE a line; %q has no KEY=.", cut(line, 80))
					continue
				}
				parts = append(parts, "--"+fl.Name, command.Word(line))
			}
			continue
		}
		if msg := fl.check(v); msg != "" {
			errs[fl.Name] = msg
			continue
		}
		parts = append(parts, "--"+fl.Name, command.Word(fl.canonical(v)))
	}
	if len(errs) > 0 {
		return "", errs
	}
	if f.Edit() && changes == 0 {
		return "", Errors{Whole: f.Nothing()}
	}
	return strings.Join(parts, " "), nil
}

// oneLine refuses a line break or NUL where the grammar takes one word: it
// would reach the grammar's refusal, which names no field.
const oneLine = "One line only: line breaks and NUL characters are not allowed."

// check says what is wrong with v for the field's type, or "".
func (fl Field) check(v string) string {
	switch fl.Type {
	case catalog.Int:
		if _, err := strconv.ParseUint(v, 10, 31); err != nil {
			return fmt.Sprintf("%s takes a whole number of 0 or more; got %q.", fl.Label, cut(v, 40))
		}
	case catalog.Choice:
		if !slices.ContainsFunc(fl.Choices, func(c string) bool { return strings.EqualFold(c, v) }) {
			return fmt.Sprintf("%s takes one of %s; got %q.", fl.Label, strings.Join(fl.Choices, ", "), cut(v, 40))
		}
	case catalog.Duration:
		if d, err := catalog.ParseDuration(v); err != nil || d <= 0 {
			return fmt.Sprintf("%s takes a duration above zero, like 90s or 5m; got %q.", fl.Label, cut(v, 40))
		}
	}
	if strings.ContainsAny(v, "\r\n\x00") {
		return oneLine
	}
	return ""
}

// canonical is v as the catalog spells it: a choice typed in another case
// (Discord's text inputs have no select) becomes the catalog's choice.
func (fl Field) canonical(v string) string {
	if i := slices.IndexFunc(fl.Choices, func(c string) bool { return strings.EqualFold(c, v) }); i >= 0 {
		return fl.Choices[i]
	}
	return v
}

// cut shortens s to n runes for an error message.
func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
