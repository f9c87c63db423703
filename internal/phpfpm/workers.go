package phpfpm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// workers answers fpm.pool.workers: every worker on the pool's full status
// page, joined by pid with its memory from /proc/PID/smaps_rollup. A
// worker that exits between the two is left out, not an error: workers
// come and go (pm.max_requests, ondemand's idle timeout).
func (b *Backend) workers(ctx context.Context, req ops.Request) (ops.Outcome, error) {
	name := req.Op.Target
	d, err := b.scanPools()
	if err != nil {
		return ops.Outcome{}, err
	}
	e, err := d.find(name, b.cfg.Host)
	if err != nil {
		return ops.Outcome{}, err
	}
	path := e.directives["pm.status_path"]
	if path == "" {
		return ops.Outcome{}, ops.Invalidf("pool %s on %s has no status page, which lists its workers; enable it with /fpm pool edit %s --status-path /status", name, b.cfg.Host, name)
	}
	running, state, master := b.serviceState(ctx)
	if !running {
		return ops.Outcome{}, ops.Failedf("php-fpm is not running on %s (%s)", b.cfg.Host, state)
	}
	page, err := b.readStatus(ctx, e, path, "full&json")
	if errors.Is(err, errNotStatus) {
		return ops.Outcome{}, ops.Fail(err, "the status page of pool %s (%s) did not answer with php-fpm's status JSON; is pm.status_path handled by a script?", name, path)
	}
	if err != nil {
		return ops.Outcome{}, ops.Fail(err, "the status page of pool %s (%s) did not answer: %v", name, path, err)
	}
	data := ops.FPMWorkers{Pool: name, Workers: []ops.FPMWorker{}}
	var denied error
	// The page comes from the pool's socket, which whoever may write its
	// directory can answer in php-fpm's place (Debian's /run/php is
	// www-data's): only the pool's own workers are measured, or root would
	// read and show the memory of any process the page names.
	workers := fpmWorkerPIDs(master)[name]
	foreign := 0
	for _, p := range page.Processes {
		if !slices.Contains(workers, p.PID) {
			if _, err := os.Stat(fmt.Sprintf("%s/%d", procRoot, p.PID)); err == nil {
				foreign++ // alive and no worker of this pool; a worker gone since is not
			} else {
				data.Skipped++
			}
			continue
		}
		m, err := readMem(p.PID)
		if errors.Is(err, errGone) {
			data.Skipped++
			continue
		}
		if err != nil && denied == nil {
			denied = err
		}
		data.Workers = append(data.Workers, ops.FPMWorker{
			PID: p.PID, State: p.State, Method: p.RequestMethod, RequestURI: withoutQuery(p.RequestURI),
			DurationMS: p.RequestDuration / 1000, Requests: p.Requests,
			RSSKB: m.RSS, PSSKB: m.PSS, SharedKB: m.Shared,
		})
	}
	parts := workersParts(b.cfg.Host, page.ProcessManager, data, denied)
	if foreign > 0 {
		procs := fmt.Sprintf("%d processes", foreign)
		if foreign == 1 {
			procs = "1 process"
		}
		parts = append(parts, ops.Prose(fmt.Sprintf("Left out: %s the status page names are not workers of pool %s; something other than php-fpm may answer on its socket (%s).",
			procs, name, e.directives["listen"])))
	}
	return ops.Parts(data, parts...), nil
}

// withoutQuery is a request URI with its query string cut off and marked:
// web applications put tokens there (password resets, OAuth codes, API
// keys), and /fpm workers is a viewer's read, often answered in a channel.
func withoutQuery(uri string) string {
	if path, _, ok := strings.Cut(uri, "?"); ok {
		return path + "?…"
	}
	return uri
}

// workersParts describes a pool's workers: a head line, a table, and the
// sum of their PSS, which is what they take together.
func workersParts(host, pm string, w ops.FPMWorkers, denied error) []ops.Part {
	head := fmt.Sprintf("Workers of pool %s on %s (pm %s): %d", w.Pool, host, pm, len(w.Workers))
	if w.Skipped > 0 {
		head += fmt.Sprintf(", %d more exited while measured", w.Skipped)
	}
	rows := [][]string{{"PID", "STATE", "REQUESTS", "REQUEST", "DURATION", "RSS", "PSS", "SHARED"}}
	var pss, rss int64
	for _, p := range w.Workers {
		req := p.RequestURI
		if p.Method != "" && p.Method != "-" {
			req = p.Method + " " + req
		}
		rows = append(rows, []string{strconv.Itoa(p.PID), p.State, strconv.FormatInt(p.Requests, 10), req,
			fmt.Sprintf("%d ms", p.DurationMS), mb(p.RSSKB), mb(p.PSSKB), mb(p.SharedKB)})
		pss += p.PSSKB
		rss += p.RSSKB
	}
	parts := []ops.Part{ops.Prose(head)}
	if len(w.Workers) > 0 {
		parts = append(parts, ops.RowsTable(rows...))
	}
	foot := fmt.Sprintf("Together the workers take %s (sum of PSS); the sum of their RSS, %s, counts the pages they share (OPcache among them) once per worker.", mb(pss), mb(rss))
	if denied != nil {
		foot = fmt.Sprintf("Their memory could not be read (%v): poolvisor needs to run as root or as the pool's user to read /proc/PID/smaps_rollup.", denied)
	}
	return append(parts, ops.Prose(foot))
}

// mb writes kB as megabytes with one decimal.
func mb(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }
