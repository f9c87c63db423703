package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/poolvisor/poolvisor/adapters/discord/discordfake"
	"github.com/poolvisor/poolvisor/adapters/slack/slackfake"
)

// soakWait bounds the wait for an answer that follows the HTTP response
// (a deferred result, an approval request, a decided request).
const soakWait = 30 * time.Second

// platformStats is what one platform's clients saw.
type platformStats struct {
	mu        sync.Mutex
	requests  int
	served    int // 2xx answers to requests that were taken on
	httpErrs  int // no answer, or not 2xx
	refused   int // 2xx, but the request was not taken on (not recorded, or a duplicate)
	late      int // an answer that should have followed did not within soakWait
	latencies []time.Duration
	// want counts the served requests by "actor operation": each must have
	// its entry in the audit trail.
	want    map[string]int
	samples []string // the first errors, for the log
}

func (p *platformStats) book(d time.Duration, code int, err error, refused bool, want, what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests++
	p.latencies = append(p.latencies, d)
	switch {
	case err != nil || code/100 != 2:
		p.httpErrs++
		p.note("%s: HTTP %d %v", what, code, err)
	case refused:
		p.refused++
		p.note("%s: refused", what)
	default:
		p.served++
		p.want[want]++
	}
}

func (p *platformStats) lateAnswer(what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.late++
	p.note("%s: no answer followed within %s", what, soakWait)
}

func (p *platformStats) note(format string, args ...any) {
	if len(p.samples) < 10 {
		p.samples = append(p.samples, fmt.Sprintf(format, args...))
	}
}

func (s *soak) resetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = map[string]*platformStats{"slack": {want: map[string]int{}}, "discord": {want: map[string]int{}}}
}

func (s *soak) platform(name string) *platformStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats[name]
}

// send posts req, timed until its whole answer is read, and books it.
// want is the "actor operation" the audit trail must then show. It returns
// the answer and whether the request was served.
func (s *soak) send(ps *platformStats, req *http.Request, want string) ([]byte, bool) {
	start := time.Now()
	resp, err := s.client.Do(req)
	var body []byte
	code := 0
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		code = resp.StatusCode
	}
	d := time.Since(start)
	refused := bytes.Contains(body, []byte("could not record this request")) || bytes.Contains(body, []byte("already received"))
	ps.book(d, code, err, refused, want, want)
	return body, err == nil && code/100 == 2 && !refused
}

// soakRead is one read of the viewer: its text on Slack, its operation,
// and its subcommand and options on Discord.
type soakRead struct {
	text, op string
	path     []string
	opts     []discordfake.Opt
}

// soakReads are read in turn, the same on both platforms.
var soakReads = []soakRead{
	{"supervisor status", "supervisor.program.list", []string{"status"}, nil},
	{"supervisor show web", "supervisor.program.show", []string{"show"}, []discordfake.Opt{{Name: "program", Value: "web"}}},
	{"supervisor logs web --bytes 200", "supervisor.program.logs", []string{"logs"},
		[]discordfake.Opt{{Name: "program", Value: "web"}, {Name: "bytes", Value: 200}}},
	{"ops whoami", "ops.whoami", []string{"whoami"}, nil},
	{"supervisor status queue:*", "supervisor.program.list", []string{"status"}, []discordfake.Opt{{Name: "program", Value: "queue:*"}}},
}

// slash is who typing text in the ops channel, as Slack posts it to
// /slack/commands. When the answer says the result follows, it waits for
// that result (at the response_url, or an approval request posted in the
// channel) as the user would, and returns it too.
func (s *soak) slash(who slackfake.Slash, text, op string) (answer, *slackfake.Message, bool) {
	ps := s.platform("slack")
	since := s.sfake.Seq()
	c := s.slack.slashCmd(who, text)
	req := slackfake.SignedRequest(slackSecret, s.base+"/slack/commands", c.Form(), time.Now())
	body, ok := s.send(ps, req, "slack:"+who.UserID+" "+op)
	var a answer
	if !ok || json.Unmarshal(body, &a) != nil {
		return a, nil, false
	}
	if !strings.Contains(a.Text, "Working on") && !strings.Contains(a.Text, "follows in a moment") {
		return a, nil, true
	}
	m, err := s.sfake.Wait(soakWait, since, func(m slackfake.Message) bool {
		return m.ResponseURL == c.ResponseURL ||
			(m.Kind == "post" && m.Channel == slackChannel && len(m.Buttons()) > 0 && strings.Contains(m.All(), "<@"+who.UserID+">"))
	})
	if err != nil {
		ps.lateAnswer(text)
		return a, nil, true
	}
	return a, &m, true
}

func (s *soak) slackReader(i int, until time.Time) {
	for n := i; time.Now().Before(until); n++ {
		r := soakReads[n%len(soakReads)]
		s.slash(sVic, r.text, r.op)
	}
}

// slackWriter cycles through program p's writes: an operator stops and
// starts it, an admin edits a setting and back, the operator asks for a
// restart and the admin approves it with the message's button.
func (s *soak) slackWriter(p string, until time.Time) {
	for time.Now().Before(until) {
		s.slash(sOlga, "supervisor stop "+p, "supervisor.program.stop")
		s.slash(sOlga, "supervisor start "+p, "supervisor.program.start")
		s.slash(sAlice, "supervisor edit "+p+" --autorestart false", "supervisor.program.edit")
		s.slash(sAlice, "supervisor edit "+p+" --autorestart true", "supervisor.program.edit")
		s.slackApproval(p)
	}
}

// slackApproval is the operator asking for a restart of p and an admin
// clicking Approve on the request posted in the channel.
func (s *soak) slackApproval(p string) {
	ps := s.platform("slack")
	since := s.sfake.Seq()
	a, followed, ok := s.slash(sOlga, "supervisor restart "+p, "supervisor.program.restart")
	var msg slackfake.Message
	switch {
	case !ok:
		return
	case followed != nil && len(followed.Buttons()) == 2:
		msg = *followed
	case strings.Contains(a.Text, "Approval request"):
		m, err := s.sfake.Wait(soakWait, since, func(m slackfake.Message) bool {
			return m.Kind == "post" && m.Channel == slackChannel && len(m.Buttons()) == 2 && strings.Contains(m.All(), "restart "+p)
		})
		if err != nil {
			ps.lateAnswer("the approval request of restart " + p)
			return
		}
		msg = m
	default:
		return // failed while supervisord was down, or refused
	}
	s.mu.Lock()
	s.clicks++
	ts := fmt.Sprintf("40.%06d", s.clicks)
	s.mu.Unlock()
	since = s.sfake.Seq()
	payload := click(sAlice, msg, "pv:approve", ts, s.sfake.ResponseURL())
	req := slackfake.SignedRequest(slackSecret, s.base+"/slack/interactions", slackfake.InteractionForm(payload), time.Now())
	if _, ok := s.send(ps, req, "slack:"+sAlice.UserID+" ops.approve"); !ok {
		return
	}
	// A click is only acknowledged; the decision replaces the buttons, or
	// (a conflict, a failure) is told to the clicker alone.
	if _, err := s.sfake.Wait(soakWait, since, func(m slackfake.Message) bool {
		return (m.Kind == "update" && m.TS == msg.TS && m.Channel == slackChannel) ||
			(m.Kind == "ephemeral" && m.User == sAlice.UserID) || m.ResponseURL == payload["response_url"]
	}); err != nil {
		ps.lateAnswer("the decision on restart " + p)
	}
}

// interaction posts in to /discord/interactions, signed as Discord does,
// and returns the message the member sees: the response's, or when it was
// deferred, the one that replaced it.
func (s *soak) interaction(in map[string]any, want string) (discordfake.Msg, bool) {
	ps := s.platform("discord")
	seq := s.dfake.Seq()
	req := s.key.SignedRequest(s.base+"/discord/interactions", discordfake.Body(in), time.Now())
	body, ok := s.send(ps, req, want)
	var r wireResponse
	var msg discordfake.Msg
	if !ok || json.Unmarshal(body, &r) != nil {
		return msg, false
	}
	switch r.Type {
	case 4, 7:
		_ = json.Unmarshal(r.Data, &msg)
	case 5, 6:
		c, err := s.dfake.Wait(soakWait, seq, func(c discordfake.Call) bool { return c.Token == in["token"] && c.Interaction == "" })
		if err != nil {
			ps.lateAnswer(fmt.Sprintf("interaction %s", in["id"]))
			return msg, false
		}
		msg = c.Msg
	}
	return msg, true
}

func (s *soak) command(who discordfake.Member, op string, path []string, opts ...discordfake.Opt) (discordfake.Msg, bool) {
	top := "supervisor"
	if strings.HasPrefix(op, "ops.") {
		top = "ops"
	}
	in := discordfake.Command(discordfake.TypeCommand, dApp, dGuild, dChannel, who, top, path, opts...)
	return s.interaction(in, "discord:"+who.ID+" "+op)
}

func (s *soak) discordReader(i int, until time.Time) {
	for n := i; time.Now().Before(until); n++ {
		r := soakReads[n%len(soakReads)]
		s.command(dVic, r.op, r.path, r.opts...)
	}
}

// discordWriter is slackWriter on Discord.
func (s *soak) discordWriter(p string, until time.Time) {
	prog := discordfake.Opt{Name: "program", Value: p}
	for time.Now().Before(until) {
		s.command(dOlga, "supervisor.program.stop", []string{"stop"}, prog)
		s.command(dOlga, "supervisor.program.start", []string{"start"}, prog)
		s.command(dAlice, "supervisor.program.edit", []string{"edit"}, prog, discordfake.Opt{Name: "autorestart", Value: "false"})
		s.command(dAlice, "supervisor.program.edit", []string{"edit"}, prog, discordfake.Opt{Name: "autorestart", Value: "true"})
		req, ok := s.command(dOlga, "supervisor.program.restart", []string{"restart"}, prog)
		if !ok || len(req.Buttons()) != 2 {
			continue // refused, or failed while supervisord was down
		}
		approve := discordfake.Click(dApp, dGuild, dChannel, dAlice, discordfake.NextID(), req.Buttons()[0].CustomID)
		s.interaction(approve, "discord:"+dAlice.ID+" ops.approve")
	}
}
