// Package sqlitedb opens poolvisor's embedded database: one SQLite file in the
// data directory, in WAL mode, shared safely by a running `serve` and any
// number of concurrent `exec` and `console` processes.
package sqlitedb

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// FileName is the database's name inside the data directory.
const FileName = "poolvisor.db"

// Open creates dataDir if needed and opens the database in it. Writers wait
// for each other (busy timeout) instead of failing, and every write
// transaction takes the write lock up front, so read-then-write races between
// processes cannot happen inside a transaction.
func Open(dataDir string) (*sql.DB, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + filepath.Join(dataDir, FileName) + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database in %s: %w", dataDir, err)
	}
	return db, nil
}
