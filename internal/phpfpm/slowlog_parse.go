package phpfpm

import (
	"bytes"
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// This file reads php-fpm's slow log. The master writes an entry each time
// it traces a worker that has been busy longer than request_slowlog_timeout
// (sapi/fpm/fpm/fpm_php_trace.c):
//
//	<blank line>
//	[04-Dec-2026 22:39:50]  [pool www] pid 20134
//	script_filename = /srv/app/index.php
//	[0x00007fe360414120] sleep() /srv/app/index.php:2
//	[0x00007fe3604140c0] inner() /srv/app/index.php:3
//
// or "+++ dump failed" where the trace broke off. Entries arrive cut short
// (the file read from an offset, php-fpm killed mid-trace) and, where
// several masters share a file, one inside another; frames carry no pid,
// so an entry ends at the next header or blank line, and a line out of
// place ends the frames of the entry it falls in.

// slowEntry is one entry of a slow log.
type slowEntry struct {
	at     time.Time
	pool   string
	pid    int
	script string
	stack  []string // top first, "function() file:line", without the address
	broken bool     // a line out of place came: no more frames are its own
}

var (
	// slowHeadRE is zlog_print_time's "[%d-%b-%Y %H:%M:%S" (with
	// microseconds at log_level debug), then the pool and the pid.
	slowHeadRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^\[(\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2})(?:\.\d+)?\]\s+\[pool ([^\]]+)\] pid (\d+)$`)
	})
	slowFrameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\[0x[0-9a-f]+\] (\S.*\(\)) (\S.*:\d+)$`) })
)

const slowScriptPrefix = "script_filename = "

// parseSlowlog reads the entries of data, a slow log or the end of one,
// with times in loc (php-fpm writes its local time). It returns the entries
// that have a script and at least one frame, in file order, and how many
// others it found, cut short before their first frame.
func parseSlowlog(data []byte, loc *time.Location) (entries []slowEntry, skipped int) {
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i+1] // a last line without its newline is still being written, or was cut
	} else {
		data = nil
	}
	var cur *slowEntry
	flush := func() {
		if cur == nil {
			return
		}
		if cur.script != "" && len(cur.stack) > 0 {
			entries = append(entries, *cur)
		} else {
			skipped++
		}
		cur = nil
	}
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSuffix(line, "\n")
		if m := slowHeadRE().FindStringSubmatch(line); m != nil {
			flush()
			at, err := time.ParseInLocation("02-Jan-2006 15:04:05", m[1], loc)
			pid, perr := strconv.Atoi(m[3])
			if err != nil || perr != nil {
				skipped++
				continue
			}
			cur = &slowEntry{at: at, pool: m[2], pid: pid}
			continue
		}
		if line == "" {
			flush() // php-fpm writes a blank line before each header
			continue
		}
		if cur == nil || cur.broken {
			continue // the rest of an entry cut by the offset, or out of place
		}
		if s, ok := strings.CutPrefix(line, slowScriptPrefix); ok && cur.script == "" && len(cur.stack) == 0 {
			cur.script = s
			continue
		}
		if m := slowFrameRE().FindStringSubmatch(line); m != nil && cur.script != "" {
			cur.stack = append(cur.stack, m[1]+" "+m[2])
			continue
		}
		cur.broken = true // "+++ dump failed", a cut line, another entry's line
	}
	flush()
	return entries, skipped
}

// groupSlow groups entries by script and top frame, each group with its
// count, when it was last seen and its latest stack, the most frequent
// first and, among as frequent, the latest.
func groupSlow(entries []slowEntry) []ops.SlowlogEntry {
	type key struct{ script, top string }
	at := map[key]int{}
	var out []ops.SlowlogEntry
	for _, e := range entries {
		k := key{e.script, e.stack[0]}
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, ops.SlowlogEntry{Script: e.script, TopFrame: e.stack[0]})
		}
		g := &out[i]
		g.Count++
		if !e.at.Before(g.LastSeen) { // the later in the file wins a tie
			g.LastSeen, g.Stack = e.at, e.stack
		}
	}
	slices.SortStableFunc(out, func(a, b ops.SlowlogEntry) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), b.LastSeen.Compare(a.LastSeen),
			cmp.Compare(a.Script, b.Script), cmp.Compare(a.TopFrame, b.TopFrame))
	})
	return out
}
