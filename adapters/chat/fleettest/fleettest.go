// Package fleettest is an answer across a thousand hosts shaped as a
// fleet hub gives it (internal/fleet's summary): the message summarises
// (how many answered, the count of each state, the hosts with a problem
// in full) and the whole answer, every host's section, is its document,
// marked summarised. The chat adapters' tests send it through their fake
// platforms and check that the summary and the file both arrive.
package fleettest

import (
	"fmt"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// Hosts is how many hosts the answer covers; Problems are those that
// failed (every 400th, from web-0399 on), the rest answer ok.
const (
	Hosts    = 1000
	Problems = Hosts / 400
	// FileName is the name of the document, as the fleet names it.
	FileName = "hosts-all.txt"
)

// Host is the name of the ith host.
func Host(i int) string { return fmt.Sprintf("web-%04d", i) }

func failed(i int) bool { return i%400 == 399 }

// Answer is the answer of a read such as `supervisor status --host all`
// as a handler returns it: failed, as the fleet's is when any host failed,
// with every host's answer in the error's document.
func Answer() (ops.Outcome, error) {
	sections := make([]ops.HostSection, Hosts)
	var problems []ops.HostSection
	for i := range sections {
		s := ops.HostSection{Host: Host(i), Status: ops.StatusOK, Parts: []ops.Part{
			ops.Prose("3 programs"),
			ops.RowsTable([]string{"NAME", "STATE", "PID"}, []string{"web", "RUNNING", fmt.Sprint(1000 + i)},
				[]string{"queue", "RUNNING", fmt.Sprint(5000 + i)}, []string{"cron", "RUNNING", fmt.Sprint(9000 + i)}),
		}}
		if failed(i) {
			s.Status, s.Parts = ops.StatusFailed, []ops.Part{ops.Prose("supervisord refused: SPAWN_ERROR queue")}
			problems = append(problems, s)
		}
		sections[i] = s
	}
	full := ops.Text(ops.Body{Hosts: sections}, nil)
	body := ops.Body{Parts: []ops.Part{
		ops.Prose(fmt.Sprintf("%d of %d hosts did not answer or failed. %d of %d hosts answered; %d with a problem, below in full. Every host's answer is in %s.",
			Problems, Hosts, Hosts, Hosts, Problems, FileName)),
		ops.RowsTable([]string{"STATE", "HOSTS"}, []string{"failed", fmt.Sprint(Problems)}, []string{"ok", fmt.Sprint(Hosts - Problems)}),
	}, Hosts: problems}
	return ops.Outcome{}, &ops.Error{Status: ops.StatusFailed, Msg: ops.Text(body, nil), Body: body,
		Data: map[string]any{"target": "all"}, Attachment: ops.Summary(FileName, "text/plain; charset=utf-8", []byte(full))}
}

// Result is Answer as the pipeline returns it, for adapters tested with a
// runner of their own.
func Result() ops.Result {
	_, err := Answer()
	e := err.(*ops.Error)
	return ops.Result{Status: e.Status, Operation: "supervisor.program.list", Message: e.Msg, Body: e.Body,
		Data: e.Data, Attachment: e.Attachment}
}

// Whole is the document's text: every host's section.
func Whole() string { return string(Result().Attachment.Content) }
