package fastcgi

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

func TestAgainstPHPFPM(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "web", PM: "dynamic", MaxChildren: 3, StatusPath: "/status", PingPath: "/ping"})
	sock := f.SocketPath("web")
	tests := []struct {
		name, path, query string
		wantStatus        int
		check             func(t *testing.T, r *Response)
	}{
		{"status as json", "/status", "json", 200, func(t *testing.T, r *Response) {
			var st map[string]any
			if err := json.Unmarshal(r.Body, &st); err != nil {
				t.Fatalf("status body %q: %v", r.Body, err)
			}
			if st["pool"] != "web" || st["process manager"] != "dynamic" {
				t.Errorf("status = %v", st)
			}
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Errorf("content type %q", r.Header.Get("Content-Type"))
			}
		}},
		{"ping", "/ping", "", 200, func(t *testing.T, r *Response) {
			if string(r.Body) != "pong" {
				t.Errorf("ping body %q", r.Body)
			}
		}},
		{"unknown script", "/nope.php", "", 404, func(t *testing.T, r *Response) {
			if !strings.Contains(string(r.Stderr)+string(r.Body), "not found") &&
				!strings.Contains(string(r.Stderr), "Primary script unknown") {
				t.Errorf("body %q stderr %q", r.Body, r.Stderr)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // reached only on failure
			defer cancel()
			r, err := Get(ctx, "unix", sock, tt.path, tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tt.wantStatus {
				t.Errorf("status %d, want %d (body %q)", r.Status, tt.wantStatus, r.Body)
			}
			tt.check(t, r)
		})
	}
}

// record returns one FastCGI record, unpadded unless pad is given.
func record(typ byte, id uint16, content []byte, pad int) []byte {
	h := []byte{version1, typ, 0, 0, 0, 0, byte(pad), 0}
	binary.BigEndian.PutUint16(h[2:4], id)
	binary.BigEndian.PutUint16(h[4:6], uint16(len(content)))
	return append(append(h, content...), make([]byte, pad)...)
}

func endRequest(app uint32, proto byte) []byte {
	c := make([]byte, 8)
	binary.BigEndian.PutUint32(c, app)
	c[4] = proto
	return record(typeEndRequest, 1, c, 0)
}

// fakeServer answers every connection on a Unix socket with reply, after
// reading the request up to its empty STDIN record.
func fakeServer(t *testing.T, reply []byte, got chan<- map[string]string) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "fcgi.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			params := readRequest(c)
			if got != nil {
				got <- params
			}
			if reply != nil {
				_, _ = c.Write(reply)
				c.Close()
			} else {
				t.Cleanup(func() { c.Close() }) // never answers
			}
		}
	}()
	return sock
}

// readRequest reads records until the empty STDIN and decodes the params.
func readRequest(r io.Reader) map[string]string {
	var params []byte
	for {
		var h [8]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			return nil
		}
		body := make([]byte, int(binary.BigEndian.Uint16(h[4:6]))+int(h[6]))
		if _, err := io.ReadFull(r, body); err != nil {
			return nil
		}
		body = body[:binary.BigEndian.Uint16(h[4:6])]
		if h[1] == typeParams {
			params = append(params, body...)
		}
		if h[1] == typeStdin && len(body) == 0 {
			return decodeParams(params)
		}
	}
}

func decodeParams(b []byte) map[string]string {
	m := map[string]string{}
	readLen := func() int {
		if b[0] < 128 {
			n := int(b[0])
			b = b[1:]
			return n
		}
		n := int(binary.BigEndian.Uint32(b) &^ (1 << 31))
		b = b[4:]
		return n
	}
	for len(b) > 0 {
		kl, vl := readLen(), readLen()
		m[string(b[:kl])] = string(b[kl : kl+vl])
		b = b[kl+vl:]
	}
	return m
}

func TestProtocol(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("x"), 70000)
	tests := []struct {
		name       string
		reply      []byte
		wantErr    string
		wantStatus int
		wantBody   string
		wantStderr string
	}{
		{
			name: "split stdout, padding, stderr, status header",
			reply: bytes.Join([][]byte{
				record(typeStdout, 1, []byte("Status: 503 Service Unavailable\r\nContent-type: text/plain\r\n\r\nbu"), 3),
				record(typeStderr, 1, []byte("warn"), 0),
				record(typeStdout, 1, []byte("sy"), 6),
				record(typeStdout, 1, nil, 0),
				endRequest(0, statusRequestComplete),
			}, nil),
			wantStatus: 503, wantBody: "busy", wantStderr: "warn",
		},
		{
			name: "bare newlines and no status",
			reply: bytes.Join([][]byte{
				record(typeStdout, 1, []byte("Content-Type: text/plain\n\npong"), 0),
				endRequest(0, statusRequestComplete),
			}, nil),
			wantStatus: 200, wantBody: "pong",
		},
		{name: "overloaded", reply: endRequest(0, statusOverloaded), wantErr: "overloaded"},
		{name: "closed early", reply: record(typeStdout, 1, []byte("Status: 200\r\n\r\n"), 0), wantErr: "before END_REQUEST"},
		{name: "wrong version", reply: []byte{9, 6, 0, 1, 0, 0, 0, 0}, wantErr: "version"},
		{name: "other request id", reply: record(typeStdout, 7, []byte("x"), 0), wantErr: "request 7"},
		{name: "too big", reply: bytes.Repeat(record(typeStdout, 1, big[:60000], 0), MaxResponse/60000+2), wantErr: "larger than"},
		{name: "bad status", reply: append(record(typeStdout, 1, []byte("Status: abc\r\n\r\n"), 0), endRequest(0, 0)...), wantErr: "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan map[string]string, 1)
			sock := fakeServer(t, tt.reply, got)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // reached only on failure: a 4 MiB reply under -race on a busy machine can take seconds
			defer cancel()
			r, err := Get(ctx, "unix", sock, "/status", "json&full")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrProtocol) {
					t.Fatalf("err = %v, want a protocol error mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tt.wantStatus || string(r.Body) != tt.wantBody || string(r.Stderr) != tt.wantStderr {
				t.Errorf("got %d %q stderr %q", r.Status, r.Body, r.Stderr)
			}
			p := <-got
			if p["SCRIPT_NAME"] != "/status" || p["QUERY_STRING"] != "json&full" || p["REQUEST_URI"] != "/status?json&full" {
				t.Errorf("params = %v", p)
			}
		})
	}
}

func TestLongParams(t *testing.T) {
	t.Parallel()
	got := make(chan map[string]string, 1)
	sock := fakeServer(t, endRequest(0, 0), got)
	long := strings.Repeat("v", 70000) // over one record, and over 127 bytes
	_, err := Do(context.Background(), "unix", sock, map[string]string{"LONG": long, "K": "v"})
	if err == nil || !errors.Is(err, ErrProtocol) { // no headers at all
		t.Fatalf("err = %v", err)
	}
	if p := <-got; p["LONG"] != long || p["K"] != "v" {
		t.Errorf("params did not arrive whole: %d bytes", len(p["LONG"]))
	}
}

func TestDeadline(t *testing.T) {
	t.Parallel()
	sock := fakeServer(t, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	// The server never answers: returning at all, with the deadline as
	// the cause, shows the deadline was kept.
	_, err := Get(ctx, "unix", sock, "/status", "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	if _, err := Get(context.Background(), "unix", filepath.Join(t.TempDir(), "none.sock"), "/", ""); err == nil || errors.Is(err, ErrProtocol) {
		t.Errorf("missing socket: err = %v, want a connection error", err)
	}
}
