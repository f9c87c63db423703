package mmfake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
)

// BotUserID is the bot's own user ID, as GET /api/v4/users/me tells it.
const BotUserID = "b0tb0tb0tb0tb0tb0tb0tb0tb0"

// DirectChannel returns the ID of the direct channel between the bot and
// user, as POST /api/v4/channels/direct gives it: the same one each time,
// like Mattermost's.
func DirectChannel(user string) string {
	pair := []string{BotUserID, user}
	slices.Sort(pair)
	sum := sha256.Sum256([]byte(pair[0] + "__" + pair[1]))
	return hex.EncodeToString(sum[:])[:26]
}

// me answers GET /api/v4/users/me for the bot.
// https://api.mattermost.com/#tag/users/operation/GetUser
func (s *Server) me(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"id": BotUserID, "username": "poolvisor", "is_bot": true})
}

// directChannel answers POST /api/v4/channels/direct: the body is the two
// user IDs, one of them the caller's own.
// https://api.mattermost.com/#tag/channels/operation/CreateDirectChannel
func (s *Server) directChannel(w http.ResponseWriter, r *http.Request) {
	var ids []string
	if err := json.NewDecoder(r.Body).Decode(&ids); err != nil {
		s.refuse(w, http.StatusBadRequest, "bad json: "+err.Error())
		return
	}
	if len(ids) != 2 || !idRE.MatchString(ids[0]) || !idRE.MatchString(ids[1]) {
		s.refuse(w, http.StatusBadRequest, "a direct channel takes two user ids")
		return
	}
	if !slices.Contains(ids, BotUserID) {
		s.refuse(w, http.StatusForbidden, "the bot may only open a direct channel it is in")
		return
	}
	other := ids[0]
	if other == BotUserID {
		other = ids[1]
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{"id": DirectChannel(other), "type": "D"})
}
