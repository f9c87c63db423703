package supervisor

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

func TestRawEdit(t *testing.T) {
	t.Parallel()
	s := sandbox.Supervisor(t, sandbox.Program{Name: "web", Command: rpcSleeperCmd})
	b := newBackend(t, s, 2*time.Second)
	rpcWaitState(t, b.client, "web:web", "RUNNING")
	path := filepath.Join(s.ProgramDir, "web.conf")
	old, _ := os.ReadFile(path)
	content := func(v string) ops.Arg { return ops.Arg{Key: "content", Value: v} }

	for _, tt := range []struct{ name, text, want string }{
		{"another section", "[program:web]\ncommand=/bin/true\n[inet_http_server]\nport=0.0.0.0:9001\n", "only the section [program:web]"},
		{"another program", "[program:web]\ncommand=/bin/true\n[program:evil]\ncommand=/bin/sh\n", "only the section"},
		{"bad value", "[program:web]\ncommand=/bin/true\nautostart=maybe\n", "autostart"},
		{"no command", "[program:web]\nautostart=true\n", "command is missing"},
		{"NUL", "[program:web]\ncommand=/bin/true\x00\n", "NUL"},
		// supervisord reads a lone \r as a line break: a section hidden
		// behind one is a section (issue 13, item 1).
		{"section after a lone CR", "[program:web]\ncommand=/bin/true\r[program:evilcr]\rcommand=/bin/sh -c id\n", "not [program:evilcr]"},
		{"section after CR at the end", "[program:web]\ncommand=/bin/true\n\r[inet_http_server]\rport=0.0.0.0:9001", "not [inet_http_server]"},
		{"section after CRLF then CR", "[program:web]\r\ncommand=/bin/true\r\n\r[group:g]\rprograms=web\r\n", "not [group:g]"},
		{"form feed", "[program:web]\ncommand=/bin/true\f[program:evil]\n", "U+000C"},
		{"vertical tab", "[program:web]\ncommand=/bin/true\v[program:evil]\n", "U+000B"},
		{"file separator", "[program:web]\ncommand=/bin/true\x1c[program:evil]\n", "U+001C"},
		{"NEL", "[program:web]\ncommand=/bin/true\u0085[program:evil]\n", "U+0085"},
		{"line separator", "[program:web]\ncommand=/bin/true\u2028[program:evil]\n", "U+2028"},
		{"paragraph separator", "; note\u2029[program:evil]\n[program:web]\ncommand=/bin/true\n", "U+2029"},
		{"spaced header of another program", "[program:web]\ncommand=/bin/true\n[ program:evil ]\ncommand=/bin/sh\n", "only the section"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, b, "supervisor.program.edit", "web", content(tt.text))
			if msg := wantStatus(t, err, ops.StatusInvalid); !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want %q", msg, tt.want)
			}
			if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
				t.Errorf("refused raw edit changed the file")
			}
		})
	}

	text := "; hand-written note, kept\n[program:web]\ncommand=" + rpcSleeperCmd + "\nautorestart=unexpected\nstartsecs=0\n"
	_, err := run(t, b, "supervisor.program.edit", "web", content(text))
	wantStatus(t, err, ops.StatusOK)
	if now, _ := os.ReadFile(path); string(now) != text {
		t.Errorf("raw edit wrote:\n%s", now)
	}
}
