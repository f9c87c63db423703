package phpfpm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
	"golang.org/x/sys/unix"
)

// slowlogReadMax bounds what fpm.pool.slowlog reads: the end of the file,
// where the latest entries are. A slow log grows without bound and is
// rotated, if at all, by logrotate.
const slowlogReadMax = 4 << 20

// The groups /fpm slowlog shows: --limit's default and its most.
const (
	defaultSlowlogLimit = 10
	maxSlowlogLimit     = 100
)

// phpTimeRE is a time value as php-fpm reads it (fpm_conf_set_time).
var phpTimeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9]+)([smhd]?)$`) })

// slowlog answers /fpm slowlog: the pool's slow requests, from the end of
// its slow log, grouped by script and top frame.
func (b *Backend) slowlog(_ context.Context, req ops.Request) (ops.Outcome, error) {
	name := req.Op.Target
	if err := checkPoolName(name); err != nil {
		return ops.Outcome{}, err
	}
	limit, since, err := slowlogArgs(req.Op)
	if err != nil {
		return ops.Outcome{}, err
	}
	d, err := b.scanPools()
	if err != nil {
		return ops.Outcome{}, err
	}
	e, err := d.find(name, b.cfg.Host)
	if err != nil {
		return ops.Outcome{}, err
	}
	path, err := slowlogFile(e.directives, name)
	if err != nil {
		return ops.Outcome{}, err
	}
	raw, truncated, err := readTail(path, slowlogReadMax)
	if err != nil {
		return ops.Outcome{}, b.slowlogReadError(name, path, err)
	}
	entries, skipped := parseSlowlog(raw, time.Local)
	var mine []slowEntry
	from := time.Time{}
	if since > 0 {
		from = time.Now().Add(-since)
	}
	for _, s := range entries {
		// Several pools may share one file; --since goes by the entry's time.
		if s.pool == name && !s.at.Before(from) {
			mine = append(mine, s)
		}
	}
	groups := groupSlow(mine)
	data := ops.FPMSlowlog{File: path, ReadBytes: int64(len(raw)), Truncated: truncated,
		Groups: len(groups), Skipped: skipped, Entries: []ops.SlowlogEntry{}} // a list, even empty, for scripts
	data.Entries = append(data.Entries, groups[:min(limit, len(groups))]...)
	return ops.Parts(data, b.slowlogParts(name, since, len(mine), data)...), nil
}

// slowlogArgs reads --limit and --since.
func slowlogArgs(op ops.Operation) (limit int, since time.Duration, err error) {
	limit = defaultSlowlogLimit
	if v, ok := op.Get("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxSlowlogLimit {
			return 0, 0, ops.InvalidField("limit", "--limit takes a number from 1 to %d, not %q", maxSlowlogLimit, v)
		}
		limit = n
	}
	if v, ok := op.Get("since"); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return 0, 0, ops.InvalidField("since", "--since takes a duration like 90s or 2h, not %q", v)
		}
		since = d
	}
	return limit, since, nil
}

// slowlogFile returns the slow log of pool, whose directives are d, as
// php-fpm resolves it (fpm_conf_process_all_pools): $pool expanded, as in
// every value; a relative path taken from the pool's prefix, else from the
// install prefix (poolvisor does not know a -p given to the master); and
// $prefix left as written, since php-fpm expands it in other paths only.
func slowlogFile(d map[string]string, pool string) (string, error) {
	timeout, path := d[catalog.SlowlogFlag.Key], expandPool(d["slowlog"], pool)
	howto := fmt.Sprintf("/fpm pool edit %s --%s 5s turns it on", pool, catalog.SlowlogFlag.Name)
	m := phpTimeRE().FindStringSubmatch(timeout)
	switch {
	case timeout == "":
		return "", ops.Invalidf("pool %s has no slow log: request_slowlog_timeout is not set; %s", pool, howto)
	case m == nil:
		return "", ops.Invalidf("pool %s has no slow log php-fpm would use: request_slowlog_timeout %q is not a time; %s", pool, timeout, howto)
	case strings.TrimLeft(m[1], "0") == "":
		return "", ops.Invalidf("pool %s has its slow log off (request_slowlog_timeout = %s); %s", pool, timeout, howto)
	case path == "":
		return "", ops.Invalidf("pool %s sets request_slowlog_timeout but no slowlog file, which php-fpm refuses; %s", pool, howto)
	}
	if !filepath.IsAbs(path) {
		prefix := expandPool(d["prefix"], pool)
		if prefix == "" {
			prefix = installPrefix
		}
		path = prefix + "/" + path
	}
	return path, nil
}

// readTail reads at most limit bytes from the end of the regular file at
// path, from the start of a line, and says whether there was more before.
//
// poolvisor reads as root a path from a pool's file, whose directories the
// pool's user may own (a pool written before poolvisor): what is there is
// judged before it is opened, since opening a device can act (a watchdog
// starts counting), and no link is followed that such a user could have
// put anywhere on the way (it could lead to a file that user may not read,
// whose entries poolvisor would show). Links that root (or poolvisor's own
// user) owns, such as a distribution's /var/run -> /run, are followed:
// trustedPath resolves them first, and the file is then opened with no
// link allowed anywhere in the resolved path, so a directory swapped for a
// link after the check is refused too.
func readTail(path string, limit int64) ([]byte, bool, error) {
	path, err := trustedPath(path)
	if err != nil {
		return nil, false, err
	}
	before, err := os.Lstat(path)
	if err != nil {
		return nil, false, err
	}
	switch {
	case before.Mode()&fs.ModeSymlink != 0:
		return nil, false, errLink
	case !before.Mode().IsRegular():
		return nil, false, errNotRegular
	}
	f, err := openNoLinks(path)
	if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EXDEV) {
		return nil, false, errLink
	}
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, false, err
	}
	if !fi.Mode().IsRegular() || !os.SameFile(before, fi) {
		return nil, false, errNotRegular
	}
	// A second name for the file is a hard link someone made: where
	// fs.protected_hardlinks is off, a pool's user may link a file they
	// cannot read into their own log directory. php-fpm's own log has one.
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
		return nil, false, errHardLink
	}
	off := max(0, fi.Size()-limit)
	data, err := io.ReadAll(io.NewSectionReader(f, off, limit))
	if err != nil {
		return nil, false, err
	}
	if off > 0 {
		// The first line is likely cut; the parser skips up to a header anyway.
		if i := strings.IndexByte(string(data), '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	return data, off > 0, nil
}

// trustedPath resolves the links in the directories of the absolute path
// whose owner is root or poolvisor's own user, and refuses (errLink) a
// link anyone else owns; the last element is left as it is, for readTail
// to judge. Only the owner of a link (or root) can have put it there.
func trustedPath(path string) (string, error) {
	// Not filepath.Clean: the kernel takes a ".." after a link from where
	// the link leads, not by dropping the link's name.
	parts := strings.Split(strings.Trim(path, "/"), "/")
	file := parts[len(parts)-1]
	parts = parts[:len(parts)-1]
	if !filepath.IsAbs(path) || file == "" || file == "." || file == ".." {
		return "", errNotRegular
	}
	resolved := "/"
	for hops := 0; len(parts) > 0; {
		part := parts[0]
		parts = parts[1:]
		if part == "" || part == "." {
			continue
		}
		if part == ".." {
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, part)
		fi, err := os.Lstat(next)
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			resolved = next
			continue
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok || (st.Uid != 0 && int(st.Uid) != os.Geteuid()) {
			return "", errLink
		}
		if hops++; hops > 40 { // as the kernel's MAXSYMLINKS
			return "", errLink
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			resolved = "/"
		}
		parts = append(strings.Split(strings.Trim(target, "/"), "/"), parts...)
	}
	return filepath.Join(resolved, file), nil
}

// openNoLinks opens path for reading with no symbolic link allowed in any
// of its elements (openat2's RESOLVE_NO_SYMLINKS) and without blocking on
// a FIFO put there since the check. On a kernel older than 5.6, which has
// no openat2, only the last element is guarded (O_NOFOLLOW).
func openNoLinks(path string) (*os.File, error) {
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_NONBLOCK | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	fd, err := unix.Openat2(unix.AT_FDCWD, path, &how)
	if errors.Is(err, unix.ENOSYS) {
		return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

var (
	errNotRegular = errors.New("not a regular file")
	errLink       = errors.New("a symbolic link")
	errHardLink   = errors.New("a file with more than one name (a hard link)")
)

// slowlogReadError says why the slow log could not be read, exactly.
func (b *Backend) slowlogReadError(pool, path string, err error) error {
	where := fmt.Sprintf("the slow log of pool %s, %s,", pool, path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ops.Failedf("%s does not exist on %s: php-fpm creates it when it loads the pool, so php-fpm has not loaded this setting yet (/fpm reload) or the file was removed since", where, b.cfg.Host)
	case errors.Is(err, fs.ErrPermission):
		return ops.Failedf("%s cannot be read on %s: poolvisor's user may not read it (permission denied)", where, b.cfg.Host)
	case errors.Is(err, errLink):
		return ops.Failedf("%s is a symbolic link on %s; poolvisor does not follow it (it reads as root, and the link may lead where the pool's user may not read)", where, b.cfg.Host)
	case errors.Is(err, errHardLink):
		return ops.Failedf("%s has more than one name on %s (a hard link); poolvisor reads only a file with one name there (it reads as root, and the other name may be a file the pool's user may not read)", where, b.cfg.Host)
	case errors.Is(err, errNotRegular):
		return ops.Failedf("%s is not a regular file on %s; poolvisor reads only a regular file there", where, b.cfg.Host)
	}
	return ops.Fail(err, "%s cannot be read on %s", where, b.cfg.Host)
}

// slowlogParts is the text of the answer: a line on what was read, the
// groups as a table, and the latest stack of each.
func (b *Backend) slowlogParts(pool string, since time.Duration, n int, data ops.FPMSlowlog) []ops.Part {
	read := ""
	if data.Truncated {
		read = fmt.Sprintf(", its last %d MiB", slowlogReadMax>>20)
	}
	within := ""
	if since > 0 {
		within = " in the last " + ops.Uptime(int64(since.Seconds()))
	}
	var notes []string
	if data.Skipped > 0 {
		notes = append(notes, "Not counted: "+count(data.Skipped, "entry")+" cut short before its first frame.")
	}
	if len(data.Entries) < data.Groups {
		notes = append(notes, fmt.Sprintf("Not shown: %s more; --limit N shows more.", count(data.Groups-len(data.Entries), "group")))
	}
	if len(data.Entries) == 0 {
		head := fmt.Sprintf("No slow requests of pool %s on %s%s (%s%s).", pool, b.cfg.Host, within, data.File, read)
		return []ops.Part{ops.Prose(strings.Join(append([]string{head}, notes...), "\n"))}
	}
	head := fmt.Sprintf("Slow requests of pool %s on %s%s: %s in %s by script and top frame (%s%s):",
		pool, b.cfg.Host, within, count(n, "request"), count(data.Groups, "group"), data.File, read)
	rows := [][]string{{"COUNT", "LAST SEEN", "SCRIPT", "TOP FRAME"}}
	var stacks []string
	for i, g := range data.Entries {
		rows = append(rows, []string{strconv.Itoa(g.Count), g.LastSeen.Format(time.DateTime), g.Script, g.TopFrame})
		// The chat platforms draw no table they do not know; this says it all.
		stacks = append(stacks, fmt.Sprintf("%d. %s: %s, the last at %s:\n  %s", i+1, g.Script, count(g.Count, "request"),
			g.LastSeen.Format(time.DateTime), strings.Join(g.Stack, "\n  ")))
	}
	parts := []ops.Part{ops.Prose(head), ops.RowsTable(rows...), ops.Prose("Each group with its latest stack:\n" + strings.Join(stacks, "\n"))}
	if len(notes) > 0 {
		parts = append(parts, ops.Prose(strings.Join(notes, "\n")))
	}
	return parts
}

// count is n things, like "1 group" or "3 groups".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	if strings.HasSuffix(thing, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(thing, "y"))
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
