package completion

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/catalog"
)

var subs = []Subcommand{
	{Name: "exec", Words: []string{"--json", "--socket"}},
	{Name: "status", Words: []string{"--json", Marker(catalog.ProgramList)}},
	{Name: "completion", Words: Shells},
}

// namesProgram stands for `poolvisor __names LIST [--socket PATH]`, which
// cmd/poolvisor's tests run against a real serve: it prints what the thin
// client would, the names of a list, one a line, and others when given a
// socket, to show the script passes the one typed.
const namesProgram = `#!/bin/sh
[ "$1" = __names ] || exit 2
shift
if [ "$1" = --socket ]; then
	[ "$2" = /run/other.sock ] && echo "other-$3"
	exit 0
fi
case $1 in
pool) printf 'www\nshop\n' ;;
program) printf 'web\nqueue:*\nqueue_00\n%s\n' 'xx$(touch${IFS}pwned)' ;;
*) exit 2 ;;
esac
`

func TestTableHoldsNoQuotes(t *testing.T) {
	// The scripts quote the table whole.
	if tb := table(subs); strings.ContainsAny(tb, `'"\`) {
		t.Fatalf("the table holds a quote or backslash:\n%s", tb)
	}
}

func TestUnknownShell(t *testing.T) {
	if _, err := Script("tcsh", "poolvisor", subs); err == nil {
		t.Fatal("tcsh: no error")
	}
}

// cases are command lines, the last word being completed (two single
// quotes for an empty one), and the candidates every shell must offer.
var cases = []struct {
	name, line, want string
}{
	{"subcommands", "poolvisor ''", "exec status completion"},
	{"a subcommand's words", "poolvisor completion ''", "bash zsh fish"},
	{"exec before --", "poolvisor exec ''", "--json --socket --"},
	{"the command's first word", "poolvisor exec --json -- sup", "supervisor"},
	{"a command's words, from the catalog", "poolvisor exec -- supervisor res", "restart restart-service"},
	{"a command's flags, from the catalog", "poolvisor exec -- supervisor restart web --r", "--rolling"},
	{"a flag's choices", "poolvisor exec -- supervisor restart web --on-failure ''", "stop rollback"},
	{"an argument's choices", "poolvisor exec -- supervisor signal web K", "KILL"},
	{"--php only for fpm", "poolvisor exec -- supervisor status --p", ""},
	{"names of programs, from serve", "poolvisor exec -- supervisor restart q", "queue:* queue_00"},
	{"a group's * is no file name pattern", "poolvisor exec -- supervisor restart queue:", "queue:*"},
	{"names of pools, from serve", "poolvisor exec -- fpm pool show ''", "www shop --host --php"},
	{"names from the socket typed", "poolvisor exec --socket /run/other.sock -- supervisor restart o", "other-program"},
	{"names from --socket=PATH", "poolvisor exec --socket=/run/other.sock -- supervisor restart o", "other-program"},
	{"status completes names", "poolvisor status w", "web"},
	{"a name is a word, never code", "poolvisor exec -- supervisor restart xx", "xx$(touch${IFS}pwned)"},
}

// shell returns the path of the named shell, skipping the test when it is
// absent and the test cannot install it (not root): as root, `make test`
// has installed it (scripts/install-deps.sh), so absent is a failure.
func shell(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Geteuid() != 0 {
		t.Skipf("%s is not installed (scripts/install-deps.sh installs it when run as root)", name)
	}
	t.Fatalf("%s is not installed, though running as root: run scripts/install-deps.sh", name)
	return ""
}

// scriptFile writes the completion script for sh and returns its path.
func scriptFile(t *testing.T, sh string) string {
	t.Helper()
	script, err := Script(sh, "poolvisor", subs)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "c."+sh)
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// syntaxOK has sh read the script without running it.
func syntaxOK(t *testing.T, sh string, args ...string) {
	t.Helper()
	if out, err := exec.Command(sh, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s finds the script invalid: %v: %s", sh, err, out)
	}
}

// check runs each case's program in a shell and compares the candidates
// it prints, one a line or space-separated, with the case's, in any order.
// The shell runs in a directory that holds a file a * would match, with
// namesProgram as poolvisor on its $PATH.
func check(t *testing.T, run func(line, cur string) *exec.Cmd) {
	bin, dir := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "poolvisor"), []byte(namesProgram), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "queue:x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			words := strings.Fields(c.line)
			cur := strings.Trim(words[len(words)-1], "'")
			cmd := run(c.line, cur)
			cmd.Dir, cmd.Env = dir, append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			got, want := strings.Fields(string(out)), strings.Fields(c.want)
			slices.Sort(got) // fish sorts; the order is the shell's
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %q, want %q", c.line, got, c.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
				t.Fatalf("%s: the shell ran a name", c.line)
			}
		})
	}
}

// TestBash completes command lines with the bash script in a real bash.
// COMP_WORDS is split as bash splits it, at colons too (COMP_WORDBREAKS);
// what bash would insert (the candidate after the last colon, a *
// escaped) is printed back whole, to compare with the other shells'.
func TestBash(t *testing.T) {
	bash := shell(t, "bash")
	path := scriptFile(t, "bash")
	syntaxOK(t, bash, "--norc", "-n", path)
	check(t, func(line, cur string) *exec.Cmd {
		return exec.Command(bash, "--norc", "-c", bashProg(path, line)+
			`for w in "${COMPREPLY[@]}"; do w=${w//\\\*/*}; printf '%s\n' "$1$w"; done`+"\n", "bash", cur[:strings.LastIndex(cur, ":")+1])
	})
}

// bashProg sources the script at path and completes line as bash would
// have split it.
func bashProg(path, line string) string {
	return "source " + path + "\nCOMP_WORDS=(" + strings.ReplaceAll(line, ":", " : ") + ")\nCOMP_CWORD=$((${#COMP_WORDS[@]}-1))\n_poolvisor\n"
}

// TestBashInserts: what bash inserts is the candidate after the colon the
// word breaks at, with a * escaped, so that neither the completion nor
// the command it ends up in matches file names (the shell runs in a
// directory holding queue:x).
func TestBashInserts(t *testing.T) {
	bash := shell(t, "bash")
	path := scriptFile(t, "bash")
	bin, dir := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "poolvisor"), []byte(namesProgram), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "queue:x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string]string{
		"poolvisor exec -- supervisor restart queue:":   `\*`,
		"poolvisor exec -- supervisor restart queue:q":  ``,
		"poolvisor exec -- supervisor restart queue":    `queue:\* queue_00`,
		"poolvisor status --socket=/run/other.sock o":   `other-program`,
		"poolvisor status --socket '/run/other.sock' o": `other-program`,
	} {
		cmd := exec.Command(bash, "--norc", "-c", bashProg(path, line)+`echo "${COMPREPLY[*]}"`)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Errorf("%s: %v: %q, want %q", line, err, out, want)
		}
	}
}

// TestZsh completes command lines with the zsh script in a real zsh, with
// compinit loaded as in a user's shell. It calls the completion function
// as zsh's bash layer (_bash_complete) does: arrays from 0, COMP_WORDS
// and COMP_CWORD set. zsh's compgen hands every word to compadd, which
// keeps those that begin with the word typed: the test keeps them too.
func TestZsh(t *testing.T) {
	zsh := shell(t, "zsh")
	path := scriptFile(t, "zsh")
	syntaxOK(t, zsh, "-f", "-n", path)
	check(t, func(line, cur string) *exec.Cmd {
		prog := "autoload -U compinit && compinit -u -d " + filepath.Join(t.TempDir(), "zcompdump") + "\n" +
			"source " + path + "\n" +
			"(( ${+_comps[poolvisor]} )) || { print -u2 'poolvisor has no completion'; exit 1 }\n" +
			"setopt ksharrays\nCOMP_WORDS=(" + line + ")\nCOMP_CWORD=$((${#COMP_WORDS[@]}-1))\n_poolvisor\n" +
			"for w in \"${COMPREPLY[@]}\"; do [[ $w == \"$1\"* ]] && print -r -- $w; done; true\n"
		return exec.Command(zsh, "-f", "-c", prog, "zsh", cur)
	})
}

// TestFish completes command lines with the fish script in a real fish,
// through fish's own completion (complete -C).
func TestFish(t *testing.T) {
	fish := shell(t, "fish")
	path := scriptFile(t, "fish")
	syntaxOK(t, fish, "--no-config", "-n", path)
	check(t, func(line, _ string) *exec.Cmd {
		typed := strings.TrimSuffix(line, "''")
		return exec.Command(fish, "--no-config", "-c", "source "+path+"; complete -C $argv[1]", typed)
	})
}
