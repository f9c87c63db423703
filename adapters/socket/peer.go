package socket

import (
	"errors"
	"fmt"
	"net"
	"os/user"
	"slices"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// Cred is what the kernel says of the process at the other end of a
// connection: its uid, and its groups when it was connected (primary
// first).
type Cred struct {
	UID  uint32
	GIDs []uint32
}

// peerCred reads the credentials of c's peer: SO_PEERCRED for the uid and
// primary gid, SO_PEERGROUPS (Linux 4.13) for its supplementary groups.
func peerCred(c *net.UnixConn) (Cred, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return Cred{}, err
	}
	var cred Cred
	var cerr error
	err = raw.Control(func(fd uintptr) {
		uc, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		if err != nil {
			cerr = fmt.Errorf("SO_PEERCRED: %w", err)
			return
		}
		cred.UID = uc.Uid
		cred.GIDs = []uint32{uc.Gid}
		groups, err := peerGroups(int(fd))
		if errors.Is(err, unix.ENOPROTOOPT) { // before Linux 4.13
			groups, err = dbGroups(uc.Uid)
		}
		if err != nil {
			cerr = fmt.Errorf("groups of uid %d: %w", uc.Uid, err)
			return
		}
		for _, g := range groups {
			if !slices.Contains(cred.GIDs, g) {
				cred.GIDs = append(cred.GIDs, g)
			}
		}
	})
	if err == nil {
		err = cerr
	}
	return cred, err
}

// peerGroups returns the supplementary groups of fd's peer.
func peerGroups(fd int) ([]uint32, error) {
	buf := make([]uint32, 64)
	for {
		n := uint32(len(buf) * 4)
		_, _, errno := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_PEERGROUPS,
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
		switch errno {
		case 0:
			return buf[:n/4], nil
		case unix.ERANGE: // n is the size needed
			buf = make([]uint32, n/4+1)
		default:
			return nil, errno
		}
	}
}

// dbGroups returns the groups the group database gives uid: what a kernel
// without SO_PEERGROUPS leaves to go by.
func dbGroups(uid uint32) ([]uint32, error) {
	u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10))
	if err != nil {
		return nil, err
	}
	ids, err := u.GroupIds()
	if err != nil {
		return nil, err
	}
	var out []uint32
	for _, id := range ids {
		if n, err := strconv.ParseUint(id, 10, 32); err == nil {
			out = append(out, uint32(n))
		}
	}
	return out, nil
}

// Actor names the peer with cred as a local actor: `local:<user name>`,
// or its uid when it has no name, with the names of its groups.
func Actor(cred Cred) ops.Actor {
	name := strconv.FormatUint(uint64(cred.UID), 10)
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	a := ops.Actor{Platform: "local", ID: name, Name: name}
	for _, gid := range cred.GIDs {
		if g, err := user.LookupGroupId(strconv.FormatUint(uint64(gid), 10)); err == nil {
			a.Groups = append(a.Groups, g.Name)
		}
	}
	return a
}
