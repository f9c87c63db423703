package supervisor

// This file checks a program against the host it will run on: its users,
// directories, command and supervisord's own environment.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// expansionEnv looks names up in supervisord's own environment when it runs
// on this host (that is what %(ENV_X)s expands from), else in poolvisor's.
func (b *Backend) expansionEnv(ctx context.Context) ExpansionEnv {
	env, _ := b.supervisordEnv(ctx)
	return func(name string) (string, bool) {
		if len(env) > 0 {
			v, ok := env[name]
			return v, ok
		}
		return os.LookupEnv(name)
	}
}

// includeEnv is supervisord's environment for expanding [include] files=,
// asked of supervisord only when a value needs it, or nil when it cannot
// be read: the include globs decide which files poolvisor reads and (by
// default) may write, so poolvisor's own environment never stands in.
func (b *Backend) includeEnv() ExpansionEnv {
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.CallTimeout)
	defer cancel()
	env, ok := b.supervisordEnv(ctx)
	if !ok {
		return nil
	}
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

// supervisordEnv reads supervisord's own environment from /proc, when it
// runs on this host and its process can be read.
func (b *Backend) supervisordEnv(ctx context.Context) (map[string]string, bool) {
	if !b.local {
		return nil, false
	}
	pid, err := b.client.GetPID(ctx)
	if err != nil {
		return nil, false
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return nil, false
	}
	env := map[string]string{}
	for _, kv := range strings.Split(string(raw), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env, true
}

func (b *Backend) hostChecks(ctx context.Context) HostChecks {
	return HostChecks{
		Env: b.expansionEnv(ctx),
		UserExists: func(name string) bool {
			if _, err := user.Lookup(name); err == nil {
				return true
			}
			_, err := user.LookupId(name)
			return err == nil
		},
		DirExists: func(path string) bool {
			st, err := os.Stat(path)
			return err == nil && st.IsDir()
		},
	}
}

// checkCommand refuses a command whose program does not exist: supervisord
// would accept the file and then fail to spawn it.
func checkCommand(f *ProgramFile) error {
	cmd, _ := f.Get("command")
	prog := strings.Fields(cmd)
	if len(prog) == 0 || strings.Contains(prog[0], "%(") {
		return nil
	}
	p := strings.Trim(prog[0], `"'`)
	if filepath.IsAbs(p) {
		st, err := os.Stat(p)
		if err != nil || st.IsDir() || st.Mode().Perm()&0o111 == 0 {
			return ops.InvalidField(keyField("command"), "command: %s does not exist or is not executable", p)
		}
		return nil
	}
	if _, err := exec.LookPath(p); err != nil {
		return ops.InvalidField(keyField("command"), "command: %s is not found on the PATH; give its full path", p)
	}
	return nil
}
