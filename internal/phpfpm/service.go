package phpfpm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// The service control of SPEC §5: phpfpm.service.mode says whether php-fpm
// is driven through systemd, by signals to the pid in its pid file, or by
// commands the operator configured.

// pidFile returns the master's pid file: the configured one, else the one
// the main config names now.
func (b *Backend) pidFile() string {
	if b.cfg.Service.PIDFile != "" {
		return b.cfg.Service.PIDFile
	}
	if m, err := readMainConfig(b.cfg.MainConfig); err == nil {
		return m.pidFile
	}
	return ""
}

// masterPID returns the pid of the running master, or 0 when none runs.
func (b *Backend) masterPID(ctx context.Context) int {
	if b.cfg.Service.Mode == "systemd" {
		out, err := b.systemctl(ctx, "show", "--property=MainPID", "--value", b.cfg.Service.Unit)
		if pid, perr := strconv.Atoi(strings.TrimSpace(out)); err == nil && perr == nil && isFPM(pid) {
			return pid
		}
		return 0
	}
	data, err := os.ReadFile(b.pidFile())
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || !isFPM(pid) {
		return 0
	}
	return pid
}

// isFPM reports whether pid is a live (not zombie) php-fpm process.
func isFPM(pid int) bool {
	if pid <= 0 {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	if i := bytes.LastIndexByte(stat, ')'); i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' || stat[i+2] == 'X' {
		return false
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return err == nil && bytes.Contains(cmdline, []byte("php-fpm"))
}

// serviceState says whether php-fpm runs, in the words of the service mode.
func (b *Backend) serviceState(ctx context.Context) (running bool, state string, pid int) {
	pid = b.masterPID(ctx)
	switch {
	case b.cfg.Service.Mode == "systemd":
		out, _ := b.systemctl(ctx, "is-active", b.cfg.Service.Unit)
		state = strings.TrimSpace(out)
		if state == "" {
			state = "unknown"
		}
		// A reload of a Type=notify unit passes through "reloading".
		return state == "active" || state == "reloading", state, pid
	case b.cfg.Service.Mode == "command" && b.cfg.Service.StatusCommand != "":
		out, err := b.runShell(ctx, b.cfg.Service.StatusCommand, b.cfg.CallTimeout)
		if err != nil {
			return false, "stopped (" + firstLine(out, err) + ")", pid
		}
		return true, "running", pid
	case pid != 0:
		return true, "running", pid
	}
	return false, "stopped", 0
}

// reload makes php-fpm reread its configuration (a graceful USR2 reload).
// It returns once the reload was asked for; waitSettled waits for it.
func (b *Backend) reload(ctx context.Context) error {
	switch b.cfg.Service.Mode {
	case "systemd":
		if out, err := b.systemctl(ctx, "reload", b.cfg.Service.Unit); err != nil {
			return ops.Fail(err, "systemctl reload %s failed: %s", b.cfg.Service.Unit, firstLine(out, err))
		}
	case "command":
		if out, err := b.runShell(ctx, b.cfg.Service.ReloadCommand, b.cfg.ReloadTimeout); err != nil {
			return ops.Fail(err, "the reload command failed: %s", firstLine(out, err))
		}
	default:
		pid := b.masterPID(ctx)
		if pid == 0 {
			return ops.Failedf("php-fpm is not running on %s (no live master in %s)", b.cfg.Host, b.pidFile())
		}
		if err := syscall.Kill(pid, syscall.SIGUSR2); err != nil {
			return ops.Fail(err, "cannot signal php-fpm (pid %d)", pid)
		}
	}
	return nil
}

// restart stops php-fpm and starts it again.
func (b *Backend) restart(ctx context.Context) error {
	switch b.cfg.Service.Mode {
	case "systemd":
		if out, err := b.systemctl(ctx, "restart", b.cfg.Service.Unit); err != nil {
			return ops.Fail(err, "systemctl restart %s failed: %s", b.cfg.Service.Unit, firstLine(out, err))
		}
		return nil
	case "command":
		if b.cfg.Service.RestartCommand == "" {
			return ops.Invalidf("php-fpm cannot be restarted on %s: phpfpm.service.restart_command is not set", b.cfg.Host)
		}
		if out, err := b.runShell(ctx, b.cfg.Service.RestartCommand, b.cfg.ReloadTimeout); err != nil {
			return ops.Fail(err, "the restart command failed: %s", firstLine(out, err))
		}
		return nil
	}
	if pid := b.masterPID(ctx); pid != 0 {
		if err := b.stopMaster(ctx, pid); err != nil {
			return err
		}
	}
	return b.startMaster(ctx)
}

// stopMaster ends the master gracefully (QUIT lets workers finish their
// requests), then with TERM if it is still there after the reload timeout.
func (b *Backend) stopMaster(ctx context.Context, pid int) error {
	for _, sig := range []syscall.Signal{syscall.SIGQUIT, syscall.SIGTERM} {
		if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return ops.Fail(err, "cannot signal php-fpm (pid %d)", pid)
		}
		deadline := time.Now().Add(b.cfg.ReloadTimeout)
		for isFPM(pid) && time.Now().Before(deadline) {
			if err := sleep(ctx, 20*time.Millisecond); err != nil {
				return ops.Fail(err, "gave up waiting for php-fpm (pid %d) to stop", pid)
			}
		}
		if !isFPM(pid) {
			return nil
		}
	}
	return ops.Failedf("php-fpm (pid %d) did not stop within %s", pid, 2*b.cfg.ReloadTimeout)
}

// startMaster starts php-fpm with the main config, daemonized whatever the
// config says, so the new master does not depend on poolvisor. The parent
// exits once the master is ready, or failed to start.
func (b *Backend) startMaster(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.ReloadTimeout)
	defer cancel()
	// Output goes to a file, not a pipe: the daemon may keep the parent's
	// stdout open, and reading a pipe would then wait for it to exit.
	out, err := os.CreateTemp("", "poolvisor-fpm-start-")
	if err != nil {
		return ops.Fail(err, "cannot start php-fpm")
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.CommandContext(ctx, b.cfg.Binary, "--daemonize", "--fpm-config", b.cfg.MainConfig)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Run(); err != nil {
		text, _ := os.ReadFile(out.Name())
		return ops.Fail(err, "php-fpm did not start: %s", firstLine(testErrors(text), err))
	}
	return nil
}

// bringBack gets php-fpm running on the configuration on disk again after
// a reload that went wrong: reload it if it still runs, else start it.
func (b *Backend) bringBack(ctx context.Context) error {
	if running, _, _ := b.serviceState(ctx); running {
		return b.reload(ctx)
	}
	switch b.cfg.Service.Mode {
	case "command":
		cmd := b.cfg.Service.RestartCommand
		if cmd == "" {
			cmd = b.cfg.Service.ReloadCommand
		}
		if out, err := b.runShell(ctx, cmd, b.cfg.ReloadTimeout); err != nil {
			return ops.Fail(err, "%s failed: %s", cmd, firstLine(out, err))
		}
		return nil
	case "systemd":
		return b.restart(ctx)
	}
	return b.startMaster(ctx)
}

// describe says what reload or restart does in this service mode, for plans.
func (b *Backend) describe(action string) string {
	switch b.cfg.Service.Mode {
	case "systemd":
		return fmt.Sprintf("systemctl %s %s", action, b.cfg.Service.Unit)
	case "command":
		if action == "restart" {
			return "run " + b.cfg.Service.RestartCommand
		}
		return "run " + b.cfg.Service.ReloadCommand
	}
	if action == "restart" {
		return fmt.Sprintf("stop php-fpm (QUIT) and start %s --daemonize --fpm-config %s", b.cfg.Binary, b.cfg.MainConfig)
	}
	return "send USR2 to the php-fpm master (graceful reload)"
}

func (b *Backend) systemctl(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.ReloadTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "systemctl", args...).CombinedOutput()
	return string(out), err
}

func (b *Backend) runShell(ctx context.Context, command string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "/bin/sh", "-c", command).CombinedOutput()
	if ctx.Err() != nil {
		return string(out), fmt.Errorf("did not finish within %s: %w", timeout, ctx.Err())
	}
	return string(out), err
}

// firstLine returns the first line of a command's output, or the error.
func firstLine(out string, err error) string {
	out = strings.TrimSpace(out)
	if out == "" {
		if err == nil {
			return "no output"
		}
		return err.Error()
	}
	l, _, _ := strings.Cut(out, "\n")
	return l
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
