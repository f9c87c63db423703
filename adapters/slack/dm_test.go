package slack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
)

// TestDirectMessageRender: a direct message's text is escaped (a reason
// is anyone's words: <!channel> must ping nobody), and its button carries
// the command it runs; a command too long for a button's value gets none.
func TestDirectMessageRender(t *testing.T) {
	m := directMessage(chat.Direct{Text: "Reason: <!channel> & co", Action: "ops extend gabc234", ActionLabel: "Ask for more time"})
	raw := slackfake.Message{Text: m.Text, Blocks: dmJSON(t, m.Blocks)}
	if strings.Contains(raw.All(), "<!channel>") || !strings.Contains(m.Text, "&lt;!channel&gt; &amp; co") {
		t.Errorf("not escaped: %s", raw.All())
	}
	b := raw.Buttons()
	if len(b) != 1 || b[0].ActionID != actionDirect || b[0].Value != "ops extend gabc234" {
		t.Errorf("buttons %+v", b)
	}
	long := directMessage(chat.Direct{Text: "x", Action: strings.Repeat("a", maxButtonValue+1)})
	if got := (slackfake.Message{Blocks: dmJSON(t, long.Blocks)}).Buttons(); len(got) != 0 {
		t.Errorf("a button with a cut command: %+v", got)
	}
}

func dmJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
