package config

import "testing"

// TestMattermostWebsocketNeedsNoInboundHTTP: websocket mode reads posts
// over the bot's own outbound connection, so neither a public URL, an
// action secret, slash command tokens nor a listen address is required.
func TestMattermostWebsocketNeedsNoInboundHTTP(t *testing.T) {
	cleanEnv(t)
	c, err := load(t, "listen: ''\nmattermost: {enabled: true, mode: websocket, url: 'https://mm', bot_token: b}\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Mattermost.Mode != "websocket" || c.Mattermost.PublicURL != "" {
		t.Errorf("mattermost: %+v", c.Mattermost)
	}
}
