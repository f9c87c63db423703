// Package writepolicy is what keeps a write role from amounting to root on
// the host (SPEC §6, "Write policy"): the users a program may run as, the
// directories where the daemons may create or write files for a program or
// a pool, and where a pool may listen on TCP. The backends ask it about
// every value a write sets, as the daemon will read that value; a refusal
// names the policy key and the rule, so an operator knows what to change.
package writepolicy

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// TCP says where a pool may listen on TCP.
const (
	TCPLoopback = "loopback" // only on 127.0.0.0/8, ::1 or localhost
	TCPAny      = "any"
)

// Policy is the write policy of one host. The zero Policy lets no program
// be changed in what it runs, and no file be written outside the
// directories a backend names itself.
type Policy struct {
	// ProgramUsers are the user= values a program may run as; the first is
	// what a new program runs as when the request names none. "root" is
	// allowed only when listed.
	ProgramUsers []string
	// WritableDirs are directories, besides the backends' own log and socket
	// directories, where the daemons may create or write files.
	WritableDirs []string
	// FPMTCP is TCPLoopback (the default) or TCPAny.
	FPMTCP string
}

// DefaultUser returns the user a new program runs as, or "" when
// policy.program_users is empty.
func (p Policy) DefaultUser() string {
	if len(p.ProgramUsers) == 0 {
		return ""
	}
	return p.ProgramUsers[0]
}

// CheckProgramUser refuses a program that would run as user (as supervisord
// computes it; "" when the program sets none, so that it runs as
// supervisord's own user, root on a usual host) outside ProgramUsers.
// why says what the request changes, such as "a change to command".
func (p Policy) CheckProgramUser(user, why string) error {
	u := user
	if u == "" {
		u = "root"
	}
	if slices.Contains(p.ProgramUsers, u) {
		return nil
	}
	runs := "as " + u
	if user == "" {
		runs = "as supervisord's own user (root, as it sets no user=)"
	}
	allowed := "no user is allowed"
	if len(p.ProgramUsers) > 0 {
		allowed = "allowed: " + strings.Join(p.ProgramUsers, ", ")
	}
	return ops.Invalidf("%s is refused: the program would run %s, outside policy.program_users (%s); set --user to one of them, or have an admin list %s there",
		why, runs, allowed, u)
}

// Kind is what a path a daemon writes must be when it exists already.
type Kind int

// Kinds of path.
const (
	File   Kind = iota // a log: a regular file, appended to
	Socket             // a listening socket: php-fpm removes it and binds anew
)

func (k Kind) String() string {
	if k == Socket {
		return "socket"
	}
	return "regular file"
}

// CheckPath refuses a path that a daemon running as root would create or
// write for key, unless it lies inside one of dirs (the backend's own log
// or socket directories) or WritableDirs. It must be absolute with no ".."
// (which the kernel resolves after symbolic links, not before), no symbolic
// link on the way may lead out of the allowed directory, the last element
// may not be a link at all, and an existing file must be of kind.
func (p Policy) CheckPath(key, path string, kind Kind, dirs ...string) error {
	allowed := slices.DeleteFunc(append(slices.Clone(dirs), p.WritableDirs...), func(d string) bool { return d == "" })
	where := fmt.Sprintf("the allowed directories (%s, and policy.writable_dirs)", strings.Join(dirs, ", "))
	if len(p.WritableDirs) > 0 {
		where = fmt.Sprintf("the allowed directories (%s; policy.writable_dirs adds more)", strings.Join(allowed, ", "))
	}
	if !strings.HasPrefix(path, "/") {
		return ops.Invalidf("%s %q must be an absolute path inside %s", key, path, where)
	}
	if slices.Contains(strings.Split(path, "/"), "..") {
		return ops.Invalidf("%s %q may not contain '..'", key, path)
	}
	clean := filepath.Clean(path)
	real, err := resolve(clean)
	if err != nil {
		return ops.Invalidf("%s %q cannot be checked: %v", key, path, err)
	}
	inside, base := false, ""
	for _, d := range allowed {
		rd, err := resolve(filepath.Clean(d))
		if err == nil && within(real, rd) && within(clean, filepath.Clean(d)) {
			inside, base = true, rd
			break
		}
	}
	if !inside {
		if real != clean {
			return ops.Invalidf("%s %q leads to %s through a symbolic link, which is outside %s", key, path, real, where)
		}
		return ops.Invalidf("%s %q is outside %s: a daemon running as root would create or write it", key, path, where)
	}
	if err := checkReplaceable(key, path, real, base, kind); err != nil {
		return err
	}
	st, err := os.Lstat(clean)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return ops.Invalidf("%s %q cannot be checked: %v", key, path, err)
	case st.Mode()&fs.ModeSymlink != 0:
		return ops.Invalidf("%s %q is a symbolic link; name the file itself", key, path)
	case kind == File && !st.Mode().IsRegular(), kind == Socket && st.Mode()&fs.ModeSocket == 0:
		return ops.Invalidf("%s %q exists and is not a %s: the daemon would replace or write into it", key, path, kind)
	}
	return nil
}

// CheckTCP refuses a TCP listen address outside the loopback range unless
// FPMTCP is TCPAny. host is as written ("" or an unspecified address: all
// addresses).
func (p Policy) CheckTCP(key, host string) error {
	if p.FPMTCP == TCPAny {
		return nil
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if host == "localhost" || ip != nil && ip.IsLoopback() {
		return nil
	}
	shown := host
	if shown == "" || ip != nil && ip.IsUnspecified() {
		shown = "every address"
	}
	return ops.Invalidf("%s on %s is refused by policy.fpm_tcp (loopback): a pool may listen on TCP only on 127.0.0.1, ::1 or localhost; use a unix socket, or have an admin set policy.fpm_tcp: any", key, shown)
}

// Describe lists the policy in lines for /ops whoami and check-config.
func (p Policy) Describe() []string {
	users := "none (no program may be added or changed in what it runs)"
	if len(p.ProgramUsers) > 0 {
		users = strings.Join(p.ProgramUsers, ", ") + " (new programs run as " + p.ProgramUsers[0] + ")"
	}
	dirs := "none besides the configured log and socket directories"
	if len(p.WritableDirs) > 0 {
		dirs = strings.Join(p.WritableDirs, ", ") + ", and the configured log and socket directories"
	}
	tcp := p.FPMTCP
	if tcp == "" {
		tcp = TCPLoopback
	}
	return []string{
		"policy.program_users: " + users,
		"policy.writable_dirs: " + dirs,
		"policy.fpm_tcp: " + tcp,
	}
}

// checkReplaceable refuses a path whose directories below the allowed
// directory base someone other than root (or poolvisor's own user) could
// replace with a symbolic link after the check: the daemons, as root,
// follow links in every directory of a path, and in the last element of a
// log file's (php-fpm unlinks a socket path and binds anew, so for a socket
// only the directories above its own matter). On Debian, for one,
// /run/php belongs to www-data, the usual program user: a socket in
// /run/php is fine, one in /run/php/sub is not, as www-data could swap sub
// for a link to /etc and php-fpm would unlink and bind there as root.
func checkReplaceable(key, path, real, base string, kind Kind) error {
	rel, err := filepath.Rel(base, real)
	if err != nil {
		return nil // not inside base; CheckPath refused it already
	}
	comps := strings.Split(rel, string(filepath.Separator))
	// dirs holds base and each directory below it down to the parent.
	dirs := []string{base}
	for _, c := range comps[:len(comps)-1] {
		dirs = append(dirs, filepath.Join(dirs[len(dirs)-1], c))
	}
	if kind == Socket {
		dirs = dirs[:len(dirs)-1]
	}
	for _, d := range dirs {
		st, err := os.Lstat(d)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // nothing below it exists, and only who may write its parent can make it
		} else if err != nil {
			return ops.Invalidf("%s %q cannot be checked: %v", key, path, err)
		}
		if who := untrustedWriter(st); who != "" {
			what := "the file"
			if d != dirs[len(dirs)-1] || kind == Socket {
				what = "a directory on the way"
			}
			return ops.Invalidf("%s %q is refused: %s is writable by %s, who could replace %s with a symbolic link after this check, and the daemon, as root, would follow it; have an admin make %s writable by root only, or choose a path directly in an allowed directory",
				key, path, d, who, what, d)
		}
	}
	return nil
}

// untrustedWriter names who besides root and poolvisor's own user may
// create, rename or remove entries of the directory st describes, or "".
func untrustedWriter(st fs.FileInfo) string {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	trusted := func(id uint32, self int) bool { return id == 0 || int(id) == self }
	mode := st.Mode().Perm()
	switch {
	case !trusted(sys.Uid, os.Geteuid()):
		return fmt.Sprintf("its owner (uid %d)", sys.Uid)
	case mode&0o020 != 0 && !trusted(sys.Gid, os.Getegid()):
		return fmt.Sprintf("its group (gid %d)", sys.Gid)
	case mode&0o002 != 0:
		return "every user"
	}
	return ""
}

// resolve returns path with every symbolic link of its longest existing
// prefix resolved, and the rest appended.
func resolve(path string) (string, error) {
	rest := ""
	for cur := path; ; {
		real, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return path, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// within reports whether path lies strictly inside dir.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, "../")
}
