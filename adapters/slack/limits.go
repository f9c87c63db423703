package slack

import "time"

// Slack's limits on what a message or a view may hold. Anything beyond them
// is refused by the Web API as invalid_blocks (or silently dropped), so the
// renderers stay inside them by construction and fit checks again at the end.
const (
	// maxMessageBlocks is the most blocks a message may hold (modals: 100).
	// https://docs.slack.dev/reference/block-kit/blocks
	maxMessageBlocks = 50
	maxModalBlocks   = 100

	// maxSectionText is the longest text of a section block.
	// https://docs.slack.dev/reference/block-kit/blocks/section-block
	maxSectionText = 3000

	// maxSectionFields is the most fields a section block may hold, each
	// of at most maxFieldText characters.
	// https://docs.slack.dev/reference/block-kit/blocks/section-block
	maxSectionFields = 10
	maxFieldText     = 2000

	// maxHeaderText is the longest text of a header block.
	// https://docs.slack.dev/reference/block-kit/blocks/header-block
	maxHeaderText = 150

	// maxContextElements is the most elements a context block may hold.
	// https://docs.slack.dev/reference/block-kit/blocks/context-block
	maxContextElements = 10

	// maxActionsElements is the most elements an actions block may hold.
	// https://docs.slack.dev/reference/block-kit/blocks/actions-block
	maxActionsElements = 25

	// maxButtonText and maxButtonValue bound a button's label and value.
	// https://docs.slack.dev/reference/block-kit/block-elements/button-element
	maxButtonText  = 75
	maxButtonValue = 2000

	// maxModalTitle bounds a modal's title, submit and close labels;
	// maxPrivateMetadata its private_metadata.
	// https://docs.slack.dev/reference/views/modal-views
	maxModalTitle      = 24
	maxPrivateMetadata = 3000

	// maxInputLength is the longest value (and initial value) of a
	// plain-text input.
	// https://docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element
	maxInputLength = 3000

	// maxOptionText bounds the label of a select's option.
	// https://docs.slack.dev/reference/block-kit/composition-objects/option-object
	maxOptionText = 75

	// maxFallbackText bounds the top-level text of a message, which Slack
	// shows in notifications. chat.postMessage truncates text beyond 40,000
	// characters; a notification needs far less.
	// https://docs.slack.dev/reference/methods/chat.postMessage
	maxFallbackText = 3000

	// maxAckBytes bounds the JSON of an immediate answer (an HTTP response
	// body or a Socket Mode acknowledgement). Socket Mode drops responses of
	// 20 KB or more without an error (slack-go's socketmode documents it);
	// both transports share the bound, so an answer fits either.
	// https://docs.slack.dev/apis/events-api/using-socket-mode
	maxAckBytes = 20<<10 - 1024
)

// Slack's deadlines and quotas.
const (
	// ackDeadline is how long Slack waits for the answer to a slash
	// command, an interaction or a Socket Mode envelope.
	// https://docs.slack.dev/interactivity/implementing-slash-commands
	ackDeadline = 3 * time.Second

	// fastAnswer is how long a request may take and still be answered in
	// the acknowledgement itself; anything slower is posted when done.
	// It leaves a second of ackDeadline for the network.
	fastAnswer = 2 * time.Second

	// responseURLUses and responseURLLifetime: a response_url takes up to
	// five messages within thirty minutes of the request.
	// https://docs.slack.dev/interactivity/handling-user-interaction
	responseURLUses     = 5
	responseURLLifetime = 30 * time.Minute

	// triggerLifetime is how long a trigger_id can open a modal.
	// https://docs.slack.dev/interactivity/handling-user-interaction
	triggerLifetime = 3 * time.Second
)

// poolvisor's own budgets, well inside Slack's limits, so that a message
// stays readable on a phone.
const (
	// maxListLines is the most process or pool lines a list shows; the rest
	// is summarised by state.
	maxListLines = 60
	// maxLogChars is the most log text a message shows, from the end.
	maxLogChars = 3 * (maxSectionText - 200)
	// maxTextChars is the most free text (a plan, a help page) a message shows.
	maxTextChars = 6 * (maxSectionText - 200)
)
