package supervisor

// This file checks values the way supervisor/datatypes.py (4.2.5) reads them,
// a little stricter where supervisord would accept what no one means.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// progParseInt reads what Python's int() reads, limited to an optional sign and
// ASCII digits (int() also takes "1_000" and other scripts' digits).
func progParseInt(s string) (int64, bool) {
	digits := strings.TrimLeft(s, "+-")
	if digits == "" || len(s)-len(digits) > 1 || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

var (
	progTruthy = []string{"true", "yes", "on", "1"}
	progFalsy  = []string{"false", "no", "off", "0"}
)

func progCheckBool(key, v string) error {
	l := strings.ToLower(v)
	if progASCII(v) && (slices.Contains(progTruthy, l) || slices.Contains(progFalsy, l)) {
		return nil
	}
	return ops.Invalidf("%s must be true or false (yes/no, on/off and 1/0 work too), not %q", key, v)
}

// progSignals are the signals of Linux that Python's signal module names;
// signal_number also takes "_DFL" and 0 (SIG_DFL), which would never stop
// anything, so poolvisor leaves those out.
var progSignals = map[string]int{
	"HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7,
	"FPE": 8, "KILL": 9, "USR1": 10, "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14,
	"TERM": 15, "STKFLT": 16, "CHLD": 17, "CLD": 17, "CONT": 18, "STOP": 19, "TSTP": 20,
	"TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27,
	"WINCH": 28, "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31, "RTMIN": 34, "RTMAX": 64,
}

func progCheckSignal(key, v string) error {
	if n, ok := progParseInt(v); ok {
		for _, num := range progSignals {
			if int64(num) == n {
				return nil
			}
		}
	} else if progASCII(v) {
		name := strings.TrimPrefix(strings.ToUpper(v), "SIG")
		if _, ok := progSignals[name]; ok {
			return nil
		}
	}
	return ops.Invalidf("%s must be a signal name such as TERM, INT, QUIT, HUP, KILL, USR1 or USR2 (or its number), not %q", key, v)
}

func progCheckBytes(key, v string) error {
	l := strings.ToLower(v)
	if !progASCII(v) {
		l = ""
	}
	num := l
	for _, suf := range []string{"kb", "mb", "gb"} {
		if strings.HasSuffix(l, suf) {
			num = strings.TrimSuffix(l, suf)
			break
		}
	}
	if _, ok := progParseInt(num); ok && strings.Trim(num, "0123456789") == "" {
		return nil
	}
	return ops.Invalidf("%s must be a size in bytes such as 1024, 500KB, 50MB or 1GB (0 for none), not %q", key, v)
}

func progCheckInt(key string, spec progKey, v string) error {
	n, ok := progParseInt(v)
	if ok && n >= spec.min && n <= spec.max {
		return nil
	}
	switch {
	case spec.max == progMaxInt:
		return ops.Invalidf("%s must be a whole number from %d up, not %q", key, spec.min, v)
	default:
		return ops.Invalidf("%s must be a whole number from %d to %d, not %q", key, spec.min, spec.max, v)
	}
}

func progCheckExitcodes(key, v string) error {
	for _, part := range strings.Split(v, ",") {
		n, ok := progParseInt(strings.Trim(part, " \t\n"))
		if !ok || n < 0 || n > 255 {
			return ops.Invalidf("%s must be exit codes from 0 to 255 separated by commas, such as 0 or 0,2, not %q", key, v)
		}
	}
	return nil
}

func progCheckUmask(key, v string) error {
	n, err := strconv.ParseUint(v, 8, 32)
	if err == nil && len(v) <= 4 && n <= 0o777 {
		return nil
	}
	return ops.Invalidf("%s must be an octal file mode mask such as 022 or 002, not %q", key, v)
}

func progCheckAutorestart(key, v string) error {
	l := strings.ToLower(v)
	if progASCII(v) && (slices.Contains(progTruthy, l) || slices.Contains(progFalsy, l) || l == "unexpected") {
		return nil
	}
	return ops.Invalidf("%s must be true, false or unexpected, not %q", key, v)
}

// progCheckCommand refuses a command that supervisord would load but could not
// start: shlex.split (POSIX mode, as process.py uses it) fails on an open
// quote or a trailing backslash.
func progCheckCommand(key, v string) error {
	if strings.TrimSpace(v) == "" {
		return ops.Invalidf("%s needs a program to run", key)
	}
	quote := byte(0)
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
		case c == '\\':
			if i+1 == len(v) {
				return ops.Invalidf("%s ends with a backslash, which supervisord cannot split into arguments", key)
			}
			i++
		case quote == '"':
			if c == '"' {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		}
	}
	if quote != 0 {
		return ops.Invalidf("%s has an unclosed %c quote, so supervisord could not split it into arguments", key, quote)
	}
	return nil
}

func progCheckUser(key, v string) error {
	ok := len(v) <= 32 && v != ""
	for i := 0; ok && i < len(v); i++ {
		c := v[i]
		ok = c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			i > 0 && (c == '.' || c == '-' || c == '$' && i == len(v)-1)
	}
	if ok {
		return nil
	}
	return ops.Invalidf("%s must be a user name or id such as www-data, not %q", key, v)
}

func progCheckLogfile(key, v string) error {
	switch strings.ToLower(v) {
	case "auto", "none", "off", "syslog":
		return nil
	}
	if strings.HasPrefix(v, "/") || strings.HasPrefix(v, progUnknowable) || strings.HasPrefix(v, progUnchecked) {
		return nil
	}
	return ops.Invalidf("%s must be an absolute path such as /var/log/app.log, or AUTO, NONE or syslog, not %q", key, v)
}

func progCheckDirectory(key, v string) error {
	if strings.HasPrefix(v, "/") || strings.HasPrefix(v, progUnknowable) || strings.HasPrefix(v, progUnchecked) {
		return nil
	}
	return ops.Invalidf("%s must be an absolute path such as /var/www/app, not %q", key, v)
}

func progCheckProcessName(key, v string) error {
	s := progPyStrip(v)
	if s == "" {
		return ops.Invalidf("%s needs a value such as %%(program_name)s_%%(process_num)02d", key)
	}
	if i := strings.IndexAny(s, " :/"); i >= 0 {
		return ops.Invalidf("%s may not contain %q (supervisord refuses spaces, colons and slashes in process names): %q", key, s[i:i+1], v)
	}
	return nil
}

func progCheckServerURL(key, v string) error {
	if strings.EqualFold(v, "auto") {
		return nil
	}
	for _, p := range []string{"http://", "https://", "unix://"} {
		if strings.HasPrefix(strings.ToLower(v), p) && len(v) > len(p) {
			return nil
		}
	}
	return ops.Invalidf("%s must be AUTO or a URL such as unix:///var/run/supervisor.sock or http://127.0.0.1:9001, not %q", key, v)
}

// progCheckKind checks v, the value of key as supervisord computes it for one
// process, against the key's type.
func progCheckKind(key string, spec progKey, v string) error {
	switch spec.kind {
	case pkCommand:
		return progCheckCommand(key, v)
	case pkBool:
		return progCheckBool(key, v)
	case pkAutorestart:
		return progCheckAutorestart(key, v)
	case pkInt:
		return progCheckInt(key, spec, v)
	case pkBytes:
		return progCheckBytes(key, v)
	case pkSignal:
		return progCheckSignal(key, v)
	case pkExitcodes:
		return progCheckExitcodes(key, v)
	case pkUmask:
		return progCheckUmask(key, v)
	case pkEnvironment:
		_, err := progParseEnvironment(key, v)
		return err
	case pkUser:
		return progCheckUser(key, v)
	case pkDirectory:
		return progCheckDirectory(key, v)
	case pkLogfile:
		return progCheckLogfile(key, v)
	case pkProcessName:
		return progCheckProcessName(key, v)
	case pkServerURL:
		return progCheckServerURL(key, v)
	}
	return fmt.Errorf("unknown kind %d", spec.kind)
}
