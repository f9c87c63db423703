// Package ops is poolvisor's platform-neutral core: the Operation a user asks
// for, the Actor who asks, the Result they get back, and the one Pipeline that
// every surface (shell, Slack, Discord, buttons and forms) goes through:
// authorize, plan, approval gate, apply, audit.
//
// Nothing in this package knows about a chat platform.
package ops

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	commands "github.com/poolvisor/poolvisor/internal/catalog"

	"github.com/poolvisor/poolvisor/internal/secret"
)

// nameRE is SPEC §1's rule for the names of pools and programs.
var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`) })

// ValidName reports whether s is a valid pool or program name: 1 to 64
// letters, digits, '_', '.' or '-', starting with a letter or digit.
func ValidName(s string) bool { return nameRE().MatchString(s) }

// Actor is the person (or script) behind a request, identified by an
// immutable platform ID. Name is for display only and never decides access.
type Actor struct {
	Platform string   `json:"platform"`         // "local", "slack", "discord"
	ID       string   `json:"id"`               // OS user name, Slack user ID, Discord snowflake
	Name     string   `json:"name,omitempty"`   // display name
	Groups   []string `json:"groups,omitempty"` // Slack user group IDs, Discord role IDs
	// Channel is the chat channel the request came from, when there is one;
	// in fleet mode it chooses the default host (config key channels).
	Channel string `json:"channel,omitempty"`
	// GroupsStale says Groups could not be confirmed with the platform for
	// longer than it trusts them (Slack rate-limiting its membership API):
	// reads may use them, writes may not rest on them.
	GroupsStale bool `json:"groups_stale,omitempty"`
}

// String returns the actor's stable identity, like "slack:U012ABCDEF".
func (a Actor) String() string { return a.Platform + ":" + a.ID }

// Same reports whether a and b are the same identity.
func (a Actor) Same(b Actor) bool { return a.Platform == b.Platform && a.ID == b.ID }

// Arg is one flag of an operation, in the order the user gave it. Flags that
// may repeat (--set) appear once per occurrence.
type Arg struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Operation is one parsed request: what to do, to which target, on which host.
type Operation struct {
	Name   string `json:"name"`             // dotted name, also the RBAC permission
	Host   string `json:"host,omitempty"`   // target host; empty means the default host
	Target string `json:"target,omitempty"` // pool, program, GROUP:*, all, approval ID, ...
	Args   []Arg  `json:"args,omitempty"`
	DryRun bool   `json:"dry_run,omitempty"` // --plan: validate and show, apply nothing
	Text   string `json:"text,omitempty"`    // the request as typed, for the audit trail
}

// Get returns the last value given for key.
func (o Operation) Get(key string) (string, bool) {
	for i := len(o.Args) - 1; i >= 0; i-- {
		if o.Args[i].Key == key {
			return o.Args[i].Value, true
		}
	}
	return "", false
}

// All returns every value given for key, in order.
func (o Operation) All(key string) []string {
	var vs []string
	for _, a := range o.Args {
		if a.Key == key {
			vs = append(vs, a.Value)
		}
	}
	return vs
}

// Has reports whether key was given.
func (o Operation) Has(key string) bool {
	_, ok := o.Get(key)
	return ok
}

// Describe returns a short human form of the operation, like
// "supervisor.program.restart queue".
func (o Operation) Describe() string {
	var b strings.Builder
	b.WriteString(o.Name)
	if o.Target != "" {
		b.WriteString(" " + o.Target)
	}
	for _, a := range RedactArgs(o.Args) {
		switch positional, isSwitch := commands.Spelling(o.Name, a.Key); {
		case positional:
			fmt.Fprintf(&b, " %s", a.Value)
		case isSwitch && a.Value == "true":
			fmt.Fprintf(&b, " --%s", a.Key)
		default:
			fmt.Fprintf(&b, " --%s %s", a.Key, a.Value)
		}
	}
	return b.String()
}

// RedactArgs returns args as logs and the audit trail keep them: the value
// of a flag that names a secret (--password) is masked; a --set KEY=VALUE
// keeps its key and masks a secret value, and of supervisord's
// environment only the secret variables; a whole file (content) has its
// secrets masked line by line. Other values are kept, but any NAME=value
// in them whose NAME is a secret (--command "app --api-key=x") is masked.
func RedactArgs(args []Arg) []Arg {
	out := make([]Arg, len(args))
	for i, a := range args {
		out[i] = a
		switch a.Key {
		case "set":
			if k, v, ok := strings.Cut(a.Value, "="); ok {
				out[i].Value = k + "=" + redactValue(k, v)
			} else {
				out[i].Value = secret.Pairs(a.Value)
			}
		case "content":
			out[i].Value = secret.File(a.Value)
		default:
			out[i].Value = redactValue(a.Key, a.Value)
		}
	}
	return out
}

func redactValue(key, value string) string {
	if v := secret.Value(key, value); v != value {
		return v
	}
	return secret.Pairs(value)
}

// RedactText returns a command line as typed with its secrets masked (see
// secret.Text), for the audit trail and for messages that quote it.
func RedactText(text string) string { return secret.Text(text) }

// Redacted returns op as answers may show it: its args and text redacted.
func (o Operation) Redacted() Operation {
	o.Args = RedactArgs(o.Args)
	if o.Text != "" {
		o.Text = RedactText(o.Text)
	}
	return o
}
