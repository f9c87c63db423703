package discordfake

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Key is the application's key pair: Discord signs with the private half,
// poolvisor verifies with the public one.
type Key struct {
	Public  ed25519.PublicKey
	Private ed25519.PrivateKey
}

// NewKey makes a key pair.
func NewKey() Key {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return Key{Public: pub, Private: priv}
}

// PublicHex is the public key as discord.public_key holds it.
func (k Key) PublicHex() string { return hex.EncodeToString(k.Public) }

// Sign returns the hex signature Discord sends in X-Signature-Ed25519.
func (k Key) Sign(timestamp string, body []byte) string {
	return hex.EncodeToString(ed25519.Sign(k.Private, append([]byte(timestamp), body...)))
}

// SignedRequest is a POST of body to url signed at time at.
func (k Key) SignedRequest(url string, body []byte, at time.Time) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature-Timestamp", ts)
	req.Header.Set("X-Signature-Ed25519", k.Sign(ts, body))
	return req
}

// Member is a guild member who interacts.
type Member struct {
	ID    string
	Name  string
	Roles []string
}

var ids atomic.Int64

// Token is the interaction token the payloads carry. Real tokens are
// opaque; the fake's name the channel, so that it can answer a lookup of
// the original response (GET .../messages/@original) in HTTP mode, where
// the response itself never passes through the fake.
func Token(id, channel string) string { return "tok-" + id + "." + channel }

// originalOf is the channel and message ID of token's original response.
func originalOf(token string) (channel, message string, ok bool) {
	rest, ok := strings.CutPrefix(token, "tok-")
	if !ok {
		return "", "", false
	}
	id, channel, ok := strings.Cut(rest, ".")
	if !ok || channel == "" {
		return "", "", false
	}
	return channel, "7" + id, true
}

// NextID is a fresh interaction ID (a snowflake).
func NextID() string { return strconv.FormatInt(1300000000000000000+ids.Add(1), 10) }

// Interaction types and option types used below.
// https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-interaction-type
const (
	TypePing         = 1
	TypeCommand      = 2
	TypeComponent    = 3
	TypeAutocomplete = 4
	TypeModalSubmit  = 5
)

func base(typ int, appID, guild, channel string, m Member) map[string]any {
	id := NextID()
	return map[string]any{
		"id": id, "application_id": appID, "type": typ, "token": Token(id, channel), "version": 1,
		"guild_id": guild, "channel_id": channel,
		"member": map[string]any{
			"user":  map[string]any{"id": m.ID, "username": m.Name},
			"roles": append([]string{}, m.Roles...), "permissions": "0",
		},
	}
}

// Ping is Discord's PING.
func Ping(appID string) map[string]any {
	return map[string]any{"id": NextID(), "application_id": appID, "type": TypePing, "token": "tok-ping", "version": 1}
}

// Opt is one option given to a subcommand.
type Opt struct {
	Name    string
	Value   any
	Focused bool
}

// Command is member m invoking /name path... with opts in channel. Typed
// autocomplete sends the same shape with type 4 and one option focused.
func Command(typ int, appID, guild, channel string, m Member, name string, path []string, opts ...Opt) map[string]any {
	in := base(typ, appID, guild, channel, m)
	var leaf []map[string]any
	for _, o := range opts {
		t := 3
		switch o.Value.(type) {
		case int, float64:
			t = 4
		case bool:
			t = 5
		}
		x := map[string]any{"name": o.Name, "type": t, "value": o.Value}
		if o.Focused {
			x["focused"] = true
		}
		leaf = append(leaf, x)
	}
	options := leaf
	for i := len(path) - 1; i >= 0; i-- {
		t := 1
		if i < len(path)-1 {
			t = 2
		}
		options = []map[string]any{{"name": path[i], "type": t, "options": options}}
	}
	in["data"] = map[string]any{"id": "1", "name": name, "type": 1, "options": options}
	return in
}

// Click is member m clicking the button customID of message messageID.
func Click(appID, guild, channel string, m Member, messageID, customID string) map[string]any {
	in := base(TypeComponent, appID, guild, channel, m)
	in["message"] = map[string]any{"id": messageID, "channel_id": channel, "content": ""}
	in["data"] = map[string]any{"custom_id": customID, "component_type": 2}
	return in
}

// Body encodes an interaction.
func Body(in map[string]any) []byte {
	raw, err := json.Marshal(in)
	if err != nil {
		panic(err)
	}
	return raw
}

// Submit is member m submitting the modal customID with values by input.
func Submit(appID, guild, channel string, m Member, customID string, values map[string]string) map[string]any {
	in := base(TypeModalSubmit, appID, guild, channel, m)
	var rows []map[string]any
	for id, v := range values {
		rows = append(rows, map[string]any{"type": 1, "components": []map[string]any{{"type": 4, "custom_id": id, "value": v}}})
	}
	in["data"] = map[string]any{"custom_id": customID, "components": rows}
	return in
}
