package discord

import "github.com/poolvisor/poolvisor/internal/ops"

// Health reports the Discord connection for /healthz. In gateway mode it
// is OK only while the Gateway session is up (READY or RESUMED received,
// the connection not closed since); HTTP mode has no connection to lose.
func (a *Adapter) Health() ops.Component {
	if a.gw == nil {
		return ops.Component{Name: "discord", OK: true, Info: "HTTP interactions"}
	}
	if ok, why := a.gw.link.Status(); !ok {
		return ops.Component{Name: "discord", OK: false, Info: "Gateway: " + why.Error()}
	}
	return ops.Component{Name: "discord", OK: true, Info: "Gateway connected"}
}
