package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
)

// Slack's deadline for an answer, and the burst the benchmark sends.
const (
	slackDeadline = 3 * time.Second
	slackBurst    = 100
	slackSecret   = "bench-signing-secret"
)

// slackResult is the burst of signed `/supervisor status` requests against
// `poolvisor serve` in HTTP mode, with a fake Slack behind it.
type slackResult struct {
	requests   int
	inTime     int           // full answers within slackDeadline
	p50, p99   time.Duration // of the full answer: inline, or posted to the response_url
	ackP99     time.Duration // of the HTTP answer alone
	rpcCalls   int64         // XML-RPC calls supervisord received during the burst
	listCalls  int64         // of which getAllProcessInfo
	programs   int
	concurrent int
}

// slackBench starts `poolvisor serve` (HTTP mode, Slack's API faked) on the
// sandbox, behind an XML-RPC proxy that counts calls, and sends n signed
// `/supervisor status` at once.
func slackBench(ctx context.Context, e *env, bin string, n int, stderr io.Writer) (slackResult, error) {
	fake := slackfake.New("xoxb-bench", "xapp-bench")
	defer fake.Close()
	proxy, err := newRPCCounter(e.sv.SocketPath)
	if err != nil {
		return slackResult{}, err
	}
	defer proxy.close()
	addr, err := freeAddr()
	if err != nil {
		return slackResult{}, err
	}
	cfg := fmt.Sprintf(`host: bench
data_dir: %q
listen: %q
phpfpm: {enabled: false}
supervisor: {url: %q, config_file: %q, program_dir: %q, log_dir: %q}
slack: {enabled: true, mode: http, bot_token: xoxb-bench, signing_secret: %q, api_url: %q}
rbac:
  bindings:
    - {role: viewer, slack_users: [U0BENCH]}
`, filepath.Join(e.dir, "slack-data"), addr, proxy.url, e.sv.ConfigFile, e.sv.ProgramDir, e.sv.LogDir, slackSecret, fake.APIURL())
	path := filepath.Join(e.dir, "slack.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return slackResult{}, err
	}
	serve := exec.CommandContext(ctx, bin, "serve", "--config", path)
	var logs bytes.Buffer
	serve.Stdout, serve.Stderr = &logs, &logs
	if err := serve.Start(); err != nil {
		return slackResult{}, err
	}
	defer func() { _ = serve.Process.Signal(os.Interrupt); _ = serve.Wait() }()
	base := "http://" + addr
	if err := waitHTTP(ctx, base+"/healthz"); err != nil {
		return slackResult{}, fmt.Errorf("%w\n%s", err, logs.String())
	}
	fmt.Fprintf(stderr, "measuring Slack: %d concurrent signed /supervisor status...\n", n)
	// One request first, so connections and caches are warm as in steady use.
	if _, _, err := slackStatus(ctx, fake, base, "warm-up"); err != nil {
		return slackResult{}, err
	}
	time.Sleep(500 * time.Millisecond)
	calls0, lists0 := proxy.calls.Load(), proxy.lists.Load()

	full, acks := make([]time.Duration, n), make([]time.Duration, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			var err error
			acks[i], full[i], err = slackStatus(ctx, fake, base, fmt.Sprint(i))
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return slackResult{}, err
	}
	r := slackResult{requests: n, programs: e.programs, concurrent: n,
		rpcCalls: proxy.calls.Load() - calls0, listCalls: proxy.lists.Load() - lists0}
	for _, d := range full {
		if d <= slackDeadline {
			r.inTime++
		}
	}
	r.p50, r.p99 = percentile(full, 50), percentile(full, 99)
	r.ackP99 = percentile(acks, 99)
	return r, nil
}

// slackStatus sends one signed /supervisor status and returns how long the
// HTTP answer took and how long the full answer did (the HTTP answer when
// it held the result, else the post to the response_url).
func slackStatus(ctx context.Context, fake *slackfake.Server, base, id string) (ack, full time.Duration, err error) {
	c := slackfake.Slash{Command: "/supervisor", Text: "status", UserID: "U0BENCH", UserName: "bench",
		ChannelID: "C0BENCH", ResponseURL: fake.ResponseURL(), TriggerID: fake.Trigger() + id}
	req := slackfake.SignedRequest(slackSecret, base+"/slack/commands", c.Form(), time.Now())
	req = req.WithContext(ctx)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ack = time.Since(start)
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	if bytes.Contains(body, []byte("RUNNING")) {
		return ack, ack, nil
	}
	if _, err := fake.Wait(30*time.Second, 0, func(m slackfake.Message) bool { return m.ResponseURL == c.ResponseURL }); err != nil {
		return 0, 0, fmt.Errorf("no answer for request %s: %w", id, err)
	}
	return ack, time.Since(start), nil
}

func percentile(d []time.Duration, p int) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, (len(s)*p+99)/100-1)]
}

// reportSlack prints the Slack burst.
func reportSlack(w io.Writer, r slackResult) {
	fmt.Fprintf(w, "\nSlack: %d concurrent signed /supervisor status, %d programs, poolvisor serve (HTTP mode)\n", r.concurrent, r.programs)
	fmt.Fprintf(w, "  answered within %s: %d of %d (%.0f%%, target 100%%)\n", slackDeadline, r.inTime, r.requests, 100*float64(r.inTime)/float64(r.requests))
	fmt.Fprintf(w, "  full answer: p50 %s, p99 %s; HTTP answer p99 %s\n", ms(r.p50), ms(r.p99), ms(r.ackP99))
	fmt.Fprintf(w, "  XML-RPC calls to supervisord during the burst: %d (getAllProcessInfo: %d)\n", r.rpcCalls, r.listCalls)
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitHTTP(ctx context.Context, url string) error {
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("poolvisor serve did not come up on %s", url)
}

// rpcCounter is an HTTP proxy in front of supervisord's unix socket that
// counts the XML-RPC calls passing through.
type rpcCounter struct {
	url          string
	srv          *http.Server
	calls, lists atomic.Int64
}

var methodRE = regexp.MustCompile(`<methodName>([^<]+)</methodName>`)

func newRPCCounter(socket string) (*rpcCounter, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &rpcCounter{url: "http://" + ln.Addr().String()}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.Out.URL.Scheme, r.Out.URL.Host = "http", "supervisord" },
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		}},
	}
	c.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		c.calls.Add(1)
		if m := methodRE.FindSubmatch(body); m != nil && string(m[1]) == "supervisor.getAllProcessInfo" {
			c.lists.Add(1)
		}
		rp.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = c.srv.Serve(ln) }()
	return c, nil
}

func (c *rpcCounter) close() { _ = c.srv.Close() }
