package supervisor

import (
	"context"
	"fmt"
	"time"
)

// A batch of a rolling restart is stopped, and then started, with
// system.multicall rather than a call per process: supervisord runs the
// calls in order in one turn of its loop, so the batch costs it the same
// work (it spawns one process at a time either way, ~25 ms each on an idle
// machine, nearly all of it supervisord's own Python between fork and the
// next call) but the roll one round trip instead of one or two per process,
// and on a busy host each round trip waits for supervisord's turn on a CPU.
// The last start multicall ends with getAllProcessInfo: the processes'
// states just after their starts come in the same answer (a program with
// startsecs=0 is RUNNING by then, as startProcess makes its transition at
// once).

// maxMulticall bounds the calls of one multicall: each start is a spawn,
// and a multicall must answer within one call's timeout (CallTimeout).
const maxMulticall = 16

// rpcCall is one call of a multicall.
type rpcCall struct {
	method string
	params []any
}

// multicall makes calls in one system.multicall and returns each one's
// result, or its *Fault.
func (c *Client) multicall(ctx context.Context, calls []rpcCall) ([]any, error) {
	list := make([]any, len(calls))
	for i, cl := range calls {
		list[i] = map[string]any{"methodName": cl.method, "params": cl.params}
	}
	var out []any
	if err := c.Call(ctx, "system.multicall", &out, list); err != nil {
		return nil, err
	}
	if len(out) != len(calls) {
		return nil, fmt.Errorf("decode system.multicall reply: %d results for %d calls", len(out), len(calls))
	}
	for i, r := range out {
		// supervisord answers each call's value as it is (not in an array
		// of one, as the multicall convention has it), a fault as a struct.
		if v, ok := r.(map[string]any); ok {
			if _, fault := v["faultCode"]; fault {
				code, _ := asInt(v["faultCode"])
				text, _ := v["faultString"].(string)
				out[i] = &Fault{Code: code, Name: FaultName(code), Text: text}
			}
		}
	}
	return out, nil
}

// stopBatch asks supervisord to stop each of batch's processes, without
// waiting: one already stopped is no error.
func (b *Backend) stopBatch(ctx context.Context, batch []ProcessInfo) error {
	for i := 0; i < len(batch); i += maxMulticall {
		chunk := batch[i:min(i+maxMulticall, len(batch))]
		calls := make([]rpcCall, len(chunk))
		for j, p := range chunk {
			calls[j] = rpcCall{"supervisor.stopProcess", []any{fullName(p), false}}
		}
		results, err := b.client.multicall(ctx, calls)
		if err != nil {
			return b.userError(err, displayName(chunk[0]))
		}
		for j, r := range results {
			if f, ok := r.(*Fault); ok && f.Code != FaultNotRunning {
				return b.userError(f, displayName(chunk[j]))
			}
		}
	}
	return nil
}

// startBatch asks supervisord to start each of batch's processes, without
// waiting, and returns those RUNNING in the last answer, seen then. One
// that died at once (a spawn error) is no error here: the settling that
// follows finds it and says why.
func (b *Backend) startBatch(ctx context.Context, batch []ProcessInfo) (map[string]seen, error) {
	var all []any
	for i := 0; i < len(batch); i += maxMulticall {
		chunk := batch[i:min(i+maxMulticall, len(batch))]
		last := i+maxMulticall >= len(batch)
		calls := make([]rpcCall, 0, len(chunk)+1)
		for _, p := range chunk {
			calls = append(calls, rpcCall{"supervisor.startProcess", []any{fullName(p), false}})
		}
		if last {
			calls = append(calls, rpcCall{"supervisor.getAllProcessInfo", []any{}})
		}
		results, err := b.client.multicall(ctx, calls)
		if err != nil {
			return nil, b.userError(err, displayName(chunk[0]))
		}
		for j, p := range chunk {
			if f, ok := results[j].(*Fault); ok && !diedAtStart(true, f.Code) {
				return nil, b.userError(f, displayName(p))
			}
		}
		if last {
			all, _ = results[len(chunk)].([]any)
		}
	}
	// When the last answer came, each process it shows RUNNING was RUNNING
	// already: a settle time counted from now is never short. (The first
	// of the batch settle by the later ones' spawns longer than asked,
	// which does not delay the batch: it ends with its last process.)
	now := time.Now()
	want := map[string]bool{}
	for _, p := range batch {
		want[fullName(p)] = true
	}
	running := map[string]seen{}
	for _, v := range all {
		m, _ := v.(map[string]any)
		group, _ := m["group"].(string)
		name, _ := m["name"].(string)
		state, _ := m["statename"].(string)
		pid, ok := asInt(m["pid"])
		if want[group+":"+name] && state == "RUNNING" && ok && pid > 0 {
			running[group+":"+name] = seen{pid: pid, at: now}
		}
	}
	return running, nil
}
