package slack

import (
	"fmt"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// maxHostBlocks bounds the blocks of one host's part of an answer that
// spans several hosts, so that one long answer leaves room for the others.
const maxHostBlocks = 8

// renderHosts draws an answer that spans several hosts: its first line,
// then each host's part as a line naming the host with its status and
// that host's own answer drawn as a single host's is. The hosts that
// failed or did not answer come first and in full; then as many hosts
// that answered ok as fit in one message. The hosts left out are named
// in a last line or two, so no host goes unmentioned.
func renderHosts(res ops.Result, parts []view.HostPart) Message {
	head := view.HostsHeadline(res, parts)
	blocks := []slackgo.Block{section(style.Mark(res) + escape(head))}
	room := maxMessageBlocks - reservedBlocks - len(blocks)
	if len(res.Diffs) > 0 {
		room -= maxDiffSections + 1 // what renderDiffs draws at most, with its note
	}
	ordered := view.AttentionFirst(parts)
	var rest []view.HostPart
	okFull := true // ok hosts are shown in order until one does not fit
	for i, p := range ordered {
		if p.OK() && !okFull {
			rest = append(rest, p)
			continue
		}
		// A failed host's part is cut to the room left rather than
		// left out; an ok host's is shown whole or named with the rest.
		free := room - restBlocks(rest, ordered[i+1:])
		limit := maxHostBlocks
		if !p.OK() {
			limit = min(limit, free)
		}
		pb := hostBlocks(p, limit)
		if len(pb) > free {
			rest = append(rest, p)
			if p.OK() {
				okFull = false
			}
			continue
		}
		blocks = append(blocks, pb...)
		room -= len(pb)
	}
	blocks = append(blocks, restLines(rest)...)
	blocks = append(blocks, renderDiffs(res.Diffs, maxMessageBlocks-len(blocks)-reservedBlocks)...)
	return fit(Message{Text: truncate(escape(head), maxFallbackText), Blocks: blocks})
}

// hostBlocks draws one host's part: a line with its mark and name, then
// what the host answered as Render draws it for one host, whose first line
// (the host's own) joins the host's line. A part longer than limit blocks
// is cut, with a note; no part is cut to fewer than two blocks.
func hostBlocks(p view.HostPart, limit int) []slackgo.Block {
	head, _ := firstLine(p.Result.Summary())
	line := style.HostMark(p) + " *" + escape(p.Host) + "*"
	if head != "" {
		line += " · " + escape(head)
	}
	own := Render(p.Result).Blocks
	if len(own) > 0 && isSection(own[0], style.Mark(p.Result)+escape(head)) {
		own = own[1:]
	}
	out := append([]slackgo.Block{section(line)}, own...)
	if limit = max(limit, 2); len(out) > limit { // a part is at least its line and a note
		cut := len(out) - (limit - 1)
		out = append(out[:limit-1], contextText(fmt.Sprintf("…%d more parts of %s's answer are cut; `--host %s` shows all of it.",
			cut, escape(p.Host), escape(p.Host))))
	}
	return out
}

func isSection(b slackgo.Block, text string) bool {
	s, ok := b.(*slackgo.SectionBlock)
	return ok && s.Text != nil && s.Text.Text == text
}

// restBlocks is how many lines restLines needs for the hosts of lists.
func restBlocks(lists ...[]view.HostPart) int {
	n, failed, ok := 0, false, false
	for _, hosts := range lists {
		for _, h := range hosts {
			failed, ok = failed || !h.OK(), ok || h.OK()
		}
	}
	for _, b := range []bool{failed, ok} {
		if b {
			n++
		}
	}
	return n
}

// restLines names the hosts whose parts are not shown: those that failed
// with their mark, then those that answered ok.
func restLines(hosts []view.HostPart) []slackgo.Block {
	failed, ok := style.RestHosts(hosts)
	var out []slackgo.Block
	if failed.Intro != "" {
		out = append(out, contextText(failed.Intro+view.JoinNames(failed.Names, maxTextObject-len(failed.Intro))))
	}
	if ok.Intro != "" {
		const hint = "\n`--host NAME` shows one host in full."
		out = append(out, contextText(ok.Intro+view.JoinNames(ok.Names, maxTextObject-len(ok.Intro)-len(hint))+hint))
	}
	return out
}

// renderHostInfos draws /ops hosts: a field for each host with its state,
// version, when it was last heard from, its open alerts, and what is down
// or why it did not answer; hosts that need a look first.
func renderHostInfos(v any) []slackgo.Block {
	infos, _ := view.DecodeHostInfos(v)
	infos = view.HealthFirst(infos)
	room := maxMessageBlocks - reservedBlocks - 2 // the first line, and the hosts left out
	var out []slackgo.Block
	for len(infos) > 0 && len(out) < room {
		n := min(len(infos), maxFieldsPerSection)
		fields := make([]*slackgo.TextBlockObject, n)
		for i, in := range infos[:n] {
			fields[i] = slackgo.NewTextBlockObject(slackgo.MarkdownType, truncate(hostInfoField(in), maxSectionFieldText), false, false)
		}
		out = append(out, slackgo.NewSectionBlock(nil, fields, nil))
		infos = infos[n:]
	}
	if len(infos) > 0 {
		names := make([]string, len(infos))
		for i, in := range infos {
			names[i] = escape(in.Name)
		}
		intro := view.Plural(len(infos), "more host", "more hosts") + ": "
		out = append(out, contextText(intro+view.JoinNames(names, maxTextObject-len(intro))))
	}
	return out
}

// Slack's limits on a section's fields.
// https://docs.slack.dev/reference/block-kit/blocks/section-block
const (
	maxFieldsPerSection = 10
	maxSectionFieldText = 2000
)

var healthMarks = map[string]string{
	view.HostUnreachable: ":red_circle:",
	view.HostUnhealthy:   ":large_orange_circle:",
	view.HostHealthy:     ":large_green_circle:",
}

// hostInfoField is a host as /ops hosts shows it: its mark, name and
// state; its version, when it was last heard from and its open alerts;
// why it did not answer, or what is down.
func hostInfoField(in ops.HostInfo) string {
	health := view.Health(in)
	lines := []string{fmt.Sprintf("%s *%s* · %s", healthMarks[health], escape(in.Name), health)}
	var facts []string
	if in.Version != "" {
		facts = append(facts, "`"+escape(in.Version)+"`")
	}
	if !in.LastSeen.IsZero() {
		facts = append(facts, "seen "+slackDate(in.LastSeen))
	} else if in.Unreachable != "" {
		facts = append(facts, "never seen")
	}
	if in.OpenAlerts > 0 {
		facts = append(facts, ":bell: "+view.Plural(in.OpenAlerts, "open alert", "open alerts"))
	}
	if len(facts) > 0 {
		lines = append(lines, strings.Join(facts, " · "))
	}
	switch health {
	case view.HostUnreachable:
		lines = append(lines, escape(truncate(view.UnreachableReason(in), chat.MaxInfoChars)))
	case view.HostUnhealthy: // what is down, first
		lines = append(lines, escape(truncate(view.Components(in.Components), 3*chat.MaxInfoChars)))
	}
	return strings.Join(lines, "\n")
}

// isHostInfos reports whether v is the data of /ops hosts.
func isHostInfos(v any) bool {
	_, ok := view.DecodeHostInfos(v)
	return ok
}
