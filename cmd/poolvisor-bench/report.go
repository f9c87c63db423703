package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/poolvisor/poolvisor/internal/supervisor"
)

// machine is what the numbers were measured on.
type machine struct {
	cpu         string
	cpus        int
	gomaxprocs  int
	goVersion   string
	supervisord string
}

// describeMachine reads the CPU model and asks the sandboxed supervisord
// for its version.
func describeMachine(ctx context.Context, e *env) (machine, error) {
	m := thisMachine()
	c, err := supervisor.NewClient(e.sv.URL, "", "", 0)
	if err != nil {
		return m, err
	}
	if m.supervisord, err = c.GetSupervisorVersion(ctx); err != nil {
		return m, fmt.Errorf("supervisord version: %w", err)
	}
	return m, nil
}

// thisMachine is the machine without a supervisord (-fleet-only).
func thisMachine() machine {
	return machine{
		cpu: cpuModel(), cpus: runtime.NumCPU(), gomaxprocs: runtime.GOMAXPROCS(0),
		goVersion: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH, supervisord: "(not used: -fleet-only)",
	}
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "unknown".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown"
}

// report prints the machine, a table of both sides of every pair, and the
// rows to paste into the README's table.
func report(w io.Writer, m machine, programs int, results []result) {
	fmt.Fprintf(w, "\npoolvisor-bench: %d programs, all RUNNING, in a sandboxed supervisord %s\n", programs, m.supervisord)
	fmt.Fprintf(w, "machine: %s, %d CPUs, GOMAXPROCS %d, %s\n\n", m.cpu, m.cpus, m.gomaxprocs, m.goVersion)

	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "measurement\tN\tmedian\tp90")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", r.pair.a.name, r.a.n, ms(r.a.median), ms(r.a.p90))
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", r.pair.b.name, r.b.n, ms(r.b.median), ms(r.b.p90))
		fmt.Fprintf(tw, "  ratio of medians\t\t%s\ttarget ≤ %s: %s\n", ratio(r.ratio()), target(r.pair.target), verdict(r))
	}
	tw.Flush()

	fmt.Fprintln(w, "\nREADME rows (| measurement | poolvisor | baseline | ratio | target |):")
	for _, r := range results {
		fmt.Fprintf(w, "| %s | %s | %s | %s | ≤ %s |\n", r.pair.title, ms(r.a.median), ms(r.b.median), ratio(r.ratio()), target(r.pair.target))
	}
}

func verdict(r result) string {
	if r.ok() {
		return "ok"
	}
	return "over target"
}

func target(t float64) string { return strconv.FormatFloat(t, 'f', -1, 64) }

// ms formats d in milliseconds with three significant digits or more.
// ratio prints a ratio with two decimals, or three below 0.1, where two
// would round 0.048 and 0.052 alike to a target of 0.05.
func ratio(r float64) string {
	if r < 0.1 {
		return fmt.Sprintf("%.3f", r)
	}
	return fmt.Sprintf("%.2f", r)
}

func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f ms", v)
	case v < 100:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}
