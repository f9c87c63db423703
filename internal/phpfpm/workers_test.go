package phpfpm

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/fastcgi"
	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

func TestWorkers(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "api", MaxChildren: 3, StatusPath: "/status"}, sandbox.Pool{Name: "plain"})
	b := testBackend(t, f)

	r := run(t, b, op("fpm.pool.workers", "api"))
	if r.status != ops.StatusOK {
		t.Fatalf("workers: %s %s", r.status, r.msg)
	}
	w := r.data.(ops.FPMWorkers)
	if len(w.Workers)+w.Skipped != 3 || len(w.Workers) == 0 {
		t.Fatalf("workers = %+v", w)
	}
	shared, running := false, false
	for _, p := range w.Workers {
		if p.PSSKB <= 0 || p.PSSKB > p.RSSKB || p.SharedKB <= 0 {
			t.Errorf("worker %d: PSS %d kB, RSS %d kB, shared %d kB", p.PID, p.PSSKB, p.RSSKB, p.SharedKB)
		}
		// Forked from one master, the workers share its pages: PSS
		// divides them, RSS counts them in full.
		shared = shared || p.PSSKB < p.RSSKB
		running = running || (p.State == "Running" && strings.HasPrefix(p.RequestURI, "/status") && p.Method == "GET")
	}
	if !shared || !running {
		t.Errorf("no worker shares pages (%v) or serves the status page (%v): %+v", shared, running, w.Workers)
	}
	if !strings.Contains(r.msg, "PSS") || !strings.Contains(r.msg, "sum of PSS") {
		t.Errorf("message:\n%s", r.msg)
	}

	if r := run(t, b, op("fpm.pool.workers", "plain")); r.status != ops.StatusInvalid || !strings.Contains(r.msg, "/fpm pool edit plain --status-path /status") {
		t.Errorf("no status page: %s %s", r.status, r.msg)
	}
	if r := run(t, b, op("fpm.pool.workers", "nope")); r.status != ops.StatusInvalid {
		t.Errorf("unknown pool: %s %s", r.status, r.msg)
	}
}

// TestWorkersGarbage: a status page that answers something other than
// php-fpm's JSON gets a clear failed answer. The pool's file points its
// listen at a FastCGI server that answers text; php-fpm is not reloaded
// on it, so only poolvisor reads it.
func TestWorkersGarbage(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "api", StatusPath: "/status"})
	b := testBackend(t, f)
	fakeStatusPool(t, f, "Content-Type: text/html\r\n\r\n<html>not a status page</html>")
	r := run(t, b, op("fpm.pool.workers", "fake"))
	if r.status != ops.StatusFailed || !strings.Contains(r.msg, "did not answer with php-fpm's status JSON") {
		t.Errorf("garbage: %s %s", r.status, r.msg)
	}
}

// fakeStatusPool adds the pool fake to f's pool files, its listen a
// FastCGI server that answers every request with answer (headers and
// body); php-fpm is not reloaded on it, so only poolvisor reads it.
func fakeStatusPool(t *testing.T, f *sandbox.PHPFPM, answer string) {
	t.Helper()
	sock := filepath.Join(f.SocketDir, "fake.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go serveText(l, answer)
	conf := "[fake]\nlisten = " + sock + "\npm = static\npm.max_children = 1\npm.status_path = /status\n"
	if err := os.WriteFile(filepath.Join(f.PoolDir, "fake.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
}

// serveText answers every FastCGI request on l with body as the
// responder's output: enough of the protocol for one GET.
func serveText(l net.Listener, body string) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			var id uint16
			for {
				var h [8]byte
				if _, err := io.ReadFull(c, h[:]); err != nil {
					return
				}
				id = binary.BigEndian.Uint16(h[2:4])
				n := int(binary.BigEndian.Uint16(h[4:6])) + int(h[6])
				if _, err := io.CopyN(io.Discard, c, int64(n)); err != nil {
					return
				}
				if h[1] == 5 && n == 0 { // the end of FCGI_STDIN
					break
				}
			}
			record := func(typ byte, content []byte) {
				h := []byte{1, typ, byte(id >> 8), byte(id), byte(len(content) >> 8), byte(len(content)), 0, 0}
				c.Write(append(h, content...))
			}
			record(6, []byte(body))
			record(6, nil)
			record(3, make([]byte, 8))
		}()
	}
}

// TestWorkersForeignPIDs: the status page is read from the pool's socket,
// which whoever may write the socket's directory can replace (Debian's
// /run/php belongs to www-data). Its pids are measured only when they are
// that pool's workers: poolvisor, as root, would otherwise read and show
// the memory of any process a fake page names.
func TestWorkersForeignPIDs(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "api", StatusPath: "/status"})
	b := testBackend(t, f)
	page := fmt.Sprintf(`{"pool":"fake","process manager":"static","processes":[`+
		`{"pid":1,"state":"Idle","request uri":"/init"},{"pid":%d,"state":"Idle","request uri":"/poolvisor"}]}`, os.Getpid())
	fakeStatusPool(t, f, "Content-Type: application/json\r\n\r\n"+page)
	r := run(t, b, op("fpm.pool.workers", "fake"))
	if r.status != ops.StatusOK {
		t.Fatalf("workers: %s %s", r.status, r.msg)
	}
	if w := r.data.(ops.FPMWorkers); len(w.Workers) != 0 {
		t.Errorf("processes that are no worker of the pool were measured: %+v", w.Workers)
	}
	if !strings.Contains(r.msg, "2 processes the status page names are not workers of pool fake") {
		t.Errorf("message:\n%s", r.msg)
	}
}

// TestWorkersHideQueryStrings: a worker's request URI on the status page
// carries its query string, where web applications put tokens (password
// resets, OAuth codes, API keys). /fpm workers is a viewer's read, often
// answered in a channel: it shows the path and that there was a query,
// never the query.
func TestWorkersHideQueryStrings(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "api", MaxChildren: 3, StatusPath: "/status"})
	b := testBackend(t, f)
	dir, err := os.MkdirTemp("", "poolvisor-done") // one the workers' user can search
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	done := filepath.Join(dir, "done")
	script := phpScript(t, "<?php\nwhile (!file_exists('"+done+"')) { usleep(20000); }\necho 'ok';\n")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // reached only on failure
	defer cancel()
	answered := make(chan error, 1)
	go func() {
		_, err := fastcgi.Get(ctx, "unix", f.SocketPath("api"), script, "reset_token=SUPERSECRET&x=1")
		answered <- err
	}()
	defer func() {
		if err := os.WriteFile(done, nil, 0o644); err != nil {
			t.Error(err)
		}
		if err := <-answered; err != nil {
			t.Error(err)
		}
	}()
	for {
		r := run(t, b, op("fpm.pool.workers", "api"))
		if r.status != ops.StatusOK {
			t.Fatalf("workers: %s %s", r.status, r.msg)
		}
		busy := ""
		for _, w := range r.data.(ops.FPMWorkers).Workers {
			if strings.HasPrefix(w.RequestURI, script) {
				busy = w.RequestURI
			}
		}
		if busy != "" {
			if strings.Contains(r.msg, "SUPERSECRET") || strings.Contains(busy, "SUPERSECRET") || busy != script+"?…" {
				t.Errorf("the query string is shown: %q\n%s", busy, r.msg)
			}
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("no worker serves %s:\n%s", script, r.msg)
		}
	}
}
