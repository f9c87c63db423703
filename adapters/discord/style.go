package discord

import "github.com/poolvisor/poolvisor/adapters/chat"

// style is how this platform writes the lines every platform draws alike
// (package chat).
var style = chat.Style{
	States:      stateMarks,
	Statuses:    statusMarks,
	Unreachable: "🔌",
	Escape:      escape,
	Bold:        func(s string) string { return "**" + s + "**" },
	Code:        code,
}
