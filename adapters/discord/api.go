package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat"
)

// API is the part of Discord's REST API this adapter calls. restClient
// implements it against discord.api_url; tests may give it anything else.
type API interface {
	Commands(ctx context.Context, appID, guildID string) ([]*discordgo.ApplicationCommand, error)
	OverwriteCommands(ctx context.Context, appID, guildID string, cmds []*discordgo.ApplicationCommand) error
	// EditOriginal edits an interaction's original response through its
	// token (valid for interactionTokenLifetime).
	EditOriginal(ctx context.Context, appID, token string, msg *Message) error
	// Original finds an interaction's original response: its channel and
	// message ID, with which the bot token can edit it after the
	// interaction token has expired.
	Original(ctx context.Context, appID, token string) (channelID, messageID string, err error)
	// Followup sends a follow-up message through an interaction's token.
	Followup(ctx context.Context, appID, token string, msg *Message) error
	// Send posts a message in a channel with the bot token.
	Send(ctx context.Context, channelID string, msg *Message) (string, error)
	// Edit edits a channel message with the bot token.
	Edit(ctx context.Context, channelID, messageID string, msg *Message) error
	// DM sends a direct message to a user with the bot token.
	DM(ctx context.Context, userID string, msg *Message) error
	// Callback answers an interaction that arrived over the Gateway; resp
	// is the interaction response, sent as JSON.
	Callback(ctx context.Context, interactionID, token string, resp any) error
	// GatewayBot returns the Gateway URL to connect to and how many
	// sessions may still be started.
	GatewayBot(ctx context.Context) (*GatewayBot, error)
}

// GatewayBot is the answer of GET /gateway/bot.
// https://discord.com/developers/docs/events/gateway#get-gateway-bot
type GatewayBot struct {
	URL          string `json:"url"`
	Shards       int    `json:"shards"`
	SessionStart struct {
		Total          int `json:"total"`
		Remaining      int `json:"remaining"`
		ResetAfter     int `json:"reset_after"` // milliseconds
		MaxConcurrency int `json:"max_concurrency"`
	} `json:"session_start_limit"`
}

// defaultAPIURL is Discord's own REST API.
// https://discord.com/developers/docs/reference#api-reference-base-url
const defaultAPIURL = "https://discord.com/api/v10/"

// apiTimeout bounds one REST call.
const apiTimeout = 10 * time.Second

// APIError is a refused REST call. Its Status says whether retrying may
// help: 429 and 5xx may, other 4xx will not.
type APIError struct {
	Method string
	Route  string // like webhook.edit_original: never the path, which holds tokens
	Status int
	Body   string
	// RetryAfter is how long Discord asks to wait, on a 429.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("discord %s %s: HTTP %d: %s", e.Method, e.Route, e.Status, e.Body)
}

// Retryable reports whether the call may succeed later.
func (e *APIError) Retryable() bool { return e.Status == http.StatusTooManyRequests || e.Status >= 500 }

// restClient is a small client of the few endpoints API needs. discordgo's
// Session reads its endpoints from package variables computed at start,
// which a test cannot point elsewhere without changing them for everyone.
type restClient struct {
	base    string
	token   string
	http    *http.Client
	observe func(route string, failed, rateLimited bool) // may be nil
}

func newRESTClient(base, token string, observe func(route string, failed, rateLimited bool)) *restClient {
	if base == "" {
		base = defaultAPIURL
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return &restClient{base: base, token: token, http: &http.Client{Timeout: apiTimeout}, observe: observe}
}

// Rate limits: a 429 is waited out and the call made again, up to
// maxRateLimitRetries times and never longer than maxRateLimitWait a time
// (nor past ctx's deadline); a longer wait is returned as the error.
// https://discord.com/developers/docs/topics/rate-limits
const (
	maxRateLimitRetries = 3
	maxRateLimitWait    = 10 * time.Second
)

var rateLimits = chat.RetryLimits{Retries: maxRateLimitRetries, MaxWait: maxRateLimitWait}

// do makes one call; route names it for the metrics and errors (the path
// holds IDs and tokens, which must become neither labels nor log lines).
func (c *restClient) do(ctx context.Context, route, method, path string, bot bool, in, out any) error {
	return rateLimits.Retry(ctx, func() (time.Duration, error) {
		err := c.call(ctx, route, method, path, bot, in, out)
		var refused *APIError
		limited := errors.As(err, &refused) && refused.Status == http.StatusTooManyRequests
		if c.observe != nil {
			c.observe(route, err != nil, limited)
		}
		if !limited {
			return 0, err
		}
		return max(refused.RetryAfter, time.Nanosecond), err
	}, nil)
}

// retryAfter reads how long a 429 asks to wait: the body's retry_after
// (seconds, fractional), else the Retry-After header, else a second.
func retryAfter(h http.Header, body []byte) time.Duration {
	var rl struct {
		RetryAfter float64 `json:"retry_after"`
	}
	if json.Unmarshal(body, &rl) == nil && rl.RetryAfter > 0 {
		return time.Duration(rl.RetryAfter * float64(time.Second))
	}
	if secs, err := strconv.ParseFloat(h.Get("Retry-After"), 64); err == nil && secs > 0 {
		return time.Duration(secs * float64(time.Second))
	}
	return time.Second
}

func (c *restClient) call(ctx context.Context, route, method, path string, bot bool, in, out any) error {
	var (
		body        io.Reader
		contentType = "application/json"
	)
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		if m, ok := in.(*Message); ok && len(m.files) > 0 {
			if raw, contentType, err = withFiles(raw, m.files); err != nil {
				return err
			}
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if bot {
		req.Header.Set("Authorization", "Bot "+c.token)
	}
	req.Header.Set("User-Agent", "DiscordBot (https://github.com/poolvisor/poolvisor, 1)")
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error names the URL, token and all: keep only what failed.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("discord %s %s: %w", method, route, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		e := &APIError{Method: method, Route: route, Status: resp.StatusCode, Body: strings.TrimSpace(string(raw))}
		if e.Status == http.StatusTooManyRequests {
			e.RetryAfter = retryAfter(resp.Header, raw)
		}
		return e
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("discord %s %s: %w", method, route, err)
		}
	}
	return nil
}

func commandsPath(appID, guildID string) string {
	if guildID == "" {
		return "applications/" + appID + "/commands"
	}
	return "applications/" + appID + "/guilds/" + guildID + "/commands"
}

func (c *restClient) Commands(ctx context.Context, appID, guildID string) ([]*discordgo.ApplicationCommand, error) {
	var out []*discordgo.ApplicationCommand
	err := c.do(ctx, "commands.get", http.MethodGet, commandsPath(appID, guildID), true, nil, &out)
	return out, err
}

func (c *restClient) OverwriteCommands(ctx context.Context, appID, guildID string, cmds []*discordgo.ApplicationCommand) error {
	return c.do(ctx, "commands.overwrite", http.MethodPut, commandsPath(appID, guildID), true, cmds, nil)
}

func (c *restClient) EditOriginal(ctx context.Context, appID, token string, msg *Message) error {
	return c.do(ctx, "webhook.edit_original", http.MethodPatch, "webhooks/"+appID+"/"+token+"/messages/@original", false, msg, nil)
}

func (c *restClient) Original(ctx context.Context, appID, token string) (string, string, error) {
	var out struct {
		ID        string `json:"id"`
		ChannelID string `json:"channel_id"`
	}
	if err := c.do(ctx, "webhook.get_original", http.MethodGet, "webhooks/"+appID+"/"+token+"/messages/@original", false, nil, &out); err != nil {
		return "", "", err
	}
	if out.ID == "" || out.ChannelID == "" {
		return "", "", errors.New("discord: the original response names no channel or message")
	}
	return out.ChannelID, out.ID, nil
}

func (c *restClient) Followup(ctx context.Context, appID, token string, msg *Message) error {
	return c.do(ctx, "webhook.followup", http.MethodPost, "webhooks/"+appID+"/"+token, false, msg, nil)
}

func (c *restClient) Send(ctx context.Context, channelID string, msg *Message) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, "message.create", http.MethodPost, "channels/"+channelID+"/messages", true, msg, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", errors.New("discord: the posted message has no id")
	}
	return out.ID, nil
}

func (c *restClient) Edit(ctx context.Context, channelID, messageID string, msg *Message) error {
	return c.do(ctx, "message.edit", http.MethodPatch, "channels/"+channelID+"/messages/"+messageID, true, msg, nil)
}

// DM opens (or finds) the direct message channel with userID and posts
// msg there.
// https://discord.com/developers/docs/resources/user#create-dm
func (c *restClient) DM(ctx context.Context, userID string, msg *Message) error {
	var ch struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, "user.create_dm", http.MethodPost, "users/@me/channels", true, map[string]string{"recipient_id": userID}, &ch); err != nil {
		return err
	}
	if ch.ID == "" {
		return errors.New("discord: the direct message channel has no id")
	}
	_, err := c.Send(ctx, ch.ID, msg)
	return err
}

// Callback posts the response to an interaction. It needs no bot token:
// the interaction's own token authorises it.
// https://discord.com/developers/docs/interactions/receiving-and-responding#create-interaction-response
func (c *restClient) Callback(ctx context.Context, interactionID, token string, resp any) error {
	return c.do(ctx, "interaction.callback", http.MethodPost, "interactions/"+interactionID+"/"+token+"/callback", false, resp, nil)
}

func (c *restClient) GatewayBot(ctx context.Context) (*GatewayBot, error) {
	var out GatewayBot
	if err := c.do(ctx, "gateway.bot", http.MethodGet, "gateway/bot", true, nil, &out); err != nil {
		return nil, err
	}
	if out.URL == "" {
		return nil, errors.New("discord GET gateway/bot: the answer names no URL")
	}
	return &out, nil
}
