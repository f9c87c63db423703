package ops

// FPMOpcache is the data of fpm.opcache.status and fpm.opcache.reset: the
// OPcache of one PHP-FPM master, as a pool of it reported it. OPcache's
// shared memory belongs to the master, so every pool of it shares these
// figures.
type FPMOpcache struct {
	PHP  string `json:"php,omitempty"` // the instance, when there are several
	Pool string `json:"through_pool"`  // the pool that ran poolvisor's script (not "pool": that is fpm.pool.show's object)
	// Reset is set by fpm.opcache.reset: whether opcache_reset() agreed.
	Reset   *bool         `json:"reset,omitempty"`
	Opcache OpcacheStatus `json:"opcache"`
}

// OpcacheStatus holds the figures of opcache_get_status(false) that
// poolvisor shows (SPEC §6), in MB where PHP gives bytes.
type OpcacheStatus struct {
	Enabled bool `json:"enabled"`
	// Note says why it is not enabled, when it is not.
	Note           string          `json:"note,omitempty"`
	UsedMB         float64         `json:"used_mb"`
	FreeMB         float64         `json:"free_mb"`
	WastedMB       float64         `json:"wasted_mb"`
	WastedPercent  float64         `json:"wasted_percent"`
	HitRate        float64         `json:"hit_rate"` // percent
	Hits           int64           `json:"hits"`
	Misses         int64           `json:"misses"`
	CachedScripts  int64           `json:"cached_scripts"`
	CachedKeys     int64           `json:"cached_keys"`
	MaxCachedKeys  int64           `json:"max_cached_keys"`
	CacheFull      bool            `json:"cache_full"`
	RestartPending bool            `json:"restart_pending"`
	Restarts       OpcacheRestarts `json:"restarts"`
	Interned       OpcacheInterned `json:"interned_strings"`
}

// OpcacheRestarts counts OPcache's restarts by cause since the master
// started.
type OpcacheRestarts struct {
	OOM    int64 `json:"oom"`
	Hash   int64 `json:"hash"`
	Manual int64 `json:"manual"`
}

// OpcacheInterned is OPcache's interned strings buffer.
type OpcacheInterned struct {
	UsedMB  float64 `json:"used_mb"`
	FreeMB  float64 `json:"free_mb"`
	Strings int64   `json:"strings"`
}
