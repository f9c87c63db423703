package catalog

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Day is what a "d" in a DURATION stands for: 24 hours, whatever the
// calendar (a day of a clock change is still 24h here).
const Day = 24 * time.Hour

// ParseDuration reads a DURATION of the grammar: Go's form (90s, 30m,
// 2h), or whole days before it (7d, 1d12h), since an audit is asked for
// in days and Go's form has no unit longer than an hour. Every flag of
// type Duration, in chat and on the command line, is read by it, so they
// all accept the same words. It refuses a negative duration; whether
// zero means anything is each caller's to say.
func ParseDuration(s string) (time.Duration, error) {
	var days time.Duration
	hasDays := false
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseUint(s[:i], 10, 16)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		days, s, hasDays = time.Duration(n)*Day, s[i+1:], true
	}
	var rest time.Duration
	if s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, err
		}
		rest = d
	} else if !hasDays {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	if d := days + rest; d >= 0 {
		return d, nil
	}
	return 0, fmt.Errorf("duration %q is below zero", s)
}
