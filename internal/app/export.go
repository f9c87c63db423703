package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/poolvisor/poolvisor/internal/audit"
	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/config"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sqlitedb"
)

// ExportOptions are the options of `poolvisor audit export`.
type ExportOptions struct {
	ConfigPath string
	Since      string // a DURATION (catalog.ParseDuration); empty: all
	Format     string // csv or json
	Now        func() time.Time
}

// AuditExport writes the audit trail to stdout as /ops audit --format
// writes it, masked alike (ops.MaskAudit), from the database in the data
// directory: it needs no running serve, only the right to read that
// directory. It exports at most audit.MaxExport entries, the last ones,
// and says so on stderr when there may be more.
func AuditExport(o ExportOptions, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintln(stderr, "poolvisor audit export:", err)
		return ExitFailed
	}
	if o.Format != "csv" && o.Format != "json" {
		fmt.Fprintf(stderr, "poolvisor audit export: --format must be csv or json, not %q\n", o.Format)
		return ExitUsage
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var since time.Time
	if o.Since != "" {
		d, err := catalog.ParseDuration(o.Since)
		if err != nil || d == 0 {
			fmt.Fprintf(stderr, "poolvisor audit export: --since takes a duration like 90m, 12h or 7d, not %q\n", o.Since)
			return ExitUsage
		}
		since = o.Now().Add(-d)
	}
	cfg, err := config.Load(o.ConfigPath)
	if err != nil {
		return fail(err)
	}
	// Opening would create an empty database (and its directory) where
	// there is none; an export of nothing from a wrong path helps nobody.
	if _, err := os.Stat(filepath.Join(cfg.DataDir, sqlitedb.FileName)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fail(fmt.Errorf("no audit trail in %s (data_dir): has poolvisor run here with this config?", cfg.DataDir))
		}
		return fail(fmt.Errorf("%w (the data directory is readable by root alone)", err))
	}
	db, err := sqlitedb.Open(cfg.DataDir)
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	ctx := context.Background()
	trail, err := audit.New(ctx, db, "")
	if err != nil {
		return fail(err)
	}
	entries, err := trail.Since(ctx, since, audit.MaxExport)
	if err != nil {
		return fail(err)
	}
	ops.MaskAudit(entries)
	var out []byte
	if o.Format == "json" {
		out, err = ops.AuditJSON(entries)
	} else {
		out, err = ops.AuditCSV(entries)
	}
	if err != nil {
		return fail(err)
	}
	if _, err := stdout.Write(out); err != nil {
		return fail(err)
	}
	if len(entries) == audit.MaxExport {
		fmt.Fprintf(stderr, "poolvisor audit export: only the last %d entries; narrow it with --since, or read the archives in %s\n",
			audit.MaxExport, cfg.DataDir)
	}
	return 0
}
