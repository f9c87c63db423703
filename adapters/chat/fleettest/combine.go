package fleettest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// Combine is an answer from several hosts as the hub combines it
// (fleet.combine): a section a host in the message, a part a host in the
// data, failed when any host failed.
func Combine(op string, hosts []string, part func(host string) (ops.Status, string, any)) ops.Result {
	var failed []string
	var parts []map[string]any
	var body ops.Body
	for _, h := range hosts {
		status, msg, data := part(h)
		parts = append(parts, map[string]any{"host": h, "status": status, "message": msg, "data": data})
		body.Hosts = append(body.Hosts, ops.HostSection{Host: h, Status: status, Parts: []ops.Part{ops.Prose(msg)}, Data: data})
		if status != ops.StatusOK {
			failed = append(failed, h)
		}
	}
	res := ops.Result{Status: ops.StatusOK, Operation: op, Data: map[string]any{"target": "all", "hosts": parts}}
	if len(failed) > 0 {
		res.Status = ops.StatusFailed
		body.Parts = []ops.Part{ops.Prose(fmt.Sprintf("%d of %d hosts did not answer or failed (%s).", len(failed), len(hosts), strings.Join(failed, ", ")))}
	}
	res.Body, res.Message = body, ops.Text(body, nil)
	return res
}

// Names are n host names: prefix and a number of three digits.
func Names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return out
}

var moreRE = regexp.MustCompile(`… and (\d+) more`)

// NamedOrCounted is how many of hosts text names, plus how many it says
// it leaves out ("… and N more").
func NamedOrCounted(text string, hosts []string) int {
	n := 0
	for _, h := range hosts {
		if strings.Contains(text, h) {
			n++
		}
	}
	for _, m := range moreRE.FindAllStringSubmatch(text, -1) {
		k, _ := strconv.Atoi(m[1])
		n += k
	}
	return n
}
