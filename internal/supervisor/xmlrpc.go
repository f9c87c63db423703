package supervisor

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// ConfigKind names supervisord's main config file in the history.
const ConfigKind = "supervisor.config"

// inetSection is the section of supervisord.conf that turns on XML-RPC over TCP.
const inetSection = "inet_http_server"

// XMLRPC is the data of supervisor.xmlrpc.show and .set. The password, and
// its hash, are never part of it: the answer to set carries a new password
// apart, for the requester alone (ops.Outcome.Private).
type XMLRPC struct {
	File        string `json:"file"`
	Enabled     bool   `json:"enabled"`
	Port        string `json:"port,omitempty"`
	Username    string `json:"username,omitempty"`
	PasswordSet bool   `json:"password_set"`
	// Risk says, when the section as written lets more than its password
	// holder in, who else (empty when it does not).
	Risk string `json:"risk,omitempty"`
}

// inetRisk says who besides a password holder can control every program
// through an [inet_http_server] on port with or without a password, ""
// when nobody. supervisord takes "*:9001" and ":9001" as every interface.
func inetRisk(port string, passwordSet bool) string {
	host, _, err := net.SplitHostPort(port)
	open := err != nil || host == "" || host == "*"
	if !open {
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			open = host != "localhost"
		}
	}
	switch {
	case open && !passwordSet:
		return "it listens beyond loopback with no password: anyone who can reach " + port + " can stop, start and change every program, as root"
	case open:
		return "it listens beyond loopback: anyone who can reach " + port + " and guesses or learns the password controls every program, as root"
	case !passwordSet:
		return "it has no password: every local user, a PHP site's user included, can stop, start and change every program through it, as root"
	}
	return ""
}

var usernameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`) })

// readInet reads the [inet_http_server] section of the main config file.
func (b *Backend) readInet() (XMLRPC, []string, *progSection, error) {
	x := XMLRPC{File: b.cfg.ConfigFile}
	raw, err := os.ReadFile(b.cfg.ConfigFile)
	if err != nil {
		return x, nil, nil, ops.Fail(err, "could not read %s", b.cfg.ConfigFile)
	}
	lines := progSplitLines(string(raw))
	doc, err := parseProgINI(lines)
	if err != nil {
		return x, nil, nil, ops.Failedf("%s cannot be read safely: %v", b.cfg.ConfigFile, err)
	}
	var sec *progSection
	for _, s := range doc.sections {
		if s.header == inetSection {
			if sec != nil {
				return x, nil, nil, ops.Failedf("%s has [%s] twice; fix it by hand first", b.cfg.ConfigFile, inetSection)
			}
			sec = s
		}
	}
	if sec != nil {
		x.Enabled = true
		for _, o := range sec.opts {
			switch o.key {
			case "port":
				x.Port = o.value()
			case "username":
				x.Username = o.value()
			case "password":
				x.PasswordSet = o.value() != ""
			}
		}
	}
	return x, lines, sec, nil
}

func (b *Backend) xmlrpcShow(context.Context, ops.Request) (ops.Outcome, error) {
	x, _, _, err := b.readInet()
	if err != nil {
		return ops.Outcome{}, err
	}
	msg := fmt.Sprintf("XML-RPC over TCP on %s is off (no [%s] in %s); poolvisor uses %s.", b.cfg.Host, inetSection, x.File, b.client.URL())
	if x.Enabled {
		pw := "no password"
		if x.PasswordSet {
			pw = "a password (not shown)"
		}
		msg = fmt.Sprintf("XML-RPC over TCP on %s: port %s, user %q, %s (%s).", b.cfg.Host, x.Port, x.Username, pw, x.File)
		if x.Risk = inetRisk(x.Port, x.PasswordSet); x.Risk != "" {
			msg += fmt.Sprintf("\nWarning: %s. /supervisor xmlrpc set --ip 127.0.0.1 --port N --username U sets a generated password on loopback; /supervisor xmlrpc disable turns it off.", x.Risk)
		}
	}
	return ops.Outcome{Message: msg, Data: map[string]any{"xmlrpc": x}}, nil
}

// xmlrpcSet enables or changes (action set) or removes (action disable) the
// [inet_http_server] section, keeping the rest of the file byte for byte.
type xmlrpcSet struct{ b *Backend }

func (h xmlrpcSet) Plan(ctx context.Context, req ops.Request) (*ops.Plan, error) {
	b := h.b
	x, lines, sec, err := b.readInet()
	if err != nil {
		return nil, err
	}
	old := []byte(strings.Join(lines, ""))
	c := fileChange{path: b.cfg.ConfigFile, old: old}
	if action, _ := req.Op.Get("action"); action == "disable" {
		if sec == nil {
			return nil, ops.Invalidf("XML-RPC over TCP is already off on %s", b.cfg.Host)
		}
		c.new = []byte(strings.Join(append(append([]string{}, lines[:sec.line]...), lines[sec.last+1:]...), ""))
		changes := []ops.FileChange{{Kind: ConfigKind, Path: c.path, Before: c.old, After: c.new}}
		return &ops.Plan{
			Changes:     changes,
			Summary:     fmt.Sprintf("remove [%s] (port %s) from %s; takes effect after /supervisor restart-service", inetSection, x.Port, x.File),
			Fingerprint: digest(old),
			Apply: func(ctx context.Context) (ops.Outcome, error) {
				if _, err := b.writeAndReread(ctx, c, ""); err != nil {
					return ops.Outcome{}, err
				}
				x.Enabled, x.Port, x.Username, x.PasswordSet = false, "", "", false
				return ops.Outcome{Message: fmt.Sprintf("Removed [%s] from %s. It takes effect after /supervisor restart-service.", inetSection, x.File),
					Data: map[string]any{"xmlrpc": x}, Changes: changes}, nil
			},
		}, nil
	}

	ip, _ := req.Op.Get("ip")
	port, _ := req.Op.Get("port")
	user, _ := req.Op.Get("username")
	if ip == "" || port == "" || user == "" {
		return nil, ops.Invalidf("xmlrpc set needs --ip IP --port N --username U")
	}
	addr := net.ParseIP(ip)
	if addr == nil || addr.To4() == nil {
		return nil, ops.Invalidf("--ip must be an IPv4 address like 127.0.0.1, not %q", ip)
	}
	// Whoever holds the password controls every program through this
	// interface (stop, restart, stdin, shutdown), past poolvisor's
	// approvals; the write policy keeps it off the network.
	if !addr.IsLoopback() {
		return nil, ops.Invalidf("--ip %s is refused by the write policy: supervisord's XML-RPC interface runs as root and lets its password holder stop, restart or write to any program without poolvisor's approvals, so poolvisor opens it only on loopback (127.0.0.0/8); use 127.0.0.1 and an SSH tunnel", ip)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, ops.Invalidf("--port must be from 1 to 65535, not %q", port)
	}
	if !usernameRE().MatchString(user) {
		return nil, ops.Invalidf("--username must be 1 to 64 letters, digits, '_', '.', '@' or '-'")
	}
	// supervisord binds the port when it next starts and exits if it
	// cannot, taking every program down; the port it serves now is fine.
	if addr := net.JoinHostPort(ip, port); x.Port != ip+":"+port {
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
		} else if errors.Is(err, syscall.EADDRINUSE) {
			return nil, ops.Invalidf("--port %s: something already listens on %s, so supervisord would fail to start after /supervisor restart-service, and every program with it; choose a free port", port, addr)
		}
	}
	summary := fmt.Sprintf("set [%s] in %s: port %s:%s, user %s, a new generated password; takes effect after /supervisor restart-service",
		inetSection, x.File, ip, port, user)
	// The password is generated when applied, never before: the plan (and
	// an approval request) shows its line masked.
	preview := []byte(strings.Join(setInet(lines, sec, ip+":"+port, user, "{SHA}generated-when-applied"), ""))
	if err := b.daemonCheck(ctx, fileChange{path: c.path, old: c.old, new: preview}); err != nil {
		return nil, err
	}
	return &ops.Plan{
		Summary:     summary,
		Fingerprint: digest(old),
		Changes:     []ops.FileChange{{Kind: ConfigKind, Path: c.path, Before: c.old, After: preview}},
		Apply: func(ctx context.Context) (ops.Outcome, error) {
			password, hash, err := newPassword()
			if err != nil {
				return ops.Outcome{}, ops.Fail(err, "could not generate a password")
			}
			c.new = []byte(strings.Join(setInet(lines, sec, ip+":"+port, user, hash), ""))
			if _, err := b.writeAndReread(ctx, c, ""); err != nil {
				return ops.Outcome{}, err
			}
			out := XMLRPC{File: x.File, Enabled: true, Port: ip + ":" + port, Username: user, PasswordSet: true}
			msg := fmt.Sprintf("XML-RPC over TCP set to %s for user %s in %s; it takes effect after /supervisor restart-service.\n"+
				"A new password was generated; it is shown once, privately, to the requester (poolvisor keeps only its SHA-1 hash).",
				out.Port, user, x.File)
			private := fmt.Sprintf("New XML-RPC password for user %s on %s (%s), shown once and only to you; poolvisor keeps only its SHA-1 hash: %s",
				user, b.cfg.Host, out.Port, password)
			return ops.Outcome{Message: msg, Data: map[string]any{"xmlrpc": out}, Private: private,
				Changes: []ops.FileChange{{Kind: ConfigKind, Path: c.path, Before: c.old, After: c.new}}}, nil
		},
	}, nil
}

// setInet returns lines with port, username and password set in the
// [inet_http_server] section, which is added at the end when missing.
func setInet(lines []string, sec *progSection, port, user, hash string) []string {
	want := [][2]string{{"port", port}, {"username", user}, {"password", hash}}
	out := append([]string{}, lines...)
	if sec == nil {
		if n := len(out); n > 0 && !strings.HasSuffix(out[n-1], "\n") {
			out[n-1] += "\n"
		}
		out = append(out, "\n["+inetSection+"]\n")
		for _, kv := range want {
			out = append(out, kv[0]+"="+kv[1]+"\n")
		}
		return out
	}
	var add []string
	for _, kv := range want {
		opts := sec.find(kv[0])
		if len(opts) == 0 {
			add = append(add, kv[0]+"="+kv[1]+"\n")
			continue
		}
		for i, o := range opts {
			_, eol := progCutLineBreak(out[o.line])
			if eol == "" {
				eol = "\n"
			}
			if i < len(opts)-1 {
				out[o.line] = "" // an earlier duplicate: the last one wins in configparser
				continue
			}
			out[o.line] = kv[0] + "=" + kv[1] + eol
			for _, c := range o.conts {
				out[c] = ""
			}
		}
	}
	if len(add) > 0 {
		if !strings.HasSuffix(out[sec.last], "\n") {
			out[sec.last] += "\n"
		}
		out = append(out[:sec.last+1], append(add, out[sec.last+1:]...)...)
	}
	return out
}

// newPassword returns a random password without characters that config
// files or shells treat specially, and the {SHA} form supervisord accepts.
func newPassword() (password, hash string, err error) {
	buf := make([]byte, 18)
	if _, err := rand.Read(buf); err != nil {
		return "", "", err
	}
	password = base64.RawURLEncoding.EncodeToString(buf)
	sum := sha1.Sum([]byte(password))
	return password, "{SHA}" + hex.EncodeToString(sum[:]), nil
}
