package view

import (
	"fmt"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// Figure is one labelled value of a result drawn as fields (a Slack
// section's fields, a Discord embed's).
type Figure struct{ Label, Value string }

// OpcacheFigures are the figures of an OPcache, in the order both
// platforms show them; none when it is disabled (the text says why).
func OpcacheFigures(o ops.OpcacheStatus) []Figure {
	if !o.Enabled {
		return nil
	}
	return []Figure{
		{"Memory", fmt.Sprintf("%.1f MB used, %.1f MB free\n%.1f MB wasted (%.1f%%)", o.UsedMB, o.FreeMB, o.WastedMB, o.WastedPercent)},
		{"Hit rate", fmt.Sprintf("%.2f%%\n%d hits, %d misses", o.HitRate, o.Hits, o.Misses)},
		{"Cached", fmt.Sprintf("%d scripts\n%d keys of %d", o.CachedScripts, o.CachedKeys, o.MaxCachedKeys)},
		{"Restarts", fmt.Sprintf("%d out of memory, %d hash full\n%d manual", o.Restarts.OOM, o.Restarts.Hash, o.Restarts.Manual)},
		{"Interned strings", fmt.Sprintf("%d strings\n%.1f MB used, %.1f MB free", o.Interned.Strings, o.Interned.UsedMB, o.Interned.FreeMB)},
	}
}
