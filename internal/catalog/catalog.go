// Package catalog declares poolvisor's commands once: every operation with
// its kind and whether it asks for approval by default, and every flag
// with its type, choices, the directive it sets and how a form shows it.
// The grammar and its help (internal/command), the backends' flag to
// directive maps (internal/phpfpm, internal/supervisor), the approval
// defaults (internal/config), and each chat platform's command tree and
// forms are derived from it, so a flag added here appears everywhere.
//
// The package imports nothing of poolvisor's, so every layer may import it.
package catalog

import "slices"

// Type says whether a flag takes a value and what kind.
type Type int

// Types of flag.
const (
	String   Type = iota
	Int           // a whole number ≥ 0
	Switch        // no value: present or not
	Choice        // one of Choices
	Repeat        // KEY=VALUE, may be given many times (--set)
	Duration      // Go's form, like 90s or 5m, above zero
)

// Form is the set of chat forms that show a flag as a field. Discord's
// modals hold five inputs, so it shows the most useful few; Slack's hold
// many more.
type Form uint8

// The forms a flag may appear in.
const (
	SlackForm Form = 1 << iota
	DiscordForm

	BothForms = SlackForm | DiscordForm
)

// Flag is one flag of the grammar (--Name), which is also the option of
// the same name in Discord's command tree and the field of the same ID in
// the forms.
type Flag struct {
	Name    string
	Type    Type
	Choices []string // for Choice
	// Default is the value a form that adds a pool or program starts with.
	Default string
	// Key is the directive (pool) or key (program) the flag sets, if it
	// sets one.
	Key string
	// Desc says what the flag is in a line (Discord's option description).
	Desc string
	// Label and Hint are the flag's field in a form.
	Label, Hint string
	// Forms are the forms that show it; Required, whether they insist.
	Forms    Form
	Required bool
}

// In reports whether forms shows f.
func (f Flag) In(form Form) bool { return f.Forms&form != 0 }

// Set is the flag that sets any other directive, KEY=VALUE (--set).
const Set = "set"

// Target is the field of a form that names the pool or program it adds;
// an error about that name concerns it.
const Target = "name"

// Instance is the flag that picks a PHP-FPM installation, which every
// /fpm command takes (SPEC §6).
const Instance = "php"

// Lookup returns the flag of flags named name.
func Lookup(flags []Flag, name string) (Flag, bool) {
	i := slices.IndexFunc(flags, func(f Flag) bool { return f.Name == name })
	if i < 0 {
		return Flag{}, false
	}
	return flags[i], true
}

// FlagOf returns the flag of flags that sets the directive key (compared
// as given: callers fold case where their format does), or "".
func FlagOf(flags []Flag, key string) string {
	for _, f := range flags {
		if f.Key != "" && f.Key == key {
			return f.Name
		}
	}
	return ""
}

// Directives returns the flags of flags that set a directive, in order.
func Directives(flags []Flag) []Flag {
	var out []Flag
	for _, f := range flags {
		if f.Key != "" {
			out = append(out, f)
		}
	}
	return out
}

// InForm returns the flags of flags that form shows, in order.
func InForm(flags []Flag, form Form) []Flag {
	var out []Flag
	for _, f := range flags {
		if f.In(form) {
			out = append(out, f)
		}
	}
	return out
}
