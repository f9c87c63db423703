package supervisor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/testhook"
)

// checkScript loads a config exactly as supervisord does on start and on
// reread (ServerOptions.process_config), so supervisord's own rules judge a
// staged change before anything live is touched, as `php-fpm -t` does for
// pools. Exit 2 carries supervisord's message.
const checkScript = `
import sys
from supervisor.options import ServerOptions
o = ServerOptions()
o.configfile = sys.argv[1]
try:
    o.process_config(do_usage=False)
except ValueError as e:
    sys.stdout.write(str(e))
    sys.exit(2)
`

// checkTimeout bounds supervisord's own check; it takes a fraction of a second.
const checkTimeout = 10 * time.Second

// errNoDaemonCheck is the refusal of a write that supervisord's own check
// cannot judge on this host.
const errNoDaemonCheck = "supervisord's own config check cannot run here: supervisord is not installed where poolvisor runs " +
	"(none on the PATH or at /usr/bin/supervisord, whose #! line names the Python that holds its code), so nothing was written. " +
	"Run poolvisor where supervisord is installed (the container image carries its code for this check), " +
	"or set supervisor.check: skip to write with poolvisor's own checks and the reread only (unsafe: see docs/security.md)"

// daemonCheck stages the program directory and the main config with c
// applied, and has supervisord's own config loader read them. When
// supervisord's code is not on this host (a container without it) the
// write is refused, unless supervisor.check: skip says to rely on
// poolvisor's parser and the reread after writing: a silent skip would let
// through what only supervisord refuses.
func (b *Backend) daemonCheck(ctx context.Context, c fileChange) error {
	python := b.python()
	if python == "" {
		if b.cfg.SkipDaemonCheck {
			return nil
		}
		return ops.Failedf("%s", errNoDaemonCheck)
	}
	dir, err := os.MkdirTemp(b.cfg.StagingDir, "poolvisor-check-")
	if err != nil {
		return ops.Fail(err, "could not stage the change")
	}
	defer os.RemoveAll(dir)
	staged := filepath.Join(dir, "programs")
	if err := stageDir(b.cfg.ProgramDir, staged, c); err != nil {
		return ops.Fail(err, "could not stage the change")
	}
	main, err := os.ReadFile(b.cfg.ConfigFile)
	if err != nil {
		return ops.Fail(err, "could not read %s", b.cfg.ConfigFile)
	}
	if c.path == b.cfg.ConfigFile {
		main = c.new
	}
	mainPath := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(mainPath, redirectIncludes(main, filepath.Dir(b.cfg.ConfigFile), b.cfg.ProgramDir, staged), 0o600); err != nil {
		return ops.Fail(err, "could not stage the change")
	}
	testhook.Pause("in-check")
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	// -I: python -c would import from the working directory first, so a
	// supervisor/ package planted where poolvisor was started (a program
	// of an allowed user can write /tmp, /var/www...) would run as root.
	cmd := exec.CommandContext(ctx, python, "-I", "-c", checkScript, mainPath)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exit) && exit.ExitCode() == 2:
		msg := strings.ReplaceAll(strings.TrimSpace(string(out)), dir, "(staged)")
		return ops.Invalidf("supervisord's own check refused the change, nothing was written: %s", msg)
	}
	// It is there but failed otherwise (a traceback, a timeout): not a
	// verdict on the change, which the reread after writing still guards.
	b.log.Warn("supervisord's own config check could not run; relying on the reread", "err", err, "output", string(out))
	return nil
}

// announceDaemonCheck says at start what writes will meet: a host without
// supervisord's code refuses them, or, with supervisor.check: skip, writes
// them unchecked by supervisord.
func (b *Backend) announceDaemonCheck() {
	if b.log == nil || b.python() != "" {
		return
	}
	if b.cfg.SkipDaemonCheck {
		b.log.Warn("supervisord's own config check cannot run on this host; supervisor.check: skip lets writes through without it (unsafe)")
		return
	}
	b.log.Warn("supervisord's own config check cannot run on this host: program and XML-RPC writes will be refused (supervisor.check: required)")
}

// supervisordPython returns the interpreter of the installed supervisord
// (its #! line), or "" when there is none to ask.
func supervisordPython() string {
	path, err := exec.LookPath("supervisord")
	if err != nil {
		path = "/usr/bin/supervisord"
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	interp, ok := strings.CutPrefix(strings.TrimSpace(line), "#!")
	if !ok {
		return ""
	}
	fields := strings.Fields(interp)
	if len(fields) == 0 || filepath.Base(fields[0]) == "env" {
		return "" // "#!/usr/bin/env python3" would not say which python has supervisor
	}
	return fields[0]
}

// stageDir copies the *.conf files of src into dst, with c applied when it
// is one of them.
func stageDir(src, dst string, c fileChange) error {
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	files, _ := filepath.Glob(filepath.Join(src, "*.conf"))
	for _, f := range files {
		if f == c.path {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), data, 0o600); err != nil {
			return err
		}
	}
	if filepath.Dir(c.path) == filepath.Clean(src) && c.new != nil {
		return os.WriteFile(filepath.Join(dst, filepath.Base(c.path)), c.new, 0o600)
	}
	return nil
}

// redirectIncludes rewrites the [include] patterns of a main config so that
// those in programDir read staged instead; every pattern becomes absolute,
// since the staged main config lives elsewhere.
func redirectIncludes(main []byte, here, programDir, staged string) []byte {
	lines := strings.SplitAfter(string(main), "\n")
	inInclude := false
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			inInclude = strings.EqualFold(strings.Trim(t, "[] \t"), "include")
			continue
		}
		key, value, ok := strings.Cut(t, "=")
		if !inInclude || !ok || strings.TrimSpace(key) != "files" {
			continue
		}
		var out []string
		for _, pattern := range strings.Fields(strings.ReplaceAll(value, "%(here)s", here)) {
			if !filepath.IsAbs(pattern) {
				pattern = filepath.Join(here, pattern)
			}
			if filepath.Dir(pattern) == filepath.Clean(programDir) {
				pattern = filepath.Join(staged, filepath.Base(pattern))
			}
			out = append(out, pattern)
		}
		lines[i] = fmt.Sprintf("files = %s\n", strings.Join(out, " "))
	}
	return []byte(strings.Join(lines, ""))
}
