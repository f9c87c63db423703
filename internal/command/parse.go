package command

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/suggest"
)

// Parser implements ops.Parser for the grammar of SPEC §1.
type Parser struct{}

var _ ops.Parser = Parser{}

// ValidName reports whether s is a valid pool, program or host name.
func ValidName(s string) bool { return ops.ValidName(s) }

// Parse implements ops.Parser. The text may start with the slash command
// (`/supervisor status`) or without the slash (`supervisor status`).
func (Parser) Parse(text string) (ops.Operation, error) { return std().parse(text) }

func (g *grammar) parse(text string) (ops.Operation, error) {
	words, err := tokenize(strings.TrimSpace(text))
	if err != nil {
		return ops.Operation{}, ops.Invalidf("%s", err)
	}
	if len(words) == 0 {
		return ops.Operation{}, ops.Invalidf("empty command; try /ops help")
	}
	words[0] = strings.TrimPrefix(words[0], "/")
	sp, n := g.lookup(words)
	if sp == nil {
		return ops.Operation{}, g.unknown(words)
	}
	op := ops.Operation{Name: sp.Op}
	op.Args = append(op.Args, fixedArgs(sp)...)
	if err := g.parseRest(sp, words[n:], &op); err != nil {
		return ops.Operation{Name: sp.Op}, err
	}
	return applied(sp, op)
}

// applied turns op into its command's ApplyOp when --apply was given, and
// refuses --plan without it: only the write has a plan to show.
func applied(sp *catalog.Command, op ops.Operation) (ops.Operation, error) {
	if sp.ApplyOp == "" {
		return op, nil
	}
	if _, ok := op.Get(catalog.ApplyFlag.Name); ok {
		kept := op.Args[:0:0]
		for _, a := range op.Args {
			if a.Key != catalog.ApplyFlag.Name {
				kept = append(kept, a)
			}
		}
		op.Name, op.Args = sp.ApplyOp, kept
		return op, nil
	}
	if op.DryRun {
		return op, ops.InvalidField(catalog.PlanFlag.Name, "--plan goes with --apply: %s alone changes nothing (usage: %s)", strings.Join(sp.Words, " "), sp.Usage)
	}
	return op, nil
}

// lookup finds the spec whose words (or alias words) are the longest prefix
// of words, and how many words it took.
func (g *grammar) lookup(words []string) (*catalog.Command, int) {
	var best *catalog.Command
	bestN := 0
	for i := range g.commands {
		for _, path := range append([][]string{g.commands[i].Words}, g.commands[i].Aliases...) {
			if len(path) > bestN && len(path) <= len(words) && slices.Equal(path, words[:len(path)]) {
				best, bestN = &g.commands[i], len(path)
			}
		}
	}
	return best, bestN
}

// fixedArgs are the arguments sp's words imply.
func fixedArgs(sp *catalog.Command) []ops.Arg {
	var out []ops.Arg
	for _, kv := range sp.Fixed {
		out = append(out, ops.Arg{Key: kv.Key, Value: kv.Value})
	}
	return out
}

func (g *grammar) unknown(words []string) error {
	top := words[0]
	if top != "fpm" && top != "supervisor" && top != "ops" {
		return ops.Invalidf("unknown command %q: commands start with /fpm, /supervisor or /ops (try /ops help)", top)
	}
	if len(words) == 1 {
		return ops.Invalidf("/%s needs a subcommand; try /%s help", top, top)
	}
	attempt := strings.Join(words[1:min(len(words), 3)], " ")
	var verbs []string
	for _, sp := range g.commands {
		if sp.Words[0] == top {
			verbs = append(verbs, sp.Words[1])
		}
	}
	msg := fmt.Sprintf("unknown command %q", "/"+top+" "+attempt)
	if best := suggest.Closest(words[1], verbs); best != "" {
		msg += fmt.Sprintf("; did you mean /%s %s?", top, best)
	}
	return ops.Invalidf("%s (try /%s help)", msg, top)
}

func (g *grammar) parseRest(sp *catalog.Command, words []string, op *ops.Operation) error {
	var positional []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w, "--") || len(w) == 2 {
			positional = append(positional, w)
			continue
		}
		name, value, hasValue := strings.Cut(w[2:], "=")
		if name == "json" {
			return ops.Invalidf("--json is an option of `poolvisor exec`, before the --")
		}
		fs, ok := g.flags[name]
		if !ok || !takes(sp, name) {
			return ops.Invalidf("%s does not take --%s (usage: %s)", strings.Join(sp.Words, " "), name, sp.Usage)
		}
		if fs.Type == catalog.Switch {
			if hasValue {
				return ops.InvalidField(name, "--%s takes no value", name)
			}
			switch name {
			case "plan":
				op.DryRun = true
			default:
				op.Args = append(op.Args, ops.Arg{Key: name, Value: "true"})
			}
			continue
		}
		if !hasValue {
			if i+1 >= len(words) {
				return ops.InvalidField(name, "--%s needs a value (usage: %s)", name, sp.Usage)
			}
			i++
			value = words[i]
		}
		if err := checkFlag(name, fs, value); err != nil {
			return err
		}
		if name == "host" {
			// Never the last one wins: a value that smuggled a second
			// --host would move a write to other hosts.
			if op.Host != "" {
				return ops.InvalidField(name, "--host is given twice")
			}
			op.Host = value
			continue
		}
		if fs.Type != catalog.Repeat && op.Has(name) {
			return ops.InvalidField(name, "--%s is given twice", name)
		}
		op.Args = append(op.Args, ops.Arg{Key: name, Value: value})
	}
	return bindArgs(sp, positional, op)
}

func checkFlag(name string, fs catalog.Flag, value string) error {
	switch fs.Type {
	case catalog.Int:
		if _, err := strconv.ParseUint(value, 10, 31); err != nil {
			return ops.InvalidField(name, "--%s must be a whole number, not %q", name, value)
		}
	case catalog.Choice:
		if !slices.Contains(fs.Choices, value) {
			return ops.InvalidField(name, "--%s must be one of %s, not %q", name, strings.Join(fs.Choices, ", "), value)
		}
	case catalog.Repeat:
		if k, _, ok := strings.Cut(value, "="); !ok || k == "" {
			return ops.InvalidField(name, "--%s takes KEY=VALUE, not %q", name, value)
		}
	case catalog.Duration:
		if d, err := catalog.ParseDuration(value); err != nil || d == 0 {
			return ops.InvalidField(name, "--%s takes a duration above zero, like 90s, 5m or 7d, not %q", name, value)
		}
	}
	if name == "host" && !ValidName(value) {
		return ops.InvalidField(name, "--host must be a host name, a host group or all, not %q", value)
	}
	if name == InstanceFlag && !ValidName(value) {
		return ops.InvalidField(name, "--php must name a PHP-FPM instance, like 8.3 (see /fpm status), not %q", value)
	}
	return nil
}

func bindArgs(sp *catalog.Command, positional []string, op *ops.Operation) error {
	for i, a := range sp.Args {
		if i >= len(positional) {
			if a.Optional {
				return nil
			}
			return ops.Invalidf("missing %s (usage: %s)", a.Name, sp.Usage)
		}
		v := positional[i]
		if a.Kind == catalog.Rest {
			op.Args = append(op.Args, ops.Arg{Key: "reason", Value: strings.Join(positional[i:], " ")})
			return nil
		}
		if a.Kind == catalog.Who {
			v = Who(v)
		}
		if err := checkArg(a, v); err != nil {
			return err
		}
		if i == 0 {
			op.Target = v
		} else {
			op.Args = append(op.Args, ops.Arg{Key: strings.ToLower(a.Name), Value: v})
		}
	}
	if len(positional) > len(sp.Args) {
		return ops.Invalidf("unexpected %q (usage: %s)", positional[len(sp.Args)], sp.Usage)
	}
	return nil
}

func checkArg(a catalog.Arg, v string) error {
	switch a.Kind {
	case catalog.Pool, catalog.Program:
		if !ValidName(v) {
			return ops.Invalidf("%q is not a valid name: use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit", v)
		}
	case catalog.Process:
		if v == "all" {
			return nil
		}
		group, name, grouped := strings.Cut(v, ":")
		if !ValidName(group) || (grouped && name != "*" && !ValidName(name)) {
			return ops.Invalidf("%q is not a program: use NAME, GROUP:NAME, GROUP:* or all", v)
		}
	case catalog.Approval:
		if len(v) > 32 || strings.ContainsFunc(v, func(r rune) bool { return !strings.ContainsRune(idChars, r) }) {
			return ops.Invalidf("%q is not an approval ID (see /ops approvals)", v)
		}
	case catalog.Count:
		if n, err := strconv.Atoi(v); err != nil || n < 1 {
			return ops.Invalidf("%s must be a whole number of at least 1, not %q", a.Name, v)
		}
	case catalog.Signal:
		if _, ok := catalog.SignalName(v); !ok {
			return ops.Invalidf("%q is not a signal poolvisor sends: use %s (with or without SIG)", v, strings.Join(catalog.Signals, ", "))
		}
	case catalog.Span:
		if d, err := catalog.ParseDuration(v); err != nil || d < 0 {
			return ops.InvalidField(strings.ToLower(a.Name), "%s takes a duration like 90s, 30m or 2h, not %q", a.Name, v)
		}
	case catalog.RoleName:
		if !roleNameRE().MatchString(v) {
			return ops.InvalidField(strings.ToLower(a.Name), "%q is not a role name (see /ops whoami)", v)
		}
	case catalog.Who:
		if !whoRE().MatchString(v) {
			return ops.InvalidField(strings.ToLower(a.Name), "%q is neither a person of rbac.people nor slack:ID, discord:ID or local:NAME", v)
		}
	case catalog.OneOf:
		if !slices.Contains(a.Choices, v) {
			return ops.Invalidf("expected %s, not %q", strings.Join(a.Choices, " or "), v)
		}
	}
	return nil
}

const idChars = "abcdefghijklmnopqrstuvwxyz0123456789"
