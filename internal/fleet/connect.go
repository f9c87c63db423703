package fleet

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// ConnConfig is how to reach the NATS servers (config keys nats.*).
type ConnConfig struct {
	URL             string
	CredentialsFile string // a .creds file (JWT + seed) or an nkey seed file
	CAFile          string
	CertFile        string
	KeyFile         string
	// Name names this connection in the server's monitoring, like
	// "poolvisor hub" or "poolvisor agent web-01".
	Name string
	// Wait keeps trying in the background when no server answers at first
	// (a long-running serve); otherwise Connect fails at once (exec).
	Wait bool
}

// Connect opens a NATS connection that reconnects for ever, logging when
// it is lost and back.
func Connect(c ConnConfig, log *slog.Logger) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(c.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		nats.Timeout(5 * time.Second),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if !nc.IsClosed() {
				log.Warn("fleet: NATS connection lost; reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("fleet: NATS connection back", "server", nc.ConnectedUrlRedacted())
		}),
	}
	if c.Wait {
		opts = append(opts, nats.RetryOnFailedConnect(true))
	}
	if c.CredentialsFile != "" {
		opt, err := credentials(c.CredentialsFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, opt)
	}
	if c.CAFile != "" {
		opts = append(opts, nats.RootCAs(c.CAFile))
	}
	if c.CertFile != "" {
		opts = append(opts, nats.ClientCert(c.CertFile, c.KeyFile))
	}
	nc, err := nats.Connect(c.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	return nc, nil
}

// credentials reads nats.credentials_file: a user .creds file as nsc
// writes it (JWT and nkey seed), or a file holding just an nkey seed.
func credentials(path string) (nats.Option, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("nats.credentials_file: %w", err)
	}
	if strings.Contains(string(raw), "BEGIN NATS USER JWT") {
		return nats.UserCredentials(path), nil
	}
	opt, err := nats.NkeyOptionFromSeed(path)
	if err != nil {
		return nil, fmt.Errorf("nats.credentials_file %s: neither a .creds file nor an nkey seed: %w", path, err)
	}
	return opt, nil
}

// Health reports the NATS connection as a component of /healthz.
func Health(nc *nats.Conn) ops.Component {
	if nc.IsConnected() {
		return ops.Component{Name: "nats", OK: true, Info: "connected to " + nc.ConnectedUrlRedacted()}
	}
	return ops.Component{Name: "nats", OK: false, Info: "not connected (" + strings.ToLower(nc.Status().String()) + ")"}
}
