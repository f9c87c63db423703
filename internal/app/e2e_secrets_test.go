package app_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// rawExec is `poolvisor exec --json` output, whole, as a script reads it.
func (e *env) rawExec(who, text string) (string, result) {
	e.t.Helper()
	out, _ := exec.Command(binary, "exec", "--config", e.config, "--as", who, "--json", "--", text).Output()
	var r result
	if err := json.Unmarshal(out, &r); err != nil {
		e.t.Fatalf("exec %q: not one JSON object (%v): %s", text, err, out)
	}
	return string(out), r
}

// noSecret fails when any answer to the texts, whole as exec --json prints
// it (message, data, diffs), or the audit file, holds one of the secrets.
func (e *env) noSecret(t *testing.T, secrets []string, who string, texts ...string) {
	t.Helper()
	for _, text := range texts {
		out, r := e.rawExec(who, text)
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s: %q (%s) shows %q:\n%s", who, text, r.Status, s, out)
			}
		}
	}
	raw, _ := os.ReadFile(filepath.Join(filepath.Dir(e.config), "data", "audit.jsonl"))
	for _, s := range secrets {
		if strings.Contains(string(raw), s) {
			t.Errorf("the audit file holds %q", s)
		}
	}
}

// TestSecretsNeverReadBack: secrets in environment= and env[...] are set
// through poolvisor and reach the files and the daemons, but no answer
// shows them: not the add's, not show (message and data), not the audit,
// not the history, not a plan's diff or an approval request.
func TestSecretsNeverReadBack(t *testing.T) {
	e, f := newFPMEnv(t, sandbox.Pool{Name: "www"})
	secrets := []string{"hunter2secret", "tok777secret", "newsecret9"}

	t.Run("supervisor environment", func(t *testing.T) {
		add := `supervisor add vault --command "` + strings.ReplaceAll(loop("vault"), `"`, `\"`) + `"` +
			` --set environment=APP_ENV="prod",DB_PASSWORD="hunter2secret",api_token=tok777secret`
		out, r := e.rawExec("alice", add)
		if r.Status != "ok" {
			t.Fatalf("add: %s\n%s", r.Status, out)
		}
		file, _ := os.ReadFile(filepath.Join(e.sv.ProgramDir, "vault.conf"))
		if !strings.Contains(string(file), "DB_PASSWORD=hunter2secret") || !strings.Contains(string(file), "api_token=tok777secret") {
			t.Fatalf("the secrets did not reach the file:\n%s", file)
		}
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("the add's answer shows %q:\n%s", s, out)
			}
		}
		show := e.want("vic", "supervisor show vault", "ok", 0)
		var data struct {
			Program struct {
				Directives map[string]string `json:"directives"`
				Content    string            `json:"content"`
			} `json:"program"`
		}
		if err := json.Unmarshal(show.Data, &data); err != nil {
			t.Fatal(err)
		}
		if env := data.Program.Directives["environment"]; env != "APP_ENV=prod,DB_PASSWORD=••••,api_token=••••" {
			t.Errorf("show's environment: %q", env)
		}
		if !strings.Contains(data.Program.Content, "DB_PASSWORD=••••,") {
			t.Errorf("show's content:\n%s", data.Program.Content)
		}
		// The edit restarts the running program, so it waits for approval;
		// neither the request nor the decision shows the new secret.
		held := e.want("alice", `supervisor edit vault --set environment=APP_ENV="prod",DB_PASSWORD="newsecret9"`, "pending_approval", 4)
		done := e.want("bob", "ops approve "+held.ApprovalID, "ok", 0)
		for _, m := range []string{held.Message, string(held.Data), done.Message, string(done.Data)} {
			if strings.Contains(m, "newsecret9") {
				t.Errorf("the approval flow shows the secret: %s", m)
			}
		}
		e.noSecret(t, secrets, "vic", "supervisor show vault", "ops audit 50", "ops audit 50 --format csv",
			"supervisor history vault", "supervisor history vault --version 1", "supervisor history vault --version 2")
		e.noSecret(t, secrets, "alice",
			`supervisor edit vault --set environment=DB_PASSWORD="tok777secret" --plan`,
			"supervisor delete vault", "ops approvals")
	})

	t.Run("supervisor command line", func(t *testing.T) {
		cmd := strings.ReplaceAll(loop("cmd"), `"`, `\"`) + " --api-token cmdsecret42"
		out, r := e.rawExec("alice", `supervisor add cmdtok --command "`+cmd+`"`)
		if r.Status != "ok" {
			t.Fatalf("add: %s\n%s", r.Status, out)
		}
		if file, _ := os.ReadFile(filepath.Join(e.sv.ProgramDir, "cmdtok.conf")); !strings.Contains(string(file), "--api-token cmdsecret42") {
			t.Fatalf("the secret did not reach the file:\n%s", file)
		}
		secrets := []string{"cmdsecret42"}
		if strings.Contains(out, "cmdsecret42") {
			t.Errorf("the add's answer shows the secret:\n%s", out)
		}
		e.noSecret(t, secrets, "vic", "supervisor show cmdtok", "ops audit 50", "supervisor history cmdtok", "supervisor history cmdtok --version 1")
		e.noSecret(t, secrets, "alice", "supervisor edit cmdtok --set startsecs=0 --plan", "supervisor delete cmdtok --plan")
		if _, r := e.rawExec("alice", "supervisor edit cmdtok --set startsecs=0 --plan"); r.Status != "ok" {
			t.Errorf("the plan whose diff is checked: %s", r.Status)
		}
		// Edited around the mark, the command would lose its secret.
		out, r = e.rawExec("alice", `supervisor edit cmdtok --command "`+strings.ReplaceAll(loop("cmd"), `"`, `\"`)+` --api-token ••••"`)
		if r.Status != "invalid" || !strings.Contains(out, "type it in full") {
			t.Errorf("an edit keeping the mark: %s\n%s", r.Status, out)
		}
	})

	t.Run("fpm env", func(t *testing.T) {
		out, r := e.rawExec("alice", "fpm pool create shop --preset small --set env[DB_PASSWORD]=hunter2secret --set env[DB_HOST]=db.internal")
		if r.Status != "ok" {
			t.Fatalf("create: %s\n%s", r.Status, out)
		}
		file, _ := os.ReadFile(filepath.Join(f.PoolDir, "shop.conf"))
		if !strings.Contains(string(file), "hunter2secret") {
			t.Fatalf("the secret did not reach the file:\n%s", file)
		}
		if strings.Contains(out, "hunter2secret") {
			t.Errorf("the create's answer shows the secret:\n%s", out)
		}
		show := e.want("vic", "fpm pool show shop", "ok", 0)
		var data struct {
			Pool struct {
				Directives map[string]string `json:"directives"`
			} `json:"pool"`
		}
		if err := json.Unmarshal(show.Data, &data); err != nil {
			t.Fatal(err)
		}
		if d := data.Pool.Directives; d["env[DB_PASSWORD]"] != "••••" || d["env[DB_HOST]"] != "db.internal" {
			t.Errorf("show's directives: %v", d)
		}
		e.want("alice", "fpm pool edit shop --set env[DB_PASSWORD]=newsecret9", "ok", 0)
		e.noSecret(t, secrets, "vic", "fpm pool show shop", "ops audit 50",
			"fpm pool history shop", "fpm pool history shop --version 1", "fpm pool history shop --version 2")
		e.noSecret(t, secrets, "alice", "fpm pool edit shop --set env[DB_PASSWORD]=tok777secret --plan",
			"fpm pool delete shop", "ops approvals")
	})
}
