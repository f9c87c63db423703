package supervisor

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

const (
	// maxResponseBytes bounds a response; supervisord answers log reads of
	// the size asked for, so anything this big is a mistake.
	maxResponseBytes = 64 << 20

	// controlBase is where sanitize puts the C0 control characters XML 1.0
	// forbids: U+E000..U+E01F, the start of the Private Use Area.
	controlBase = 0xE000
)

// newHTTPClient returns an HTTP client for supervisord at u. Keep-alive is
// off: every call gets a fresh connection, so a connection that died with
// a previous daemon can never fail (or repeat) a later call.
func newHTTPClient(u *url.URL) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	if u.Scheme == "unix" {
		tr.Proxy = nil
		socket := u.Path
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		}
	}
	return &http.Client{Transport: tr}
}

// post sends one XML-RPC request body and returns the sanitised response
// body, or a *TimeoutError or an *UnreachableError (or ctx's cancellation).
func (c *Client) post(ctx context.Context, body []byte) ([]byte, error) {
	// Whether the whole request went out tells a daemon that cannot be
	// reached from one that took the call and is slow or hung answering it.
	var sent atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(w httptrace.WroteRequestInfo) { sent.Store(w.Err == nil) },
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml")
	if c.username != "" {
		req.SetBasicAuth(c.username, c.password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.failed(err, sent.Load())
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, c.unreachable(&HTTPStatusError{StatusCode: resp.StatusCode, Status: resp.Status})
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, c.failed(fmt.Errorf("read response: %w", err), true)
	}
	if len(data) > maxResponseBytes {
		return nil, c.unreachable(fmt.Errorf("response larger than %d bytes", maxResponseBytes))
	}
	data = sanitize(data)
	if err := checkEnvelope(data); err != nil {
		return nil, c.unreachable(err)
	}
	return data, nil
}

// failed wraps a transport failure: a deadline that passed after the
// request was sent is a *TimeoutError, anything else unreachable.
func (c *Client) failed(err error, sent bool) error {
	if sent && errors.Is(err, context.DeadlineExceeded) {
		return &TimeoutError{URL: c.url, Err: context.DeadlineExceeded}
	}
	return c.unreachable(err)
}

// unreachable wraps a transport failure. net/http's *url.Error is unwrapped
// because it names the internal endpoint (http://supervisord/RPC2 for a
// socket) rather than the URL the user configured.
func (c *Client) unreachable(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &UnreachableError{URL: c.url, Err: err}
}

// checkEnvelope verifies that body starts as XML whose root is an XML-RPC
// methodResponse holding params or a fault, so that a later decoding error
// can only be a mismatch with the reply type.
func checkEnvelope(body []byte) error {
	d := xml.NewDecoder(bytes.NewReader(body))
	depth := 0
	var root, kind string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("response is not XML-RPC: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1:
				root = t.Name.Local
				if root != "methodResponse" {
					return fmt.Errorf("response is not XML-RPC: root element is <%s>", root)
				}
			case depth == 2 && kind == "":
				kind = t.Name.Local
				// The envelope is all this checks; the decoder that follows
				// reads the rest, and a second full pass would double the
				// cost of a 200-process status.
				if kind == "params" || kind == "fault" {
					return checkComplete(body)
				}
			}
		case xml.EndElement:
			depth--
		}
	}
	if kind != "params" && kind != "fault" {
		return fmt.Errorf("response is not XML-RPC: no methodResponse with params or fault")
	}
	return nil
}

// checkComplete catches a response cut short (supervisord dying mid-answer)
// without parsing it a second time: a whole one ends with its root's end tag.
func checkComplete(body []byte) error {
	if !bytes.HasSuffix(bytes.TrimSpace(body), []byte("</methodResponse>")) {
		return fmt.Errorf("response is not XML-RPC: it ends before </methodResponse>")
	}
	return nil
}

// sanitize makes supervisord's responses parseable. supervisord puts log
// data and process output into XML-RPC strings without escaping control
// characters, which XML 1.0 forbids (encoding/xml rejects e.g. the ESC of an
// ANSI colour code). Every forbidden C0 control byte becomes the rune
// controlBase+byte, which RestoreControls maps back; bytes that are not
// UTF-8, and the non-characters U+FFFE and U+FFFF, become U+FFFD.
func sanitize(body []byte) []byte {
	i := firstInvalid(body)
	if i == len(body) {
		return body
	}
	out := make([]byte, i, len(body)+len(body)/8+16)
	copy(out, body[:i])
	for i < len(body) {
		c := body[i]
		if c < utf8.RuneSelf {
			if forbiddenControl(c) {
				out = utf8.AppendRune(out, controlBase+rune(c))
			} else {
				out = append(out, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, body[i:i+size]...)
		}
		i += size
	}
	return out
}

// firstInvalid returns the index of the first byte sanitize must rewrite, or
// len(body) when the body is fine as it is (the usual case).
func firstInvalid(body []byte) int {
	for i := 0; i < len(body); {
		c := body[i]
		if c < utf8.RuneSelf {
			if forbiddenControl(c) {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			return i
		}
		i += size
	}
	return len(body)
}

func forbiddenControl(c byte) bool {
	return c < 0x20 && c != '\t' && c != '\n' && c != '\r'
}

// RestoreControls maps the runes U+E000..U+E01F, which stand for control
// bytes in decoded strings (see the sanitising in post), back to the bytes
// 0x00..0x1F. A program that really printed one of those private-use runes
// gets a control byte instead; that ambiguity is the price of decoding at all.
func RestoreControls(s string) string {
	if !strings.ContainsFunc(s, isControlRune) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if isControlRune(r) {
			b.WriteByte(byte(r - controlBase))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControlRune(r rune) bool { return r >= controlBase && r < controlBase+0x20 }
