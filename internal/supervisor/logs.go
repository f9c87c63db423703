package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/poolvisor/poolvisor/internal/ops"
)

const (
	defaultLogBytes = 4 << 10
	// maxLogBytes bounds one logs request: more is unreadable in chat and
	// would only slow supervisord down.
	maxLogBytes = 256 << 10
)

// Log is the data of supervisor.program.logs.
type Log struct {
	Name      string `json:"name"`
	Stream    string `json:"stream"` // stdout or stderr
	Bytes     int    `json:"bytes"`
	Truncated bool   `json:"truncated"` // the log holds more than was read
	Text      string `json:"text"`
}

func (b *Backend) logs(ctx context.Context, req ops.Request) (ops.Outcome, error) {
	n := defaultLogBytes
	if v, ok := req.Op.Get("bytes"); ok {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > maxLogBytes {
			return ops.Outcome{}, ops.Invalidf("--bytes must be from 1 to %d", maxLogBytes)
		}
	}
	stderr := req.Op.Has("stderr")
	proc, err := b.logTarget(ctx, req.Op.Target)
	if err != nil {
		return ops.Outcome{}, err
	}
	if stderr && proc.StderrLogfile == "" {
		return ops.Outcome{}, ops.Invalidf("%s has no separate stderr log (redirect_stderr sends it to stdout): leave out --stderr", req.Op.Target)
	}
	data, overflow, err := b.tail(ctx, proc, stderr, n)
	if err != nil {
		return ops.Outcome{}, b.userError(err, req.Op.Target)
	}
	text, cut := cleanLog(data, overflow)
	l := Log{Name: req.Op.Target, Stream: "stdout", Bytes: len(text), Truncated: cut, Text: text}
	if stderr {
		l.Stream = "stderr"
	}
	head := fmt.Sprintf("Last %d bytes of %s's %s log on %s", l.Bytes, l.Name, l.Stream, b.cfg.Host)
	if text == "" {
		head = fmt.Sprintf("%s's %s log on %s is empty", l.Name, l.Stream, b.cfg.Host)
	}
	return ops.Outcome{Message: head + ":\n" + text, Data: map[string]any{"log": l}}, nil
}

// logTarget maps what the user typed to a process supervisord can read a log
// of. A group of several processes has no single log: say which to name.
func (b *Backend) logTarget(ctx context.Context, target string) (ProcessInfo, error) {
	all, err := b.readProcesses(ctx)
	if err != nil {
		return ProcessInfo{}, b.userError(err, target)
	}
	sel, err := b.resolve(all, target)
	if err != nil {
		return ProcessInfo{}, err
	}
	if len(sel.procs) != 1 {
		var names []string
		for _, p := range processes(sel.procs).Programs {
			names = append(names, p.Name)
		}
		return ProcessInfo{}, ops.Invalidf("%s has %d processes; name one of: %s", target, len(sel.procs), strings.Join(names, ", "))
	}
	return sel.procs[0], nil
}

// tail reads the last n bytes of a process's log. When supervisord runs on
// this host (a unix socket) the file is read directly: supervisord 4.2 cannot
// send log data that is not valid UTF-8 over XML-RPC, which a byte window
// cut mid-character or a binary line would be. Otherwise it asks supervisord.
func (b *Backend) tail(ctx context.Context, p ProcessInfo, stderr bool, n int) (string, bool, error) {
	path := p.StdoutLogfile
	if stderr {
		path = p.StderrLogfile
	}
	if b.local && path != "" && filepath.IsAbs(path) {
		if data, overflow, err := tailFile(path, n); err == nil {
			return strings.ToValidUTF8(data, "\uFFFD"), overflow, nil
		}
	}
	return b.client.TailProcessLog(ctx, fullName(p), stderr, n)
}

// tailFile returns the last n bytes of the file at path, and whether the
// file holds more.
func tailFile(path string, n int) (string, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return "", false, fmt.Errorf("%s is not a regular file", path)
	}
	off := max(st.Size()-int64(n), 0)
	buf := make([]byte, st.Size()-off)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return "", false, err
	}
	return string(buf), off > 0, nil
}

// LogTail returns the last lines of a program's log (group:process, or the
// bare name of a one-process program), for alerts; "" when there is none.
func (b *Backend) LogTail(ctx context.Context, program string) string {
	if !strings.Contains(program, ":") {
		program += ":" + program
	}
	return b.lastLines(ctx, program, 10)
}

// lastLines returns up to n cleaned lines from the end of a process's stdout
// log, or "" when there is none to read.
func (b *Backend) lastLines(ctx context.Context, name string, n int) string {
	p, err := b.client.GetProcessInfo(ctx, name)
	if err != nil {
		return ""
	}
	data, overflow, err := b.tail(ctx, p, false, 2048)
	if err != nil {
		return ""
	}
	text, _ := cleanLog(data, overflow)
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ansiRE matches terminal escape sequences: CSI (colours, cursor moves), OSC
// (titles, hyperlinks) ended by BEL or ST, and two-character escapes.
var ansiRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])`)
})

// cleanLog makes log text safe to show anywhere: control bytes that the
// transport carried as private-use runes come back, terminal escapes go, and
// so does any other control character but newline and tab. When the read
// started mid-log, the first partial line is dropped.
func cleanLog(data string, overflow bool) (string, bool) {
	s := RestoreControls(data)
	s = ansiRE().ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, s)
	if overflow {
		if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
			s = s[i+1:]
		}
	}
	return s, overflow
}
