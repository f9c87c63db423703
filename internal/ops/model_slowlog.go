package ops

import "time"

// FPMSlowlog is the data of fpm.pool.slowlog (SPEC §6): a pool's slow
// requests as its slow log tells them, grouped by script and top frame.
type FPMSlowlog struct {
	File string `json:"file"` // the slow log, as php-fpm resolves its path
	// ReadBytes is how much of the end of the file was read; Truncated
	// says there was more before it.
	ReadBytes int64 `json:"read_bytes"`
	Truncated bool  `json:"truncated"`
	// Groups is how many groups there were before --limit; Skipped, how
	// many entries were cut short before their first frame.
	Groups  int            `json:"groups"`
	Skipped int            `json:"skipped"`
	Entries []SlowlogEntry `json:"entries"`
}

// SlowlogEntry is one group of slow requests: same script, same top frame.
// Stack is the latest one's, top first, each frame as php-fpm writes it
// without its address ("sleep() /srv/app/a.php:12").
type SlowlogEntry struct {
	Script   string    `json:"script"`
	TopFrame string    `json:"top_frame"`
	Count    int       `json:"count"`
	LastSeen time.Time `json:"last_seen"`
	Stack    []string  `json:"stack"`
}
