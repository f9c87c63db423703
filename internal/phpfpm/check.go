package phpfpm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/testhook"
)

// phpCheck is validation stage 2: php-fpm's own test (php-fpm -t) of the
// configuration as it would be with file set to content (nil: removed;
// file "": the configuration as it is). The main config and every file it
// includes, wherever they are, are copied to a staging directory first, so
// nothing next to them is touched, whatever the answer; file may be any of
// them, the main config included.
func (b *Backend) phpCheck(ctx context.Context, file string, content []byte) error {
	overlay := map[string][]byte{}
	if file != "" {
		overlay[file] = content
	}
	return b.phpCheckFiles(ctx, overlay)
}

// phpCheckFiles is phpCheck of several files at once (path to content;
// nil content: removed), for a write that changes them together.
func (b *Backend) phpCheckFiles(ctx context.Context, overlay map[string][]byte) error {
	stage, err := os.MkdirTemp(b.cfg.StagingDir, "poolvisor-fpm-check-")
	if err != nil {
		return ops.Fail(err, "cannot create a staging directory for php-fpm's test")
	}
	defer os.RemoveAll(stage)
	st := newStager(stage, overlay)
	stagedMain, err := st.stageMain(b.cfg.MainConfig, filepath.Join(stage, "php-fpm.log"))
	if err != nil {
		return ops.Fail(err, "cannot stage php-fpm's configuration for its test")
	}

	testhook.Pause("in-check")
	ctx, cancel := context.WithTimeout(ctx, b.cfg.CallTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.cfg.Binary, "-t", "-y", stagedMain)
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ops.Fail(ctx.Err(), "php-fpm's own test (%s -t) did not finish within %s", b.cfg.Binary, b.cfg.CallTimeout)
	}
	var exit *exec.ExitError
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		// No silent skip: a pool php-fpm has not tested is never written.
		return ops.Failedf("php-fpm's own test cannot run here: %s is not on this host (in a container, the image has no php-fpm), so nothing was written; run poolvisor where php-fpm is installed, or set phpfpm.enabled: false",
			b.cfg.Binary)
	}
	if !errors.As(err, &exit) {
		return ops.Fail(err, "could not run php-fpm's own test (%s -t)", b.cfg.Binary)
	}
	r := strings.NewReplacer(st.back...)
	what := "the result, so nothing was changed"
	if len(overlay) == 0 {
		what = "the configuration on disk"
	}
	return ops.Invalidf("php-fpm's own test (%s -t) refused %s:\n%s",
		filepath.Base(b.cfg.Binary), what, indent(r.Replace(testErrors(out)), "  "))
}

var (
	logStampRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\[[^\]]*\d\d:\d\d:\d\d\] `) })
	includeRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`Unable to include (.+) from .+ at line (\d+)`) })
	// Lines that only say that something above failed.
	genericFailure = []string{
		"failed to post process the configuration", "FPM initialization failed",
		"failed to load configuration file",
	}
)

// testErrors turns the output of php-fpm -t into the lines a user needs:
// the ALERT and ERROR lines without timestamps or generic trailers, with a
// syntax error placed in its file and line.
func testErrors(out []byte) string {
	var lines []string
	pendingSyntax := ""
	for _, raw := range strings.Split(string(bytes.TrimSpace(out)), "\n") {
		l := logStampRE().ReplaceAllString(strings.TrimSpace(raw), "")
		if s, ok := strings.CutPrefix(l, "PHP:"); ok {
			// The ini scanner sees one line at a time and always says
			// "line 1"; the include error below says where.
			s = strings.TrimSpace(s)
			s, _, _ = strings.Cut(s, " in Unknown on line")
			pendingSyntax = s
			continue
		}
		if m := includeRE().FindStringSubmatch(l); m != nil {
			what := pendingSyntax
			if what == "" {
				if len(lines) > 0 && strings.Contains(lines[len(lines)-1], m[1]) {
					continue // the line above already says what is wrong there
				}
				what = "cannot be read"
			}
			lines = append(lines, fmt.Sprintf("ERROR: %s line %s: %s", m[1], m[2], what))
			pendingSyntax = ""
			continue
		}
		if !strings.HasPrefix(l, "ERROR:") && !strings.HasPrefix(l, "ALERT:") {
			continue
		}
		generic := false
		for _, g := range genericFailure {
			generic = generic || strings.Contains(l, g)
		}
		if !generic {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return strings.TrimSpace(string(out))
	}
	return strings.Join(lines, "\n")
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
