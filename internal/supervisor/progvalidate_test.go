package supervisor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// progSupervisorPy answers questions about config text with supervisor's own
// code (the Debian package's, which is what runs on the hosts): how
// supervisord loads a program file, how its configparser reads a text, and
// what its datatypes make of a value.
const progSupervisorPy = `
import json, sys
from supervisor.options import ServerOptions, UnhosedConfigParser
from supervisor import datatypes

def conv(v):
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, (list, tuple)):
        return [conv(x) for x in v]
    if isinstance(v, dict):
        return {k: conv(x) for k, x in v.items()}
    if isinstance(v, type):
        return v.__name__
    return repr(v)

def sections(path):
    p = UnhosedConfigParser()
    p.read(path)
    out = {s: dict(p._sections[s]) for s in p.sections()}
    if p._defaults:
        out["DEFAULT"] = dict(p._defaults)
    return out

req = json.load(sys.stdin)
out = {"programs": [], "ini": [], "values": []}
for c in req["programs"] or []:
    r = {}
    try:
        r["raw"] = sections(c["file"])
        o = ServerOptions()
        o.configfile = c["main"]
        o.process_config_file(do_usage=False)
        procs = []
        for g in o.configroot.supervisord.process_group_configs:
            for p in g.process_configs:
                procs.append({k: conv(getattr(p, k)) for k in p.req_param_names + p.optional_param_names})
        r["procs"] = procs
    except Exception as e:
        r["error"] = "%s: %s" % (type(e).__name__, e)
    out["programs"].append(r)
for path in req["ini"] or []:
    try:
        out["ini"].append({"sections": sections(path)})
    except Exception as e:
        out["ini"].append({"error": "%s: %s" % (type(e).__name__, e)})
for fn, v in req["values"] or []:
    try:
        out["values"].append({"value": conv(getattr(datatypes, fn)(v))})
    except Exception as e:
        out["values"].append({"error": "%s: %s" % (type(e).__name__, e)})
json.dump(out, sys.stdout)
`

type progPyRequest struct {
	Programs []progPyProgram `json:"programs"`
	INI      []string        `json:"ini"`
	Values   [][2]string     `json:"values"`
}

type progPyProgram struct {
	Main string `json:"main"`
	File string `json:"file"`
}

type progPyResponse struct {
	Programs []struct {
		Raw   map[string]map[string]string `json:"raw"`
		Procs []map[string]any             `json:"procs"`
		Error string                       `json:"error"`
	} `json:"programs"`
	INI []struct {
		Sections map[string]map[string]string `json:"sections"`
		Error    string                       `json:"error"`
	} `json:"ini"`
	Values []struct {
		Value any    `json:"value"`
		Error string `json:"error"`
	} `json:"values"`
}

// progAskSupervisor runs progSupervisorPy with a Python that has supervisor
// installed, or skips the test when there is none.
func progAskSupervisor(t *testing.T, req progPyRequest, env ...string) progPyResponse {
	t.Helper()
	var py string
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import supervisor.options").Run() == nil {
			py = path
			break
		}
	}
	if py == "" {
		t.Skip("no python3 with the supervisor module (Debian package supervisor); skipping the cross-check with supervisord's own parser")
	}
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", progSupervisorPy)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.String())
	}
	var resp progPyResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("python output: %v\n%s", err, out)
	}
	return resp
}

type progKV struct{ key, value string }

// TestProgramFileCrossCheck renders programs with Set and has supervisord's
// own code load them: every file must load, and supervisord must end up
// with exactly the values the user gave, expansions expanded.
func TestProgramFileCrossCheck(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cases := []struct {
		name string
		base string // a hand-written file to edit; "" for NewProgramFile
		sets []progKV
		want map[string]any // attributes of the first ProcessConfig; "HERE" stands for the config's directory
	}{
		{name: "percent", sets: []progKV{{"command", "/bin/echo 100%"}},
			want: map[string]any{"command": "/bin/echo 100%"}},
		{name: "percent_formats", sets: []progKV{{"command", `/bin/sh -c 'echo "$(date +%Y-%m-%d) %s %d %%"'`}},
			want: map[string]any{"command": `/bin/sh -c 'echo "$(date +%Y-%m-%d) %s %d %%"'`}},
		{name: "expansions", sets: []progKV{{"command", "/bin/echo %(program_name)s %(process_num)02d %(numprocs)d %(group_name)s %(here)s %(process_num)-3d|"}},
			want: map[string]any{"command": "/bin/echo expansions 00 1 expansions HERE 0  |"}},
		{name: "env", sets: []progKV{{"command", "%(ENV_XC_HOME)s/bin/run --pct=%(ENV_XC_PCT)s"}},
			want: map[string]any{"command": "/srv/xc/bin/run --pct=50%"}},
		{name: "logfile_percent", sets: []progKV{{"command", "/bin/true"}, {"stdout_logfile", "%(here)s/100%_%(program_name)s.log"}, {"stderr_logfile", "%(here)s/%%odd%%%(process_num)d.log"}},
			want: map[string]any{"stdout_logfile": "HERE/100%_logfile_percent.log", "stderr_logfile": "HERE/%%odd%%0.log"}},
		{name: "environment", sets: []progKV{{"command", "/bin/true"}, {"environment", `A=1,B="x y",C="100%",D='a#b',E="%(program_name)s",F=/usr/bin:/bin,G=""`}},
			want: map[string]any{"environment": map[string]any{"A": "1", "B": "x y", "C": "100%", "D": "a#b", "E": "environment", "F": "/usr/bin:/bin", "G": ""}}},
		{name: "program_env", sets: []progKV{{"environment", "ROOT=/srv/app"}, {"command", "%(ENV_ROOT)s/run"}, {"directory", "%(ENV_ROOT)s"}},
			want: map[string]any{"command": "/srv/app/run", "directory": "/srv/app"}},
		{name: "numprocs", sets: []progKV{{"command", "/bin/true"}, {"process_name", "%(program_name)s_%(process_num)02d"}, {"numprocs", "2"}, {"numprocs_start", "3"},
			{"stdout_logfile", "%(here)s/%(program_name)s_%(process_num)02d.log"}},
			want: map[string]any{"name": "numprocs_03", "stdout_logfile": "HERE/numprocs_03.log"}},
		{name: "typed", sets: []progKV{{"command", "/bin/true"}, {"autostart", "off"}, {"autorestart", "UNEXPECTED"}, {"startsecs", "5"},
			{"stopsignal", "quit"}, {"exitcodes", "0, 2"}, {"stdout_logfile_maxbytes", "1KB"}, {"priority", "-5"}, {"stopasgroup", "yes"},
			{"killasgroup", "1"}, {"redirect_stderr", "true"}, {"serverurl", "AUTO"}, {"umask", "022"}, {"user", me.Username}, {"directory", "%(here)s"}},
			want: map[string]any{"autostart": false, "autorestart": "RestartWhenExitUnexpected", "startsecs": 5.0, "stopsignal": 3.0,
				"exitcodes": []any{0.0, 2.0}, "stdout_logfile_maxbytes": 1024.0, "priority": -5.0, "stopasgroup": true, "killasgroup": true,
				"redirect_stderr": true, "serverurl": nil, "umask": 18.0, "directory": "HERE"}},
		{name: "unicode", sets: []progKV{{"command", "/bin/echo Grüße 世界 🚀\u00a0x"}}, want: map[string]any{"command": "/bin/echo Grüße 世界 🚀\u00a0x"}},
		{name: "like_section", sets: []progKV{{"command", "[program:other]"}}, want: map[string]any{"command": "[program:other]"}},
		{name: "semicolons", sets: []progKV{{"command", "/bin/sh -c 'a;b#c';#x"}}, want: map[string]any{"command": "/bin/sh -c 'a;b#c';#x"}},
		{name: "tabs", sets: []progKV{{"command", "/bin/echo\ta\t b"}}, want: map[string]any{"command": "/bin/echo\ta\t b"}},
		{name: "long", sets: []progKV{{"command", "/bin/echo " + strings.Repeat("y", 10230)}}, want: map[string]any{"command": "/bin/echo " + strings.Repeat("y", 10230)}},
		{name: "handwritten", base: "[program:handwritten]\nCOMMAND = /bin/false ; note\nEnvironment: A=1,\n  B=2\n\n[group:g]\nprograms=handwritten\n",
			sets: []progKV{{"command", ";x%"}, {"environment", "A=%(group_name)s"}},
			want: map[string]any{"command": ";x%", "environment": map[string]any{"A": "g"}}},
	}
	env := []string{"XC_HOME=/srv/xc", "XC_PCT=50%"}
	lookup := func(name string) (string, bool) {
		for _, e := range env {
			if k, v, _ := strings.Cut(e, "="); k == name {
				return v, true
			}
		}
		return "", false
	}
	var req progPyRequest
	files := make([]*ProgramFile, len(cases))
	for i, c := range cases {
		f := NewProgramFile(c.name)
		if c.base != "" {
			if f, err = ParseProgramFile(c.name, []byte(c.base)); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		for _, s := range c.sets {
			if err := f.Set(s.key, s.value, lookup); err != nil {
				t.Fatalf("%s: Set(%q, %q): %v", c.name, s.key, s.value, err)
			}
		}
		files[i] = f
		sub := filepath.Join(dir, c.name)
		file := filepath.Join(sub, c.name+".conf")
		main := filepath.Join(sub, "supervisord.conf")
		progWriteFile(t, file, f.Bytes())
		progWriteFile(t, main, []byte("[supervisord]\nlogfile="+sub+"/supervisord.log\n[include]\nfiles="+file+"\n"))
		req.Programs = append(req.Programs, progPyProgram{Main: main, File: file})
	}
	resp := progAskSupervisor(t, req, env...)
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := resp.Programs[i]
			if r.Error != "" {
				t.Fatalf("supervisord refuses the file: %s\n%s", r.Error, files[i].Bytes())
			}
			// Our reading of the file is configparser's.
			if got, want := r.Raw, files[i].doc.effective(); !reflect.DeepEqual(got, want) {
				t.Errorf("configparser reads %q, poolvisor %q", got, want)
			}
			// Get shows what the user set.
			for _, s := range c.sets {
				if got, _ := files[i].Get(s.key); got != s.value {
					t.Errorf("Get(%q) = %q, want %q", s.key, got, s.value)
				}
			}
			here := filepath.Join(dir, c.name)
			for k, want := range c.want {
				if s, ok := want.(string); ok {
					want = strings.ReplaceAll(s, "HERE", here)
				}
				if got := r.Procs[0][k]; !reflect.DeepEqual(got, want) {
					t.Errorf("supervisord has %s = %#v, want %#v", k, got, want)
				}
			}
		})
	}
}

func progWriteFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestProgINIMatchesConfigparser has configparser read tricky texts, every
// fixture and a few thousand random texts, and poolvisor's reading must
// agree on every section, key and value, and on which texts are broken.
func TestProgINIMatchesConfigparser(t *testing.T) {
	texts := []string{
		"[program:a]\ncommand=x#y #c ;d\n",
		"[program:a]\ncommand=x;y #c ;d\n",
		"[program:a]\ncommand = a ;b\nk=v\t#c\n",
		"[program:a]\n  command=x\n    more\n\n   still\n  ; comment\n     again\nb=1\n",
		"[a]b]\nk:v=w\nK2 : v : w\n",
		"[program:a]\ncommand=x\n\u3000cont\n\u00a0x=1\n",
		"\ufeff[program:a]\ncommand=x\n",
		"[program:a]\ncommand=x\r\nb=2\rc=3\n",
		"[program:a]\ncommand\t=\tx\x1c;y\n",
		"[program:a]\nCommand=1\ncommand=2\n",
		"[program:a]\n=x\n",
		"[program:a]\n; full comment\n  # indented comment\ncommand=x\n",
		"[program:a]\ncommand=\n  x\n",
		"[ program:a ]\n",
		"[program:a]\ncommand=x \u00a0;c\n",
		"[program:a]\n   \n\t\n",
		"[program:a]\n  [group:b]\nx=1\n",
		"[program:a]\ncommand=x\n  [group:b]\n",
		"[program:a]\ncommand=x",
		"[program:a]\n\x0ccommand=x\n",
		"[]\n",
		"[program:a]\n[program:a]\nx=1\n",
		"[DEFAULT]\nuser=root\n[program:a]\n",
		"x\n",
		"[program:a]\ncommand=x\n\n\n",
		"[program:a]\ncommand=a\n\n  b\n",
	}
	paths, _ := filepath.Glob(filepath.Join("testdata", "progfile", "*.txt"))
	for _, p := range paths {
		fx := readProgFixture(t, p)
		if fx.file != nil {
			texts = append(texts, *fx.file)
		}
		if e := fx.expected; strings.Contains(e, "[program:") {
			texts = append(texts, e)
		}
	}
	// What Set writes for the fuzz seeds and the fuzzer's findings.
	setInputs := progFuzzSetSeeds
	corpus, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzProgramFileSet", "*"))
	for _, p := range corpus {
		if args := progReadFuzzCorpus(t, p); len(args) == 2 {
			setInputs = append(setInputs, [2]string{args[0], args[1]})
		}
	}
	for _, in := range setInputs {
		for _, base := range []string{"[program:fz]\n", progFuzzBase} {
			pf, err := ParseProgramFile("fz", []byte(base))
			if err != nil {
				t.Fatal(err)
			}
			if pf.Set(in[0], in[1], progFuzzEnv) == nil {
				texts = append(texts, string(pf.Bytes()))
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"[", "]", "=", ":", ";", "#", " ", "\t", "\u00a0", "\x1c", "a", "B", "program:a", "\n", "\n", "\n  ", "\r", "%", "\"", "é"}
	for range 3000 {
		var b strings.Builder
		b.WriteString("[program:a]\n")
		for range 1 + rng.IntN(40) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	dir := t.TempDir()
	var req progPyRequest
	for i, text := range texts {
		p := filepath.Join(dir, fmt.Sprintf("%05d.ini", i))
		progWriteFile(t, p, []byte(text))
		req.INI = append(req.INI, p)
	}
	resp := progAskSupervisor(t, req)
	for i, text := range texts {
		py := resp.INI[i]
		doc, err := parseProgINI(progSplitLines(text))
		if (err != nil) != (py.Error != "") {
			t.Errorf("text %q: poolvisor error %v, configparser error %q", text, err, py.Error)
			continue
		}
		if err != nil {
			continue
		}
		got := doc.effective()
		if d, ok := got["DEFAULT"]; ok && len(d) == 0 {
			delete(got, "DEFAULT")
		}
		if py.Sections == nil {
			py.Sections = map[string]map[string]string{}
		}
		if !reflect.DeepEqual(got, py.Sections) {
			t.Errorf("text %q:\npoolvisor   %q\nconfigparser %q", text, got, py.Sections)
		}
	}
}

// progReadFuzzCorpus reads the string arguments of a "go test fuzz v1" file.
func progReadFuzzCorpus(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, line := range strings.Split(string(data), "\n")[1:] {
		if q, ok := strings.CutPrefix(line, "string("); ok {
			s, err := strconv.Unquote(strings.TrimSuffix(q, ")"))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			args = append(args, s)
		}
	}
	return args
}

// TestValidateProgramOnThisHost validates against this host's real users
// and directories, the way the apply path does.
func TestValidateProgramOnThisHost(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	host := HostChecks{
		UserExists: func(name string) bool {
			if _, err := user.Lookup(name); err == nil {
				return true
			}
			_, err := user.LookupId(name)
			return err == nil
		},
		DirExists: func(d string) bool {
			st, err := os.Stat(d)
			return err == nil && st.IsDir()
		},
		Env: progMapEnv(map[string]string{"LOGS": t.TempDir()}),
	}
	logDir := t.TempDir()
	tests := []struct {
		name string
		sets []progKV
		err  string
	}{
		{name: "defaults"},
		{name: "user and directory", sets: []progKV{{"user", me.Username}, {"directory", logDir}}},
		{name: "uid", sets: []progKV{{"user", me.Uid}}},
		{name: "log from environment", sets: []progKV{{"stdout_logfile", "%(ENV_LOGS)s/%(program_name)s.log"}}},
		{name: "log per process", sets: []progKV{{"stderr_logfile", logDir + "/%(process_num)d/err.log"}}, err: "/0 does not exist"},
		{name: "unknown user", sets: []progKV{{"user", "no_such_user_pv"}}, err: "user no_such_user_pv does not exist"},
		{name: "missing directory", sets: []progKV{{"directory", logDir + "/missing"}}, err: "missing does not exist"},
		{name: "several problems", sets: []progKV{{"numprocs", "2"}, {"directory", "/nonexistent-pv"}},
			err: "numprocs is 2, so process_name must contain %(process_num), such as process_name=%(program_name)s_%(process_num)02d; directory /nonexistent-pv does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := DefaultProgram("worker", "/usr/bin/php artisan queue:work", logDir, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.sets {
				if err := f.Set(s.key, s.value, host.Env); err != nil {
					t.Fatal(err)
				}
			}
			err = ValidateProgram(f, host)
			if tt.err == "" && err != nil {
				t.Fatalf("ValidateProgram: %v\n%s", err, f.Bytes())
			}
			if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("ValidateProgram = %v, want an error with %q", err, tt.err)
			}
		})
	}
}

// TestValidateProgramWithoutEnv: with no environment to look in, values
// built from ENV_ variables are accepted unchecked, and the rest is still
// checked.
func TestValidateProgramWithoutEnv(t *testing.T) {
	in := "[program:demo]\ncommand=%(ENV_APP)s/run\nnumprocs=%(ENV_N)s\nautostart=%(here)s\n"
	f, err := ParseProgramFile("demo", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	err = ValidateProgram(f, HostChecks{})
	if err == nil || !strings.Contains(err.Error(), "autostart can't be checked when it uses %(here)s") || strings.Contains(err.Error(), "numprocs") {
		t.Fatalf("ValidateProgram = %v", err)
	}
	err = ValidateProgram(f, HostChecks{Env: progMapEnv(map[string]string{"N": "x"})})
	if err == nil || !strings.Contains(err.Error(), "names the variable APP") || !strings.Contains(err.Error(), `numprocs must be a whole number from 1 to 1000, not "x"`) {
		t.Fatalf("ValidateProgram with env = %v", err)
	}
}
