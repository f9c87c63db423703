package phpfpm

import (
	"fmt"
	"os"
	"path/filepath"
)

// mainConfig is what poolvisor reads from php-fpm's main config.
type mainConfig struct {
	path     string
	conf     *confFile
	pidFile  string   // absolute; "" when the config sets none
	errorLog string   // absolute path, or "syslog"
	includes []string // absolute globs, in order
	logLevel string   // log_level, "notice" when unset
}

// readMainConfig reads path, resolving relative paths as a php-fpm started
// without -p does.
func readMainConfig(path string) (*mainConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read php-fpm main config: %w", err)
	}
	conf, err := parseConf(data)
	if err != nil {
		return nil, fmt.Errorf("php-fpm main config %s, %w", path, err)
	}
	m := &mainConfig{path: path, conf: conf, errorLog: resolve("log/php-fpm.log", stateDirPrefix), logLevel: "notice"}
	for _, l := range conf.lines {
		if l.kind != lineDirective || !globalSection(l.section) {
			continue
		}
		switch l.key {
		case "pid":
			m.pidFile = resolve(l.value, stateDirPrefix)
		case "error_log":
			m.errorLog = "syslog"
			if l.value != "syslog" {
				m.errorLog = resolve(l.value, stateDirPrefix)
			}
		case "include":
			m.includes = append(m.includes, resolve(l.value, installPrefix))
		case "log_level":
			m.logLevel = l.value
		}
	}
	return m, nil
}

// globalSection reports whether a directive in section is a global one:
// php-fpm reads directives before any section as global too.
func globalSection(section string) bool { return section == "" || section == "global" }

func resolve(path, prefix string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(prefix, path)
}

// includesDir reports whether the main config includes files from dir.
func (m *mainConfig) includesDir(dir string) bool {
	for _, g := range m.includes {
		if filepath.Dir(g) == filepath.Clean(dir) {
			return true
		}
	}
	return false
}

// staged returns the main config for php-fpm's test of a staged pool dir:
// every include of poolDir points at stagedPoolDir instead, and the error
// log goes to errorLog, so the test writes nothing next to the live files.
func (m *mainConfig) staged(poolDir, stagedPoolDir, errorLog string) ([]byte, error) {
	out := &confFile{lines: append([]confLine(nil), m.conf.lines...)}
	redirected, logSet := 0, false
	globalAt := -1
	for i, l := range out.lines {
		if l.kind == lineSection && l.section == "global" && globalAt < 0 {
			globalAt = i
		}
		if l.kind != lineDirective || !globalSection(l.section) {
			continue
		}
		switch l.key {
		case "include":
			g := resolve(l.value, installPrefix)
			if filepath.Dir(g) == filepath.Clean(poolDir) {
				out.lines[i].text = "include = " + mustEncode(filepath.Join(stagedPoolDir, filepath.Base(g)))
				redirected++
			}
		case "error_log":
			out.lines[i].text = "error_log = " + mustEncode(errorLog)
			logSet = true
		}
	}
	if redirected == 0 {
		return nil, fmt.Errorf("the main config %s includes no files from the pool dir %s, so php-fpm would not read its pools", m.path, poolDir)
	}
	if !logSet {
		l := confLine{text: "error_log = " + mustEncode(errorLog), eol: "\n", kind: lineDirective, section: "global", key: "error_log"}
		at := globalAt + 1 // 0 when there is no [global]: before any section
		out.lines = append(out.lines[:at], append([]confLine{l}, out.lines[at:]...)...)
	}
	return out.bytes(), nil
}

// mustEncode encodes a path poolvisor made; paths hold no line breaks.
func mustEncode(v string) string {
	enc, err := encodeValue(v)
	if err != nil {
		return `""`
	}
	return enc
}
