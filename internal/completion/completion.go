// Package completion writes poolvisor's shell completion scripts (bash,
// zsh, fish) from the command catalog: the words of every command after
// `exec --` (and `console`'s), their flags, and the choices of flags and
// arguments that have them. A command added to the catalog completes
// without touching this package.
//
// Each script holds one table, a line per path of words: the path, a
// tab, and what may follow it. The shell finds the longest path that the
// words typed so far begin with, and offers its candidates.
package completion

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/poolvisor/poolvisor/internal/catalog"
)

// Subcommand is one of poolvisor's own subcommands and what may follow
// it: its flags (with their dashes, like --config) or its words.
type Subcommand struct {
	Name  string
	Words []string
}

// Shells are the shells Script writes for.
var Shells = []string{"bash", "zsh", "fish"}

// Lists are the catalog's live lists, whose names the scripts ask serve
// for where a command's argument takes one: the candidate @LIST stands
// for them (Marker).
var Lists = []string{catalog.PoolList, catalog.ProgramList}

// Marker is the candidate that stands for the names of list.
func Marker(list string) string { return "@" + list }

// Script returns the completion script for shell, for the program prog
// with the subcommands subs. The words of exec (after --) and status
// come from the catalog.
func Script(shell, prog string, subs []Subcommand) (string, error) {
	t, lists := table(subs), strings.Join(Lists, " ")
	switch shell {
	case "bash":
		return fmt.Sprintf(bashScript, prog, t, fname(prog), lists), nil
	case "zsh":
		return fmt.Sprintf(zshScript, prog, t, fname(prog), lists), nil
	case "fish":
		return fmt.Sprintf(fishScript, prog, t, fname(prog), lists), nil
	}
	return "", fmt.Errorf("no completion for %q: use one of %s", shell, strings.Join(Shells, ", "))
}

// fname is prog as part of a shell function's name.
func fname(prog string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' {
			return '_'
		}
		return r
	}, prog)
}

// table returns the lines of the table: "sub:NAME" paths for poolvisor's
// subcommands ("sub:" lists them), "cmd:WORDS" paths for the
// command text, "flag:--NAME" for the values of a flag with choices.
func table(subs []Subcommand) string {
	next := map[string][]string{}
	add := func(key string, words ...string) {
		for _, w := range words {
			if !slices.Contains(next[key], w) {
				next[key] = append(next[key], w)
			}
		}
	}
	for _, s := range subs {
		add("sub:", s.Name)
		add("sub:"+s.Name, s.Words...)
	}
	for _, c := range catalog.Commands {
		for _, words := range append([][]string{c.Words}, c.Aliases...) {
			for i := range words {
				add("cmd:"+strings.Join(words[:i], " "), words[i])
			}
			key := "cmd:" + strings.Join(words, " ")
			for _, f := range commandFlags(c) {
				add(key, "--"+f.Name)
				if len(f.Choices) > 0 {
					add("flag:--"+f.Name, f.Choices...)
				}
			}
			for _, a := range c.Args {
				add(key, a.Choices...)
				if l := a.List(); l != "" {
					add(key, Marker(l))
				}
			}
		}
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(next)) {
		fmt.Fprintf(&b, "%s\t%s\n", k, strings.Join(next[k], " "))
	}
	return b.String()
}

// commandFlags are the flags c takes: its own and the common ones that
// apply to it, as the grammar accepts them.
func commandFlags(c catalog.Command) []catalog.Flag {
	fs := append([]catalog.Flag{}, c.Flags...)
	fs = append(fs, catalog.HostFlag)
	if catalog.TakesInstance(c.Op) {
		fs = append(fs, catalog.PHPFlag)
	}
	write := isWrite(c.Op)
	if write || c.ApplyOp != "" {
		fs = append(fs, catalog.PlanFlag)
	}
	if c.ApplyOp != "" {
		fs = append(fs, catalog.ApplyFlag)
	}
	if write && ownerOf(c.Op) != catalog.OwnerCore {
		fs = append(fs, catalog.OnFailureFlag)
	}
	return fs
}

func isWrite(op string) bool {
	i := slices.IndexFunc(catalog.Operations, func(o catalog.Operation) bool { return o.Name == op })
	return i >= 0 && catalog.Operations[i].Kind == catalog.Write
}

func ownerOf(op string) string {
	i := slices.IndexFunc(catalog.Operations, func(o catalog.Operation) bool { return o.Name == op })
	if i < 0 {
		return ""
	}
	return catalog.Operations[i].Owner
}
