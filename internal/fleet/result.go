package fleet

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// HostResult is one host's part of an answer that spans several, as the
// answer's data carries it (`exec --json`): its message is the host's whole
// text. Renderers draw from the answer's typed sections (ops.HostSection).
type HostResult struct {
	Host   string     `json:"host"`
	Status ops.Status `json:"status"`
	// Unreachable says the host did not answer at all (its status is failed).
	Unreachable bool `json:"unreachable,omitempty"`
	// Untouched says a roll left the host alone: it stopped before it,
	// after a failure or a cancel (its status is failed: not applied).
	Untouched bool             `json:"untouched,omitempty"`
	Message   string           `json:"message"`
	Data      any              `json:"data"`
	Parts     []ops.Part       `json:"-"` // the message as typed pieces
	Changes   []ops.FileChange `json:"-"`
	Private   string           `json:"-"` // for the requester alone
}

func hostResult(host string, r Reply, err error) HostResult {
	out, err := outcome(r, err)
	hr := HostResult{Host: host, Status: ops.StatusOK, Data: out.Data, Changes: out.Changes, Private: out.Private}
	body := out.Content()
	if err != nil {
		hr.Status, body = ops.ErrorBody(err)
		hr.Unreachable = errors.Is(err, ErrUnreachable)
		var e *ops.Error
		if errors.As(err, &e) && e.Data != nil {
			hr.Data = e.Data
		}
	}
	hr.Parts = body.Parts
	hr.Message = ops.Text(body, nil)
	if hr.Data == nil {
		hr.Data = map[string]any{}
	}
	return hr
}

// section is r as the answer's typed section of its host.
func (r HostResult) section() ops.HostSection {
	parts := r.Parts
	if len(parts) == 0 {
		parts = []ops.Part{ops.Prose(r.Message)}
	}
	return ops.HostSection{Host: r.Host, Status: r.Status, Unreachable: r.Unreachable, Parts: parts, Data: r.Data}
}

// combine is the answer of an operation that ran on several hosts: a
// section per host in its body, and data {"hosts": [HostResult...]}. It
// fails when any host failed or could not be reached; the other hosts'
// answers are there. A host a roll left untouched (cancelled before it)
// does not by itself fail the answer. lead goes before the sections, and
// extra's keys into the data (a roll's steps). Past summaryOver hosts the
// body summarises and every section goes in the outcome's document.
func combine(target string, results []HostResult, lead []ops.Part, extra map[string]any) (ops.Outcome, error) {
	var failed []string
	var changes []ops.FileChange
	var private []ops.HostSection
	sections := make([]ops.HostSection, len(results))
	for i, r := range results {
		sections[i] = r.section()
		if r.Private != "" {
			private = append(private, ops.HostSection{Host: r.Host, Parts: []ops.Part{ops.Prose(r.Private)}})
		}
		if r.Status != ops.StatusOK && !r.Untouched {
			failed = append(failed, r.Host)
		}
		for _, c := range r.Changes {
			c.Path = r.Host + ":" + c.Path
			changes = append(changes, c)
		}
	}
	privateText := ""
	if len(private) > 0 {
		privateText = ops.Text(ops.Body{Hosts: private}, nil)
	}
	data := map[string]any{"target": target, "hosts": results}
	for k, v := range extra {
		data[k] = v
	}
	if len(failed) > 0 {
		// The hosts that did apply keep their changes, and what they have
		// for the requester alone (a new password) is not lost.
		line := fmt.Sprintf("%d of %d hosts did not answer or failed", len(failed), len(results))
		full := append(slices.Clone(lead), ops.Prose(line+" ("+strings.Join(failed, ", ")+")."))
		short := append(slices.Clone(lead), ops.Prose(line+"."))
		body, doc := summarise(target, full, short, sections)
		return ops.Outcome{Changes: changes, Private: privateText}, &ops.Error{Status: ops.StatusFailed, Data: data, Changes: changes,
			Body: body, Msg: ops.Text(body, nil), Attachment: doc}
	}
	body, doc := summarise(target, lead, nil, sections)
	return ops.Outcome{Message: ops.Text(body, nil), Body: body, Data: data, Changes: changes, Private: privateText, Attachment: doc}, nil
}
