package mattermost

import "time"

// Mattermost's limits. A post beyond them is refused (400), so renderers
// stay inside them by construction and fit checks again at the end.
const (
	// maxPostChars is the longest message of a post (server v5.0 and
	// later), in characters (runes).
	// https://developers.mattermost.com/integrate/slash-commands/#tips-and-best-practices
	maxPostChars = 16383

	// commandTimeout is how long Mattermost waits for a slash command's
	// answer; fastAnswer leaves a margin for the network, and anything
	// slower is acknowledged and its result posted to the response_url.
	// https://developers.mattermost.com/integrate/slash-commands/custom/
	commandTimeout = 3 * time.Second
	fastAnswer     = 2 * time.Second

	// maxCellChars bounds one cell of a Markdown table, so a long
	// description cannot make a table unreadable.
	maxCellChars = 120

	// maxTableRows bounds the rows of one table; the rest is counted.
	maxTableRows = 200
)
