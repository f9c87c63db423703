package phpfpm

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// stager copies the configuration php-fpm would read, with a change
// applied, into a staging directory for php-fpm -t: the main config and
// every file it includes, wherever they are. Each include line of a staged
// file is replaced by one include line per file its glob matches, in
// glob(3)'s order, naming the staged copy, so php-fpm reads the same files
// in the same order and never the live ones.
type stager struct {
	loader
	dir  string
	n    int
	back []string // staged path, live path, ...: for php-fpm's messages
}

func newStager(dir string, overlay map[string][]byte) *stager {
	return &stager{loader: loader{overlay: overlay, seen: map[string]bool{}, twice: map[string]bool{}}, dir: dir}
}

// stageMain stages the main config at path with its error log sent to
// errorLog, and returns the staged copy's path.
func (s *stager) stageMain(path, errorLog string) (string, error) {
	data, err := s.read(path)
	if err != nil {
		return "", fmt.Errorf("read php-fpm main config: %w", err)
	}
	conf, err := parseConf(data)
	if err != nil {
		conf, _ = parseConfLoose(data)
	}
	conf = withErrorLog(conf, errorLog)
	staged := filepath.Join(s.dir, "php-fpm.conf")
	return staged, s.write(path, staged, conf, 0)
}

// stageFile stages an included file and returns its staged path.
func (s *stager) stageFile(path string, depth int) (string, error) {
	data, err := s.read(path)
	if err != nil {
		return "", err
	}
	conf, err := parseConf(data)
	if err != nil {
		// php-fpm judges it; its own include lines, if any, stay live.
		conf, _ = parseConfLoose(data)
	}
	s.n++
	sub := filepath.Join(s.dir, strconv.Itoa(s.n))
	if err := os.Mkdir(sub, 0o700); err != nil {
		return "", err
	}
	staged := filepath.Join(sub, filepath.Base(path))
	return staged, s.write(path, staged, conf, depth)
}

func (s *stager) write(live, staged string, conf *confFile, depth int) error {
	out := &confFile{}
	for _, l := range conf.lines {
		if l.kind != lineDirective || l.key != "include" || depth >= maxIncludeDepth {
			out.lines = append(out.lines, l)
			continue
		}
		glob := resolve(l.value, installPrefix)
		matches := s.expand(glob)
		if len(matches) == 0 {
			out.lines = append(out.lines, confLine{text: "; include " + strings.ReplaceAll(glob, "\n", " ") + ": nothing matches", eol: "\n", kind: lineComment, section: l.section})
		}
		for _, m := range matches {
			st, err := s.stageFile(m, depth+1)
			if err != nil {
				return fmt.Errorf("stage %s: %w", m, err)
			}
			out.lines = append(out.lines, confLine{text: "include = " + mustEncode(st), eol: "\n", kind: lineDirective, section: l.section, key: "include", value: st})
		}
	}
	s.back = append(s.back, staged, live)
	return os.WriteFile(staged, out.bytes(), 0o600)
}

// withErrorLog returns the main config with its error log at path, so that
// php-fpm's test writes nothing next to the live files.
func withErrorLog(conf *confFile, path string) *confFile {
	out := &confFile{lines: append([]confLine(nil), conf.lines...)}
	logSet, globalAt := false, -1
	for i, l := range out.lines {
		if l.kind == lineSection && l.section == "global" && globalAt < 0 {
			globalAt = i
		}
		if l.kind == lineDirective && globalSection(l.section) && l.key == "error_log" {
			out.lines[i].text = "error_log = " + mustEncode(path)
			logSet = true
		}
	}
	if !logSet {
		l := confLine{text: "error_log = " + mustEncode(path), eol: "\n", kind: lineDirective, section: "global", key: "error_log"}
		at := globalAt + 1 // 0 when there is no [global]: before any section
		out.lines = append(out.lines[:at], append([]confLine{l}, out.lines[at:]...)...)
	}
	return out
}
