package discord

import "time"

// Discord's limits on a message. The API refuses a message beyond them
// (400, "Invalid Form Body"), so the renderers stay inside them by
// construction and fit checks again at the end.
const (
	// maxContent is the longest content of a message.
	// https://discord.com/developers/docs/resources/message#create-message-jsonform-params
	maxContent = 2000

	// maxEmbeds is the most embeds a message holds, and maxEmbedTotal the
	// most characters of all their titles, descriptions, field names and
	// values, footers and author names together.
	// https://discord.com/developers/docs/resources/message#embed-object-embed-limits
	maxEmbeds      = 10
	maxEmbedTotal  = 6000
	maxTitle       = 256
	maxDescription = 4096
	maxFields      = 25
	maxFieldName   = 256
	maxFieldValue  = 1024
	maxFooter      = 2048

	// maxActionRows is the most action rows of a message, maxButtonsPerRow
	// the most buttons of one row, maxCustomID the longest custom_id and
	// maxButtonLabel the longest label.
	// https://discord.com/developers/docs/components/reference#action-row
	// https://discord.com/developers/docs/components/reference#button
	maxActionRows    = 5
	maxButtonsPerRow = 5
	maxCustomID      = 100
	maxButtonLabel   = 80

	// maxChoices is the most choices an autocomplete answer holds, and
	// maxChoiceName the longest name (and value) of one.
	// https://discord.com/developers/docs/interactions/application-commands#autocomplete
	maxChoices    = 25
	maxChoiceName = 100
)

// Discord's deadlines.
const (
	// ackDeadline is how long Discord waits for the answer to an
	// interaction; interactionTokenLifetime is how long its token may
	// then edit the response and send follow-ups.
	// https://discord.com/developers/docs/interactions/receiving-and-responding#responding-to-an-interaction
	ackDeadline              = 3 * time.Second
	interactionTokenLifetime = 15 * time.Minute

	// fastAnswer is how long a request may take and still be answered in
	// the HTTP response itself; anything slower is deferred (type 5) and
	// the original response edited when done. It leaves a second of
	// ackDeadline for the network.
	fastAnswer = 2 * time.Second
)

// poolvisor's own budgets, well inside Discord's limits, so that a message
// stays readable on a phone.
const (
	// maxListLines is the most process or pool lines a list shows; the rest
	// is summarised by state.
	maxListLines = 40
	// maxLogChars is the most log text a message shows, from the end.
	maxLogChars = maxDescription - 200
	// maxTextChars is the most free text (a plan, a help page) a message shows.
	maxTextChars = maxDescription - 200
)
