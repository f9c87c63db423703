package discord

import (
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/poolvisor/poolvisor/adapters/chat"
	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// minHostEmbed is the fewest characters a host's embed of its own may be
// cut to; hosts that would get less are listed a line each instead.
const minHostEmbed = 300

// hostsFooter says how to see one host's whole answer.
const hostsFooter = "--host NAME shows one host in full."

// renderHosts draws an answer that spans several hosts. A first embed
// says how it went; then, when they fit in one message, each host has an
// embed of its own (its mark and name as the title, the colour of its
// status, its answer drawn as a single host's is), the hosts that failed
// or did not answer first. More hosts than that are listed in the first
// embed, a line each, those that need a look first; every host is named.
// It leaves reserve characters of maxEmbedTotal for what is added later.
func renderHosts(res ops.Result, parts []view.HostPart, reserve int) Message {
	top := &discordgo.MessageEmbed{Title: truncate(style.Mark(res)+view.HostsHeadline(res, parts), maxTitle), Color: colour(res)}
	ordered := view.AttentionFirst(parts)
	if len(res.Diffs) == 0 && len(ordered) < maxEmbeds {
		if embeds, ok := hostEmbeds(ordered, maxEmbedTotal-reserve-embedTotal([]*discordgo.MessageEmbed{top})); ok {
			return newMessage(append([]*discordgo.MessageEmbed{top}, embeds...)...)
		}
	}
	budget := maxEmbedTotal - reserve - len(top.Title) - len(hostsFooter)
	if len(res.Diffs) > 0 {
		budget /= 2 // the other half is the diffs'
	}
	top.Description = hostList(ordered, min(maxTextChars, budget))
	top.Footer = &discordgo.MessageEmbedFooter{Text: hostsFooter}
	m := newMessage(top)
	renderDiffs(&m, res.Diffs, colour(res), reserve)
	return m
}

// hostEmbeds draws each host's answer as an embed of its own, sharing
// total characters fairly; it reports false when a host would be left
// with too little to be worth showing.
func hostEmbeds(parts []view.HostPart, total int) ([]*discordgo.MessageEmbed, bool) {
	embeds := make([]*discordgo.MessageEmbed, len(parts))
	want := make([]int, len(parts))
	for i, p := range parts {
		embeds[i] = hostEmbed(p)
		want[i] = embedTotal(embeds[i : i+1])
	}
	share := view.Share(want, max(0, total))
	for i, e := range embeds {
		if share[i] < want[i] {
			if share[i] < minHostEmbed {
				return nil, false
			}
			shrinkEmbed(e, share[i], parts[i])
		}
	}
	return embeds, true
}

// hostEmbed is one host's answer as render draws it for a single host,
// titled with the host's mark and name; the answer's own first line
// starts the description.
func hostEmbed(p view.HostPart) *discordgo.MessageEmbed {
	e := render(p.Result, 0).Embeds[0]
	e.Title = truncate(style.HostMark(p)+" "+escape(p.Host), maxTitle)
	if head, _ := firstLine(p.Result.Summary()); head != "" {
		e.Description = strings.TrimSuffix(escape(head)+"\n"+e.Description, "\n")
	}
	return e
}

// shrinkEmbed cuts a host's embed to at most limit characters: whole
// lines of its description from the end (from the start for a log, whose
// newest lines matter most), and its last fields and its footer when the
// description alone cannot give enough; a note says where the rest is.
func shrinkEmbed(e *discordgo.MessageEmbed, limit int, p view.HostPart) {
	note := "\n*…cut to fit; " + code("--host "+p.Host) + " shows all of it.*"
	over := embedTotal([]*discordgo.MessageEmbed{e}) - limit + len(note)
	for over > 0 && len(e.Fields) > 0 && len(e.Description)-over < minHostEmbed/2 {
		f := e.Fields[len(e.Fields)-1]
		e.Fields = e.Fields[:len(e.Fields)-1]
		over -= len(f.Name) + len(f.Value)
	}
	if over > 0 && e.Footer != nil && len(e.Description)-over < minHostEmbed/2 {
		over -= len(e.Footer.Text) // a note on what the list leaves out: the cut note says more
		e.Footer = nil
	}
	if over > 0 {
		e.Description = cutLines(e.Description, len(e.Description)-over, view.Decode(p.Result.Data).Log != nil)
	}
	e.Description = strings.TrimPrefix(e.Description+note, "\n")
}

// cutLines keeps whole lines of text within max bytes, from its start or
// (keepEnd) from its end, closing or opening a code block it cuts through.
func cutLines(text string, max int, keepEnd bool) string {
	const fence = "```"
	lines := strings.Split(text, "\n")
	if keepEnd {
		for i, j := 0, len(lines)-1; i < j; i, j = i+1, j-1 {
			lines[i], lines[j] = lines[j], lines[i]
		}
	}
	var kept []string
	n, fences := 0, 0
	for _, l := range lines {
		if n+len(l)+1 > max-len(fence)-1 { // room to mend a code block
			break
		}
		kept, n = append(kept, l), n+len(l)+1
		if strings.HasPrefix(l, fence) {
			fences++
		}
	}
	if fences%2 == 1 {
		kept = append(kept, fence)
	}
	if keepEnd {
		for i, j := 0, len(kept)-1; i < j; i, j = i+1, j-1 {
			kept[i], kept[j] = kept[j], kept[i]
		}
	}
	return strings.Join(kept, "\n")
}

// hostList lists hosts a line each within max bytes: its mark, its name
// and what it answered in short. Hosts whose lines do not fit are named
// in a last line or two, those that failed first.
func hostList(parts []view.HostPart, max int) string {
	lines := make([]string, len(parts))
	for i, p := range parts {
		lines[i] = fmt.Sprintf("%s **%s** — %s", style.HostMark(p), escape(p.Host), escape(truncate(p.Gist(), chat.MaxInfoChars)))
	}
	return fitList(lines, max, func(from, room int) string { return restText(parts[from:], room) })
}

// fitList joins lines within max bytes. When not all fit, it keeps the
// first ones that fit together with rest(from, room), a text of at most
// room bytes that names what lines[from:] are about.
func fitList(lines []string, max int, rest func(from, room int) string) string {
	_, n := joinLines(lines, max)
	for ; n >= 0; n-- {
		text, _ := joinLines(lines[:n], max)
		if n == len(lines) {
			return text
		}
		if r := rest(n, max-len(text)-1); len(text)+1+len(r) <= max {
			return strings.TrimPrefix(text+"\n"+r, "\n")
		}
	}
	return truncate(rest(0, max), max)
}

// restText names hosts in at most max bytes (when max leaves room for
// the introductions): those that failed, then those that answered ok.
func restText(parts []view.HostPart, max int) string {
	failed, ok := style.RestHosts(parts)
	var out []string
	if failed.Intro != "" {
		room := max - len(failed.Intro)
		if ok.Intro != "" {
			room /= 2
		}
		out = append(out, failed.Intro+view.JoinNames(failed.Names, room))
		max -= len(out[0]) + 1
	}
	if ok.Intro != "" {
		out = append(out, ok.Intro+view.JoinNames(ok.Names, max-len(ok.Intro)))
	}
	return strings.Join(out, "\n")
}

// isHostInfos reports whether v is the data of /ops hosts.
func isHostInfos(v any) bool {
	_, ok := view.DecodeHostInfos(v)
	return ok
}

var healthMarks = map[string]string{
	view.HostUnreachable: "🔴",
	view.HostUnhealthy:   "🟠",
	view.HostHealthy:     "🟢",
}

// renderHostInfos draws /ops hosts: an inline field for each host with its
// state, version, when it was last heard from, its open alerts, and what
// is down or why it did not answer; hosts that need a look first. More
// hosts than fields fit are listed a line each, the healthy ones last and
// by name only when even their lines do not fit.
func renderHostInfos(e *discordgo.MessageEmbed, v any) {
	infos, _ := view.DecodeHostInfos(v)
	infos = view.HealthFirst(infos)
	budget := maxEmbedTotal - diffReserve - len(e.Title)
	if len(infos) <= maxFields {
		fields := make([]*discordgo.MessageEmbedField, len(infos))
		n := 0
		for i, in := range infos {
			fields[i] = &discordgo.MessageEmbedField{Name: truncate(healthMarks[view.Health(in)]+" "+in.Name, maxFieldName),
				Value: truncate(strings.Join(hostInfoFacts(in), "\n"), maxFieldValue), Inline: true}
			n += len(fields[i].Name) + len(fields[i].Value)
		}
		if n <= budget {
			e.Fields = fields
			return
		}
	}
	lines := make([]string, len(infos))
	for i, in := range infos {
		lines[i] = healthMarks[view.Health(in)] + " **" + escape(in.Name) + "** · " + strings.Join(hostInfoFacts(in), " · ")
	}
	e.Description = fitList(lines, min(maxTextChars, budget), func(from, room int) string {
		names := make([]string, 0, len(infos)-from)
		for _, in := range infos[from:] {
			names = append(names, healthMarks[view.Health(in)]+" "+escape(in.Name))
		}
		intro := view.Plural(len(names), "more host", "more hosts") + ": "
		return intro + view.JoinNames(names, room-len(intro))
	})
}

// hostInfoFacts are what /ops hosts says of a host, a line each.
func hostInfoFacts(in ops.HostInfo) []string {
	health := view.Health(in)
	facts := []string{health}
	if in.Version != "" {
		facts[0] += " · " + code(in.Version)
	}
	if !in.LastSeen.IsZero() {
		facts = append(facts, fmt.Sprintf("seen <t:%d:R>", in.LastSeen.Unix()))
	} else if in.Unreachable != "" {
		facts = append(facts, "never seen")
	}
	if in.OpenAlerts > 0 {
		facts = append(facts, "🔔 "+view.Plural(in.OpenAlerts, "open alert", "open alerts"))
	}
	switch health {
	case view.HostUnreachable:
		facts = append(facts, escape(truncate(view.UnreachableReason(in), chat.MaxInfoChars)))
	case view.HostUnhealthy: // what is down, first
		facts = append(facts, escape(truncate(view.Components(in.Components), 3*chat.MaxInfoChars)))
	}
	return facts
}
