package mattermost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// API is the narrow part of Mattermost's REST API (v4) the adapter calls.
// poolvisor speaks it with a small client of its own rather than the
// server's Go module (model and client live in the server's module,
// hundreds of packages for five calls); tests give it mmfake.
type API interface {
	// CreatePost posts p and returns its ID.
	CreatePost(ctx context.Context, p Post) (string, error)
	// UpdatePost replaces the message and props of post p.ID.
	UpdatePost(ctx context.Context, p Post) error
	// Ephemeral shows p to one user alone.
	Ephemeral(ctx context.Context, userID string, p Post) error
	// Respond posts a slash command's late answer to its response_url.
	Respond(ctx context.Context, responseURL string, r CommandResponse) error
	// UserGroups returns the IDs of the groups a user is a member of.
	UserGroups(ctx context.Context, userID string) ([]string, error)
	// OpenDialog opens an interactive dialog for the user of triggerID,
	// which submits to url.
	OpenDialog(ctx context.Context, triggerID, url string, d Dialog) error
}

// APIError is a call Mattermost refused, with its HTTP status, so callers
// tell a client error from a server error or a rate limit without reading
// its text.
type APIError struct {
	Route  string
	Status int
	Msg    string // Mattermost's message, if it gave one
}

func (e *APIError) Error() string {
	return fmt.Sprintf("mattermost %s: HTTP %d %s", e.Route, e.Status, e.Msg)
}

// RateLimited reports whether Mattermost refused the call for its rate
// limit (429).
func (e *APIError) RateLimited() bool { return e.Status == http.StatusTooManyRequests }

// ServerError reports whether the fault was Mattermost's (5xx): worth a
// retry, unlike a client error.
func (e *APIError) ServerError() bool { return e.Status >= 500 }

// callTimeout bounds one REST call.
const callTimeout = 10 * time.Second

// restClient calls the REST API at base (the server URL) with the bot
// token.
type restClient struct {
	base    *url.URL
	token   string
	http    *http.Client
	observe func(route string, failed, rateLimited bool) // may be nil
	health  *health
}

func newRESTClient(base *url.URL, token string, observe func(string, bool, bool), h *health) *restClient {
	return &restClient{base: base, token: token, http: &http.Client{Timeout: callTimeout}, observe: observe, health: h}
}

func (c *restClient) CreatePost(ctx context.Context, p Post) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, "posts.create", http.MethodPost, "/api/v4/posts", p, &out, true); err != nil {
		return "", err
	}
	return out.ID, nil
}

func (c *restClient) UpdatePost(ctx context.Context, p Post) error {
	return c.call(ctx, "posts.update", http.MethodPut, "/api/v4/posts/"+url.PathEscape(p.ID), p, nil, true)
}

func (c *restClient) Ephemeral(ctx context.Context, userID string, p Post) error {
	return c.call(ctx, "posts.ephemeral", http.MethodPost, "/api/v4/posts/ephemeral", ephemeralPost{UserID: userID, Post: p}, nil, true)
}

func (c *restClient) UserGroups(ctx context.Context, userID string) ([]string, error) {
	var groups []struct {
		ID string `json:"id"`
	}
	if err := c.call(ctx, "users.groups", http.MethodGet, "/api/v4/users/"+url.PathEscape(userID)+"/groups", nil, &groups, true); err != nil {
		return nil, err
	}
	ids := make([]string, len(groups))
	for i, g := range groups {
		ids[i] = g.ID
	}
	return ids, nil
}

func (c *restClient) OpenDialog(ctx context.Context, triggerID, target string, d Dialog) error {
	return c.call(ctx, "dialogs.open", http.MethodPost, "/api/v4/actions/dialogs/open", openDialog{TriggerID: triggerID, URL: target, Dialog: d}, nil, true)
}

// Respond posts to a response_url, which needs no token. Only a URL on the
// configured server is used: the slash command's token proved the request
// came from Mattermost, and nothing else is posted to.
func (c *restClient) Respond(ctx context.Context, responseURL string, r CommandResponse) error {
	u, err := url.Parse(responseURL)
	if err != nil || u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		return fmt.Errorf("mattermost: response_url %q is not on %s", responseURL, c.base.Host)
	}
	return c.call(ctx, "command.respond", http.MethodPost, u.String(), r, nil, false)
}

// call sends one request: to path on the server with the bot token when
// auth, else to the absolute URL path.
func (c *restClient) call(ctx context.Context, route, method, path string, in, out any, auth bool) (err error) {
	defer func() {
		var ae *APIError
		limited := errors.As(err, &ae) && ae.RateLimited()
		if c.observe != nil {
			c.observe(route, err != nil, limited)
		}
		if auth {
			c.health.record(err)
		}
	}()
	target := path
	if auth {
		target = strings.TrimSuffix(c.base.String(), "/") + path
	}
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("mattermost %s: %w", route, err)
		}
		body = bytes.NewReader(raw)
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return fmt.Errorf("mattermost %s: %w", route, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("mattermost %s: %w", route, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &e) // a body that is not JSON leaves Msg empty
		return &APIError{Route: route, Status: resp.StatusCode, Msg: e.Message}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("mattermost %s: decode: %w", route, err)
		}
	}
	return nil
}
