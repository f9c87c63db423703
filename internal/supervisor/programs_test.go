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
