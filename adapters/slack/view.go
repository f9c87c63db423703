package slack

import (
	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/chat/view"
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
)

// style is how this platform writes the lines every platform draws alike
// (package chat).
var style = chat.Style{
	States:      stateMarks,
	Statuses:    statusMarks,
	Unreachable: ":electric_plug:",
	Escape:      escape,
	Bold:        func(s string) string { return "*" + s + "*" },
	Code:        func(s string) string { return "`" + escape(s) + "`" },
}
