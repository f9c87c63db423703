// Package events carries supervisord's process state changes to the running
// bot. `poolvisor events` runs under supervisord as an event listener: it
// speaks supervisord's listener protocol on stdin and stdout and forwards
// each PROCESS_STATE event as one JSON line over a local unix socket, where
// the bot's Server receives it.
package events

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// maxPayload bounds one event's payload; PROCESS_STATE payloads are a few
// dozen bytes, so anything near this is not an event.
const maxPayload = 1 << 20

// Event is one supervisord event.
type Event struct {
	Name   string `json:"name"`   // eventname, like PROCESS_STATE_FATAL
	Serial int64  `json:"serial"` // supervisord's serial
	// PoolSerial numbers the events of the listener's pool one by one: a
	// skipped number is an event supervisord discarded (a full buffer).
	PoolSerial int64             `json:"pool_serial"`
	Process    string            `json:"process"` // processname
	Group      string            `json:"group"`   // groupname
	From       string            `json:"from"`    // from_state
	PID        int               `json:"pid,omitempty"`
	Fields     map[string]string `json:"fields"` // every payload field (expected, tries, ...)
	Time       time.Time         `json:"time"`
}

// State returns the state an event moves a process to: "FATAL" for
// PROCESS_STATE_FATAL, "" for events that are not state changes.
func (e Event) State() string {
	s, ok := strings.CutPrefix(e.Name, "PROCESS_STATE_")
	if !ok {
		return ""
	}
	return s
}

// Listen speaks supervisord's event listener protocol: READY, then for each
// event a header line and a payload, answered with RESULT 2\nOK. Every event
// is acknowledged whatever forward does, so a slow or absent bot never holds
// supervisord's event queue. It returns when in ends or ctx is done.
func Listen(ctx context.Context, in io.Reader, out io.Writer, forward func(Event)) error {
	r := bufio.NewReader(in)
	for ctx.Err() == nil {
		if _, err := io.WriteString(out, "READY\n"); err != nil {
			return fmt.Errorf("write READY: %w", err)
		}
		line, err := r.ReadString('\n')
		if err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("read event header: %w", err)
		}
		header := fields(strings.TrimSpace(line))
		n, err := strconv.Atoi(header["len"])
		if err != nil || n < 0 || n > maxPayload {
			return fmt.Errorf("bad event header %q", strings.TrimSpace(line))
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return fmt.Errorf("read event payload: %w", err)
		}
		if _, err := io.WriteString(out, "RESULT 2\nOK"); err != nil {
			return fmt.Errorf("acknowledge event: %w", err)
		}
		forward(parse(header, string(payload)))
	}
	return ctx.Err()
}

// parse builds an Event from the header's and the payload's token pairs.
// PROCESS_STATE payloads are one line of key:value pairs; others may carry
// data after a newline, which is kept out of the fields.
func parse(header map[string]string, payload string) Event {
	first, _, _ := strings.Cut(payload, "\n")
	f := fields(first)
	e := Event{
		Name: header["eventname"], Process: f["processname"], Group: f["groupname"],
		From: f["from_state"], Fields: f, Time: time.Now().UTC(),
	}
	e.Serial, _ = strconv.ParseInt(header["serial"], 10, 64)
	e.PoolSerial, _ = strconv.ParseInt(header["poolserial"], 10, 64)
	e.PID, _ = strconv.Atoi(f["pid"])
	return e
}

// fields splits "a:1 b:2" into a map.
func fields(s string) map[string]string {
	m := map[string]string{}
	for _, tok := range strings.Fields(s) {
		if k, v, ok := strings.Cut(tok, ":"); ok {
			m[k] = v
		}
	}
	return m
}
