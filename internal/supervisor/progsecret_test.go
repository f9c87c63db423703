package supervisor

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// TestRawEditKeepsMaskedSecrets: show gives the file with its secrets
// masked (that is what a chat form's raw editor starts from); a raw edit
// that keeps a masked line as shown keeps the secret, and one that changes
// such a line without retyping the secret is refused, changing nothing.
func TestRawEditKeepsMaskedSecrets(t *testing.T) {
	t.Parallel()
	b, path := runningWeb(t, rpcSleeperCmd)
	_, err := run(t, b, "supervisor.program.edit", "web", ops.Arg{Key: "set", Value: `environment=APP_ENV="prod",DB_PASSWORD="hunter2secret"`})
	wantStatus(t, err, ops.StatusOK)

	out, err := run(t, b, "supervisor.program.show", "web")
	wantStatus(t, err, ops.StatusOK)
	prog := out.Data.(map[string]any)["program"].(ops.Program)
	if strings.Contains(out.Message+prog.Content+prog.Directives["environment"], "hunter2secret") ||
		prog.Directives["environment"] != `APP_ENV="prod",DB_PASSWORD="••••"` {
		t.Fatalf("show reveals the secret:\n%s\n%s\n%v", out.Message, prog.Content, prog.Directives)
	}

	edited := strings.Replace(prog.Content, "startsecs=1", "startsecs=0", 1)
	_, err = run(t, b, "supervisor.program.edit", "web", ops.Arg{Key: "content", Value: edited})
	wantStatus(t, err, ops.StatusOK)
	now, _ := os.ReadFile(path)
	if !strings.Contains(string(now), `DB_PASSWORD="hunter2secret"`) || !strings.Contains(string(now), "startsecs=0") {
		t.Fatalf("a raw edit lost the secret it did not retype:\n%s", now)
	}

	broken := strings.Replace(edited, `APP_ENV="prod"`, `APP_ENV="staging"`, 1)
	_, err = run(t, b, "supervisor.program.edit", "web", ops.Arg{Key: "content", Value: broken})
	if msg := wantStatus(t, err, ops.StatusInvalid); !strings.Contains(msg, "masked secret") {
		t.Errorf("message %q", msg)
	}
	if again, _ := os.ReadFile(path); !bytes.Equal(again, now) {
		t.Errorf("a refused raw edit changed the file:\n%s", again)
	}
}

// TestCommandSecretsMasked: a secret on the command line (`--api-token
// x`) is masked in show's directives and file, as environment's are; a
// raw edit that keeps the command line as shown keeps the secret.
func TestCommandSecretsMasked(t *testing.T) {
	t.Parallel()
	const command = rpcSleeperCmd + " --api-token cmdsecret42"
	b, path := runningWeb(t, command)

	out, err := run(t, b, "supervisor.program.show", "web")
	wantStatus(t, err, ops.StatusOK)
	prog := out.Data.(map[string]any)["program"].(ops.Program)
	if strings.Contains(out.Message+prog.Content+prog.Directives["command"], "cmdsecret42") ||
		prog.Directives["command"] != rpcSleeperCmd+" --api-token ••••" {
		t.Fatalf("show reveals the secret:\n%s\n%s\n%v", out.Message, prog.Content, prog.Directives)
	}

	edited := strings.Replace(prog.Content, "startsecs=1", "startsecs=0", 1)
	if edited == prog.Content {
		t.Fatalf("no startsecs=1 to edit in:\n%s", prog.Content)
	}
	_, err = run(t, b, "supervisor.program.edit", "web", ops.Arg{Key: "content", Value: edited})
	wantStatus(t, err, ops.StatusOK)
	if now, _ := os.ReadFile(path); !strings.Contains(string(now), command) || !strings.Contains(string(now), "startsecs=0") {
		t.Fatalf("a raw edit lost the command's secret:\n%s", now)
	}
}

// TestCommandSecretOnAContinuationLine: a token on a continuation line of
// command= (supervisord joins the lines, then splits the words) is masked
// in show's directives and file. A raw edit that adds a comment line above
// the masked line keeps it masked where it stands; one that moves the
// masked line under another key, where it would show in clear, is refused
// and changes nothing.
func TestCommandSecretOnAContinuationLine(t *testing.T) {
	t.Parallel()
	b, path := runningWeb(t, rpcSleeperCmd)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hand := strings.Replace(string(orig), "command="+rpcSleeperCmd, "command="+rpcSleeperCmd+" --api-token\n  cmdsecret42", 1)
	if hand == string(orig) {
		t.Fatalf("no command line in:\n%s", orig)
	}
	if err := os.WriteFile(path, []byte(hand), 0o644); err != nil {
		t.Fatal(err)
	}
	show := func() ops.Program {
		t.Helper()
		out, err := run(t, b, "supervisor.program.show", "web")
		wantStatus(t, err, ops.StatusOK)
		prog := out.Data.(map[string]any)["program"].(ops.Program)
		if strings.Contains(out.Message+prog.Content+prog.Directives["command"], "cmdsecret42") {
			t.Fatalf("show reveals the secret:\n%s\n%s\n%v", out.Message, prog.Content, prog.Directives)
		}
		return prog
	}
	prog := show()

	commented := strings.Replace(prog.Content, "\n  ••••", "\n; the token stays\n  ••••", 1)
	if commented == prog.Content {
		t.Fatalf("no masked continuation line in:\n%s", prog.Content)
	}
	_, err = run(t, b, "supervisor.program.edit", "web", ops.Arg{Key: "content", Value: commented})
	wantStatus(t, err, ops.StatusOK)
	now, _ := os.ReadFile(path)
	if !strings.Contains(string(now), "; the token stays\n  cmdsecret42") {
		t.Fatalf("the raw edit lost the token:\n%s", now)
	}
	prog = show()

	moved := strings.Replace(prog.Content, "\n  ••••", "", 1)
	moved = strings.Replace(moved, "\nstartsecs=", "\nstartsecs=1\n  ••••\nstartretries_unused=", 1)
	_, err = run(t, b, "supervisor.program.edit", "web", ops.Arg{Key: "content", Value: moved})
	if msg := wantStatus(t, err, ops.StatusInvalid); !strings.Contains(msg, "moved away") {
		t.Errorf("a masked line moved under startsecs=: %q", msg)
	}
	if again, _ := os.ReadFile(path); string(again) != string(now) {
		t.Errorf("a refused raw edit changed the file:\n%s", again)
	}
}

// TestRawEditWeighsTheFileShown: a raw edit carries the digest of the file
// its editor showed; when someone wrote the file meanwhile, the edit is a
// conflict and writes nothing (written as it stood, the editor's file
// would undo their change). Without a digest (the shell, a rollback) it
// is not weighed.
func TestRawEditWeighsTheFileShown(t *testing.T) {
	t.Parallel()
	b, path := runningWeb(t, rpcSleeperCmd)
	out, err := run(t, b, "supervisor.program.show", "web")
	wantStatus(t, err, ops.StatusOK)
	shown := out.Data.(map[string]any)["program"].(ops.Program).Content
	edited := strings.Replace(shown, "startsecs=1", "startsecs=0", 1)
	digest := ops.Arg{Key: ops.ShownArg, Value: ops.Digest([]byte(shown))}

	// Someone writes the file while the editor is open.
	hand, _ := os.ReadFile(path)
	hand = append(hand, []byte("stopwaitsecs=9\n")...)
	if err := os.WriteFile(path, hand, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = run(t, b, "supervisor.program.edit", "web", digest, ops.Arg{Key: "content", Value: edited})
	if msg := wantStatus(t, err, ops.StatusConflict); !strings.Contains(msg, "changed since its editor opened") {
		t.Errorf("message %q", msg)
	}
	if now, _ := os.ReadFile(path); string(now) != string(hand) {
		t.Errorf("a conflicting raw edit changed the file:\n%s", now)
	}

	// Opened again, it applies.
	out, err = run(t, b, "supervisor.program.show", "web")
	wantStatus(t, err, ops.StatusOK)
	shown = out.Data.(map[string]any)["program"].(ops.Program).Content
	digest.Value = ops.Digest([]byte(shown))
	_, err = run(t, b, "supervisor.program.edit", "web", digest, ops.Arg{Key: "content", Value: strings.Replace(shown, "startsecs=1", "startsecs=0", 1)})
	wantStatus(t, err, ops.StatusOK)
	if now, _ := os.ReadFile(path); !strings.Contains(string(now), "startsecs=0") || !strings.Contains(string(now), "stopwaitsecs=9") {
		t.Errorf("the raw edit of the file as it is now:\n%s", now)
	}
}

// runningWeb starts supervisord with program web running command, and
// returns its backend and web's file.
func runningWeb(t *testing.T, command string) (*Backend, string) {
	t.Helper()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: command})
	b := newBackend(t, s, 2*time.Second)
	rpcWaitState(t, b.client, "web:web", "RUNNING")
	return b, filepath.Join(s.ProgramDir, "web.conf")
}
