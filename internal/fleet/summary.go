package fleet

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// summaryOver is how many host sections an answer shows in full; past it
// the answer summarises (summarise) and carries every section as a
// document. A chat message holds a few thousand characters (Slack cuts
// its text at 3,000 a block, Discord a message at 2,000): twenty hosts'
// lines are about what fits, a thousand hosts' sections are not.
const summaryOver = 20

// summarise is the body of an answer across many hosts as a chat message
// can hold it: short (or lead, when short is nil), how many hosts answered, the count of each state,
// and the hosts with a problem (failed or unreachable) in full. The whole
// answer, every section, is the returned document; the answer's data
// keeps every host too (`exec --json`).
func summarise(target string, lead, short []ops.Part, sections []ops.HostSection) (ops.Body, *ops.Attachment) {
	full := ops.Body{Parts: lead, Hosts: sections}
	if len(sections) <= summaryOver {
		return full, nil
	}
	counts := map[string]int{}
	var problems []ops.HostSection
	answered := 0
	for _, s := range sections {
		state := string(s.Status)
		if s.Unreachable {
			state = stateUnreachable
		} else {
			answered++
		}
		counts[state]++
		if s.Status != ops.StatusOK {
			problems = append(problems, s)
		}
	}
	rows := [][]string{{"STATE", "HOSTS"}}
	for _, state := range slices.Sorted(maps.Keys(counts)) {
		rows = append(rows, []string{state, strconv.Itoa(counts[state])})
	}
	doc := textDocument(target, ops.Text(full, nil))
	if short == nil {
		short = lead
	}
	parts := slices.Concat(short, []ops.Part{
		ops.Prose(fmt.Sprintf("%d of %d hosts answered; %d with a problem%s. Every host's answer is in %s.",
			answered, len(sections), len(problems), listedBelow(len(problems)), doc.Name)),
		ops.RowsTable(rows...),
	})
	return ops.Body{Parts: parts, Hosts: problems}, doc
}

func listedBelow(n int) string {
	if n == 0 {
		return ""
	}
	return ", below in full"
}

// textDocument is the whole of an answer, as a plain-text file named for
// what it answers, that the answer's text summarises: chat platforms send
// it with every summarised answer, not only a long one.
func textDocument(what, text string) *ops.Attachment {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, what)
	return ops.Summary("hosts-"+name+".txt", "text/plain; charset=utf-8", []byte(text))
}
