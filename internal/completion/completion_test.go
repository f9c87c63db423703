package completion

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var subs = []Subcommand{
	{Name: "exec", Words: []string{"--json", "--socket"}},
	{Name: "completion", Words: Shells},
}

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

// TestBash completes command lines with the bash script in a real bash.
func TestBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	script, err := Script("bash", "poolvisor", subs)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "c.bash")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, line, want string
	}{
		{"subcommands", "poolvisor ''", "exec completion"},
		{"a subcommand's words", "poolvisor completion ''", "bash zsh fish"},
		{"exec before --", "poolvisor exec ''", "--json --socket --"},
		{"the command's first word", "poolvisor exec --json -- sup", "supervisor"},
		{"a command's flags, from the catalog", "poolvisor exec -- supervisor restart web --r", "--rolling"},
		{"a flag's choices", "poolvisor exec -- supervisor restart web --on-failure ''", "stop rollback"},
		{"an argument's choices", "poolvisor exec -- supervisor signal web K", "KILL"},
		{"--php only for fpm", "poolvisor exec -- supervisor status --p", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			prog := "source " + path + "\nCOMP_WORDS=(" + c.line + ")\nCOMP_CWORD=$((${#COMP_WORDS[@]}-1))\n_poolvisor\necho \"${COMPREPLY[*]}\"\n"
			out, err := exec.Command(bash, "--norc", "-c", prog).CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if got := strings.TrimSpace(string(out)); got != c.want {
				t.Errorf("%s: got %q, want %q", c.line, got, c.want)
			}
		})
	}
}
