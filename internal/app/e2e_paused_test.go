package app_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// paused is a `poolvisor exec` stopped at a test hook point (testhook).
type paused struct {
	t      *testing.T
	cmd    *exec.Cmd
	file   string // exists while the process waits at the point
	stdout bytes.Buffer
	done   chan error // the process's end
}

// startPaused runs text as who in a process that stops at point; tmp is
// its TMPDIR, so a staging copy written there would be seen.
func (e *env) startPaused(who, text, point, tmp string) *paused {
	e.t.Helper()
	p := &paused{t: e.t, file: filepath.Join(e.t.TempDir(), "paused"), done: make(chan error, 1)}
	p.cmd = exec.Command(binary, "exec", "--config", e.config, "--as", who, "--json", "--", text)
	p.cmd.Env = append(os.Environ(), "POOLVISOR_TEST_PAUSE="+point+":"+p.file, "TMPDIR="+tmp)
	p.cmd.Stdout = &p.stdout
	if err := p.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	deadline := time.After(60 * time.Second)
	for {
		if _, err := os.Stat(p.file); err == nil {
			return p
		}
		select {
		case err := <-p.done:
			e.t.Fatalf("%q ended before reaching %s (%v): %s", text, point, err, p.stdout.String())
		case <-deadline:
			p.cmd.Process.Kill()
			e.t.Fatalf("%q did not reach %s within 60s", text, point)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// kill ends the process with SIGKILL, as the OOM killer or a power cut would.
func (p *paused) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		p.t.Fatal(err)
	}
	<-p.done
}

// resume lets the process go on and returns its result.
func (p *paused) resume() result {
	p.t.Helper()
	if err := os.Remove(p.file); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(3 * time.Minute):
		p.cmd.Process.Kill()
		p.t.Fatal("the resumed process did not end within 3 minutes")
	}
	var r result
	if err := json.Unmarshal(p.stdout.Bytes(), &r); err != nil {
		p.t.Fatalf("not one JSON object (%v): %s", err, p.stdout.String())
	}
	r.code = p.cmd.ProcessState.ExitCode()
	return r
}
