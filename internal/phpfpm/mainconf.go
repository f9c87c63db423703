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
	// Read loosely: a line poolvisor cannot write back exactly keeps it
	// from writing the file, not from finding the pid file and the pools.
	conf, _ := parseConfLoose(data)
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

// mustEncode encodes a path poolvisor made; paths hold no line breaks.
func mustEncode(v string) string {
	enc, err := encodeValue(v)
	if err != nil {
		return `""`
	}
	return enc
}
