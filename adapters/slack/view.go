package slack

import (
	"fmt"
	"strings"

	"github.com/poolvisor/poolvisor/adapters/view"
)

// The neutral view of results (package view), shared with the other chat
// adapters; this package only decides how it looks here.
type (
	data       = view.Data
	process    = view.Process
	programDoc = view.Program
	logDoc     = view.Log
	poolDoc    = view.Pool
)

var (
	decodeData = view.Decode
	stateRank  = view.StateRank
	uptime     = view.Uptime
)

// stateCounts summarises processes by state, attention first:
// "2 FATAL · 480 RUNNING", each with its state's mark.
func stateCounts(procs []process) string {
	parts := make([]string, 0, len(procs))
	for _, c := range view.CountStates(procs) {
		parts = append(parts, fmt.Sprintf("%s %d %s", stateMark(c.State), c.N, escape(c.State)))
	}
	return strings.Join(parts, " · ")
}
