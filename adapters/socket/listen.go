package socket

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"time"
)

// ErrInUse is returned by Listen when a serve already answers on the path.
var ErrInUse = errors.New("another poolvisor serve answers on it")

// Listener is the socket serve listens on.
type Listener struct {
	*net.UnixListener
	path string
	info os.FileInfo // the socket file as created, to remove only ours
}

// Listen creates the socket at path, mode 0660, owned by group (serve's
// own group when ""), and listens on it. The socket is made under a
// private temporary name in the same directory, given its mode and
// group, and only then renamed into place: nobody can connect before it
// has its owner. A stale socket (left by a serve that crashed) is
// replaced; a live one, or a file of another kind, is refused. A missing
// directory is an error that wraps fs.ErrNotExist.
func Listen(path, group string) (*Listener, error) {
	gid := -1
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return nil, fmt.Errorf("socket group %q: %w", group, err)
		}
		if gid, err = strconv.Atoi(g.Gid); err != nil {
			return nil, fmt.Errorf("socket group %q: gid %q: %w", group, g.Gid, err)
		}
	}
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("socket directory: %w", err)
	}
	if err := checkExisting(path); err != nil {
		return nil, err
	}
	tmp := filepath.Join(dir, fmt.Sprintf(".%s.%d.tmp", filepath.Base(path), os.Getpid()))
	os.Remove(tmp) // left by an earlier serve of the same pid, if any
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", tmp, err)
	}
	ln.SetUnlinkOnClose(false) // it is renamed; Close removes it below
	fail := func(err error) (*Listener, error) {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Chown(tmp, -1, gid); err != nil {
		return fail(fmt.Errorf("socket group %q: %w", group, err))
	}
	if err := os.Chmod(tmp, 0o660); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	info, err := os.Lstat(path)
	if err != nil {
		return fail(err)
	}
	return &Listener{UnixListener: ln, path: path, info: info}, nil
}

// checkExisting refuses to replace what is at path unless it is a socket
// nobody answers on.
func checkExisting(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket: refusing to replace it", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("%s: %w", path, ErrInUse)
	}
	return nil // stale: the rename replaces it
}

// Path is where the socket is.
func (l *Listener) Path() string { return l.path }

// Close stops listening and removes the socket file, if it is still this
// listener's (another serve may have taken the path since).
func (l *Listener) Close() error {
	err := l.UnixListener.Close()
	if fi, serr := os.Lstat(l.path); serr == nil && os.SameFile(fi, l.info) {
		os.Remove(l.path)
	}
	return err
}
