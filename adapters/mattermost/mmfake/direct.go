package mmfake

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
)

// BotUserID is the bot's own user ID, as GET /api/v4/users/me tells it.
const BotUserID = BotID

// DirectChannel returns the ID of the direct channel between the bot and
// user, as POST /api/v4/channels/direct gives it and as the websocket's
// direct posts come from: the same one each time, like Mattermost's.
func DirectChannel(user string) string {
	pair := []string{BotUserID, user}
	slices.Sort(pair)
	sum := sha256.Sum256([]byte(pair[0] + "__" + pair[1]))
	return hex.EncodeToString(sum[:])[:26]
}
