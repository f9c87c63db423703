package supervisor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/poolvisor/poolvisor/internal/daemonglob"
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

// daemonCheck stages the main config and every file its [include] globs
// read, with c applied, and has supervisord's own config loader read them. When
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
	main, err := os.ReadFile(b.cfg.ConfigFile)
	if err != nil {
		return ops.Fail(err, "could not read %s", b.cfg.ConfigFile)
	}
	if c.path == b.cfg.ConfigFile {
		main = c.new
	}
	patterns, err := includePatterns(b.cfg.ConfigFile, b.includeEnv)
	if err != nil {
		return ops.Fail(err, "could not read %s", b.cfg.ConfigFile)
	}
	realNames := map[string]string{}
	var staged []string
	for i, pattern := range patterns {
		p, err := stageInclude(pattern, filepath.Join(dir, fmt.Sprintf("include%d", i)), c, realNames)
		if err != nil {
			return ops.Fail(err, "could not stage the change")
		}
		staged = append(staged, p)
	}
	mainPath := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(mainPath, redirectIncludes(main, staged), 0o600); err != nil {
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
		msg := strings.TrimSpace(string(out))
		for staged, real := range realNames {
			msg = strings.ReplaceAll(msg, staged, real)
		}
		msg = strings.ReplaceAll(msg, mainPath, b.cfg.ConfigFile)
		msg = strings.ReplaceAll(msg, dir, "(staged)")
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

// stageInclude copies the files one [include] glob matches into dst, in
// supervisord's order, with c applied (a new file that the glob matches is
// staged too, a removed one is left out), and returns the glob that reads
// the copies. realNames maps each copy to the file it stands for.
func stageInclude(pattern, dst string, c fileChange, realNames map[string]string) (string, error) {
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return "", err
	}
	matches := daemonglob.Glob(daemonglob.Python, pattern)
	if daemonglob.Match(daemonglob.Python, pattern, c.path) && c.new != nil && !slices.Contains(matches, c.path) {
		matches = append(matches, c.path)
		slices.Sort(matches)
	}
	for j, m := range matches {
		data := []byte(nil)
		switch {
		case m == c.path && c.new == nil:
			continue
		case m == c.path:
			data = c.new
		default:
			var err error
			if data, err = os.ReadFile(m); err != nil {
				return "", err
			}
		}
		// Numbered so that the copies sort as the originals do.
		to := filepath.Join(dst, fmt.Sprintf("%04d-%s", j, filepath.Base(m)))
		if err := os.WriteFile(to, data, 0o600); err != nil {
			return "", err
		}
		realNames[to] = m
	}
	return filepath.Join(dst, "*"), nil
}

// redirectIncludes rewrites the [include] files= line of a main config to
// read the staged globs instead.
func redirectIncludes(main []byte, staged []string) []byte {
	lines := progSplitLines(string(main))
	inInclude := false
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			inInclude = strings.EqualFold(strings.Trim(t, "[] \t"), "include")
			continue
		}
		key, _, ok := strings.Cut(t, "=")
		if !inInclude || !ok || strings.TrimSpace(key) != "files" {
			continue
		}
		lines[i] = fmt.Sprintf("files = %s\n", strings.Join(staged, " "))
		// Continuation lines of the old value would add its globs back.
		for j := i + 1; j < len(lines) && len(lines[j]) > 0 && (lines[j][0] == ' ' || lines[j][0] == '\t'); j++ {
			lines[j] = "\n"
		}
	}
	return []byte(strings.Join(lines, ""))
}
