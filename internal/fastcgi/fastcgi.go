// Package fastcgi is a minimal FastCGI client: one request per connection in
// the responder role, with a deadline from the context. It is enough to GET
// a php-fpm pool's status page (?json) and ping path, which is all poolvisor
// asks of a pool directly.
//
// It is hand-written on purpose. The maintained client libraries
// (github.com/yookoala/gofast and the like) cannot be fetched through the
// module proxy this project builds with, and the subset needed here — one
// BEGIN_REQUEST, the PARAMS stream, an empty STDIN, then STDOUT and STDERR
// until END_REQUEST — is a few dozen lines of the FastCGI 1.0 specification
// (https://fastcgi-archives.github.io/FastCGI_Specification.html).
package fastcgi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Record types and roles of FastCGI 1.0 (specification §8).
const (
	version1         = 1
	typeBeginRequest = 1
	typeEndRequest   = 3
	typeParams       = 4
	typeStdin        = 5
	typeStdout       = 6
	typeStderr       = 7
	roleResponder    = 1
	requestID        = 1
	maxContent       = 65535
)

// Protocol statuses of END_REQUEST (specification §5.5).
const (
	statusRequestComplete = 0
	statusCantMpxConn     = 1
	statusOverloaded      = 2
	statusUnknownRole     = 3
)

// MaxResponse bounds what a response may hold (stdout and stderr together),
// so a misbehaving server cannot make the client allocate without limit.
const MaxResponse = 4 << 20

// ErrProtocol is wrapped by every error about a malformed or refused
// response, as opposed to a connection that failed.
var ErrProtocol = errors.New("fastcgi protocol error")

// Response is what the application answered.
type Response struct {
	Status    int         // from the CGI Status header; 200 when it has none
	Header    http.Header // the CGI response headers
	Body      []byte
	Stderr    []byte // what the application wrote to FCGI_STDERR
	AppStatus uint32 // the application's exit status from END_REQUEST
}

// Get requests path (with query, without '?') from the FastCGI server at
// address on network ("unix" or "tcp"), as a web server would for
// GET path?query, and returns its answer.
func Get(ctx context.Context, network, address, path, query string) (*Response, error) {
	uri := path
	if query != "" {
		uri += "?" + query
	}
	params := map[string]string{
		"GATEWAY_INTERFACE": "CGI/1.1",
		"REQUEST_METHOD":    "GET",
		"SCRIPT_NAME":       path,
		"SCRIPT_FILENAME":   path,
		"DOCUMENT_URI":      path,
		"REQUEST_URI":       uri,
		"QUERY_STRING":      query,
		"SERVER_PROTOCOL":   "HTTP/1.1",
		"SERVER_SOFTWARE":   "poolvisor",
		"SERVER_NAME":       "localhost",
		"SERVER_PORT":       "80",
		"REMOTE_ADDR":       "127.0.0.1",
		"CONTENT_LENGTH":    "0",
	}
	return Do(ctx, network, address, params)
}

// Do sends one request with params and an empty body, and reads the answer
// until END_REQUEST. The context's deadline bounds the whole exchange.
func Do(ctx context.Context, network, address string, params map[string]string) (*Response, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", address, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return nil, fmt.Errorf("set deadline: %w", err)
		}
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	resp, err := exchange(conn, params)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("fastcgi request to %s: %w", address, ctx.Err())
	case errors.Is(err, os.ErrDeadlineExceeded):
		// The connection's deadline is the context's; it may fire first.
		return nil, fmt.Errorf("fastcgi request to %s: %w", address, context.DeadlineExceeded)
	case err != nil:
		return nil, fmt.Errorf("fastcgi request to %s: %w", address, err)
	}
	return resp, nil
}

func exchange(conn io.ReadWriter, params map[string]string) (*Response, error) {
	var req bytes.Buffer
	// BEGIN_REQUEST: role, flags (0: close the connection when done), reserved.
	writeRecord(&req, typeBeginRequest, []byte{0, roleResponder, 0, 0, 0, 0, 0, 0})
	enc := encodeParams(params)
	for len(enc) > 0 {
		n := min(len(enc), maxContent)
		writeRecord(&req, typeParams, enc[:n])
		enc = enc[n:]
	}
	writeRecord(&req, typeParams, nil)
	writeRecord(&req, typeStdin, nil)
	if _, err := conn.Write(req.Bytes()); err != nil {
		return nil, fmt.Errorf("send request: %w", err)
	}
	return readResponse(bufio.NewReader(conn))
}

// writeRecord appends one record, padded to a multiple of 8 bytes as the
// specification recommends.
func writeRecord(w *bytes.Buffer, typ byte, content []byte) {
	pad := (8 - len(content)%8) % 8
	h := [8]byte{version1, typ, 0, requestID, 0, 0, byte(pad), 0}
	binary.BigEndian.PutUint16(h[4:6], uint16(len(content)))
	w.Write(h[:])
	w.Write(content)
	w.Write(make([]byte, pad))
}

// encodeParams encodes name-value pairs (specification §3.4), sorted by
// name so that a request is always the same bytes.
func encodeParams(params map[string]string) []byte {
	var b []byte
	for _, k := range slices.Sorted(maps.Keys(params)) {
		b = appendLen(b, len(k))
		b = appendLen(b, len(params[k]))
		b = append(b, k...)
		b = append(b, params[k]...)
	}
	return b
}

func appendLen(b []byte, n int) []byte {
	if n < 128 {
		return append(b, byte(n))
	}
	return binary.BigEndian.AppendUint32(b, uint32(n)|1<<31)
}

// readResponse reads records until END_REQUEST.
func readResponse(r io.Reader) (*Response, error) {
	var stdout, stderr bytes.Buffer
	var h [8]byte
	for {
		if _, err := io.ReadFull(r, h[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fmt.Errorf("%w: connection closed before END_REQUEST", ErrProtocol)
			}
			return nil, fmt.Errorf("read record: %w", err)
		}
		if h[0] != version1 {
			return nil, fmt.Errorf("%w: record version %d", ErrProtocol, h[0])
		}
		n := int(binary.BigEndian.Uint16(h[4:6])) + int(h[6])
		if stdout.Len()+stderr.Len()+n > MaxResponse {
			return nil, fmt.Errorf("%w: response larger than %d bytes", ErrProtocol, MaxResponse)
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, fmt.Errorf("%w: truncated record: %v", ErrProtocol, err)
		}
		content := body[:binary.BigEndian.Uint16(h[4:6])]
		if id := binary.BigEndian.Uint16(h[2:4]); id != requestID {
			return nil, fmt.Errorf("%w: record for request %d", ErrProtocol, id)
		}
		switch h[1] {
		case typeStdout:
			stdout.Write(content)
		case typeStderr:
			stderr.Write(content)
		case typeEndRequest:
			if len(content) < 8 {
				return nil, fmt.Errorf("%w: short END_REQUEST", ErrProtocol)
			}
			if ps := content[4]; ps != statusRequestComplete {
				return nil, fmt.Errorf("%w: server refused the request (%s)", ErrProtocol, protocolStatus(ps))
			}
			resp, err := parseCGI(stdout.Bytes())
			if err != nil {
				return nil, err
			}
			resp.Stderr = stderr.Bytes()
			resp.AppStatus = binary.BigEndian.Uint32(content[:4])
			return resp, nil
		default:
			// Management records and unknown types carry nothing for us.
		}
	}
}

func protocolStatus(s byte) string {
	switch s {
	case statusCantMpxConn:
		return "cannot multiplex connections"
	case statusOverloaded:
		return "overloaded"
	case statusUnknownRole:
		return "unknown role"
	}
	return "status " + strconv.Itoa(int(s))
}

// parseCGI splits a CGI response into headers and body.
func parseCGI(out []byte) (*Response, error) {
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(out)))
	mh, err := tp.ReadMIMEHeader()
	if err != nil && !(errors.Is(err, io.EOF) && len(mh) > 0) {
		return nil, fmt.Errorf("%w: response headers: %v", ErrProtocol, err)
	}
	resp := &Response{Status: http.StatusOK, Header: http.Header(mh)}
	if s := resp.Header.Get("Status"); s != "" {
		code, _, _ := strings.Cut(s, " ")
		if resp.Status, err = strconv.Atoi(code); err != nil {
			return nil, fmt.Errorf("%w: status %q", ErrProtocol, s)
		}
	}
	resp.Body, _ = io.ReadAll(tp.R)
	return resp, nil
}
