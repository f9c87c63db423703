package sandbox

import (
	"strings"
	"testing"
)

func TestProgramRender(t *testing.T) {
	no := false
	tests := []struct {
		name    string
		program Program
		want    string
		wantErr string
	}{
		{
			name:    "defaults",
			program: Program{Name: "web", Command: "sleep 1"},
			want: `[program:web]
autostart=true
command=sleep 1
killasgroup=true
redirect_stderr=true
startsecs=1
stdout_logfile=/logs/web.log
stopasgroup=true
`,
		},
		{
			name:    "numprocs, autostart off, startsecs",
			program: Program{Name: "queue", Command: "work", NumProcs: 3, Autostart: &no, StartSecs: 2},
			want: `[program:queue]
autostart=false
command=work
killasgroup=true
numprocs=3
process_name=%(program_name)s_%(process_num)02d
redirect_stderr=true
startsecs=2
stdout_logfile=/logs/queue_%(process_num)02d.log
stopasgroup=true
`,
		},
		{
			name: "extra overrides and adds, sorted",
			program: Program{Name: "x", Command: "c", Extra: map[string]string{
				"startsecs": "0", "redirect_stderr": "false", "autorestart": "false",
			}},
			want: `[program:x]
autorestart=false
autostart=true
command=c
killasgroup=true
redirect_stderr=false
startsecs=0
stdout_logfile=/logs/x.log
stopasgroup=true
`,
		},
		{name: "empty name", program: Program{Command: "c"}, wantErr: "program name"},
		{name: "name with colon", program: Program{Name: "a:b", Command: "c"}, wantErr: "program name"},
		{name: "multi-line command", program: Program{Name: "a", Command: "c\nd"}, wantErr: "single line"},
		{name: "negative numprocs", program: Program{Name: "a", Command: "c", NumProcs: -1}, wantErr: "negative"},
		{name: "extra newline", program: Program{Name: "a", Command: "c", Extra: map[string]string{"k": "v\n[x]"}}, wantErr: "extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.program.render("/logs")
			checkRendered(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestSocketPath(t *testing.T) {
	tests := []struct {
		name      string
		dir       string
		wantShort bool
	}{
		{"short dir keeps the socket", "/tmp/x", false},
		{"long dir moves it", "/tmp/" + strings.Repeat("d", 90), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, short := socketPath(tt.dir, "supervisor.sock")
			if (short != "") != tt.wantShort || len(path) > maxSocketPath {
				t.Errorf("socketPath(%q) = %q, %q", tt.dir, path, short)
			}
			if again, _ := socketPath(tt.dir, "supervisor.sock"); again != path {
				t.Errorf("not stable: %q then %q", path, again)
			}
		})
	}
}

// checkRendered fails t unless a config part rendered as want, or failed
// with an error that mentions wantErr when that is set.
func checkRendered(t *testing.T, got []byte, err error, want, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("err = %v, want one mentioning %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
