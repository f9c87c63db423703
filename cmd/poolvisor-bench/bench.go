package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// options are the command line.
type options struct {
	programs    int
	samples     int // in-process samples of each side
	warmup      int
	procSamples int // whole-process samples of each side
	procWarmup  int
	poolvisor   string // "" means <repository root>/bin/poolvisor
	cpuProfile  string
	fleetAgents int  // the second fleet measurement's agents
	fleetOnly   bool // measure the fleet alone, at fleetAgents
	rollOnly    bool // measure the rolling restart alone
	socketOnly  bool // measure exec through serve's socket alone
}

// bench sets up the sandbox, measures both pairs and prints the report. The
// sandbox is stopped whatever happens.
func bench(ctx context.Context, o options, stdout, stderr io.Writer) (err error) {
	if o.fleetOnly {
		stopProfile, err := startProfile(o.cpuProfile)
		if err != nil {
			return err
		}
		r, fr, err := measureFleet(ctx, o.fleetAgents, stderr)
		stopProfile()
		if err != nil {
			return err
		}
		report(stdout, thisMachine(), 0, []result{r})
		reportFleet(stdout, []fleetRun{fr})
		return nil
	}
	if o.rollOnly {
		r5, r6, err := measureRoll(ctx, stderr)
		if err != nil {
			return err
		}
		m := thisMachine()
		m.supervisord = "(its own sandbox: -roll-only)"
		report(stdout, m, 0, []result{r5, r6})
		return nil
	}
	bin, err := poolvisorBinary(o.poolvisor)
	if err != nil {
		return err
	}
	ctl, err := supervisorctlPath()
	if err != nil {
		return err
	}

	e, err := newEnv(ctx, o.programs, stderr)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := e.close(stderr); err == nil {
			err = cerr
		}
	}()
	m, err := describeMachine(ctx, e)
	if err != nil {
		return err
	}
	if o.socketOnly {
		r, err := measureSocket(ctx, e, o, bin, ctl, stderr)
		if err != nil {
			return err
		}
		rv, err := measureStartup(ctx, o, bin, stderr)
		if err != nil {
			return err
		}
		report(stdout, m, o.programs, []result{r, rv})
		return nil
	}

	inProc, closeApp, err := inProcessPair(ctx, e, o, stderr)
	if err != nil {
		return err
	}
	defer closeApp()
	fmt.Fprintf(stderr, "measuring in-process: %d warm-up pairs, %d samples each...\n", o.warmup, o.samples)
	stopProfile, err := startProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	r1, err := measure(ctx, inProc)
	stopProfile()
	if err != nil {
		return err
	}

	fmt.Fprintf(stderr, "measuring whole processes: %d warm-up pairs, %d samples each...\n", o.procWarmup, o.procSamples)
	r2, err := measure(ctx, processPair(e, o, bin, ctl))
	if err != nil {
		return err
	}

	r7, err := measureSocket(ctx, e, o, bin, ctl, stderr)
	if err != nil {
		return err
	}
	rv, err := measureStartup(ctx, o, bin, stderr)
	if err != nil {
		return err
	}

	fmt.Fprintln(stderr, "measuring PHP-FPM pool create against php-fpm -t...")
	fp, stopFPM, err := fpmPair(stderr)
	if err != nil {
		return err
	}
	r3, err := measure(ctx, fp)
	stopFPM()
	if err != nil {
		return err
	}

	r4, fr4, err := measureFleet(ctx, fleetAgents, stderr)
	if err != nil {
		return err
	}
	r4k, fr4k, err := measureFleet(ctx, o.fleetAgents, stderr)
	if err != nil {
		return err
	}

	r5, r6, err := measureRoll(ctx, stderr)
	if err != nil {
		return err
	}

	fmt.Fprintf(stderr, "measuring %d concurrent signed Slack /supervisor status requests...\n", slackBurst)
	rs, err := slackBench(ctx, e, bin, slackBurst, stderr)
	if err != nil {
		return err
	}

	report(stdout, m, o.programs, []result{r1, r2, r7, rv, r3, r4, r4k, r5, r6})
	reportFleet(stdout, []fleetRun{fr4, fr4k})
	reportSlack(stdout, rs)
	return nil
}

// measureRoll measures the rolling restart against the sum of its settle
// times and against the same roll by hand over raw XML-RPC.
func measureRoll(ctx context.Context, stderr io.Writer) (vsSettle, vsRaw result, err error) {
	fmt.Fprintf(stderr, "measuring a rolling restart of %d processes...\n", rollProcs)
	rp, rawRoll, stopRoll, err := rollPair(ctx, stderr)
	if err != nil {
		return result{}, result{}, err
	}
	defer stopRoll()
	if vsSettle, err = measure(ctx, rp); err != nil {
		return result{}, result{}, err
	}
	if vsRaw, err = measure(ctx, rawRoll); err != nil {
		return result{}, result{}, err
	}
	return vsSettle, vsRaw, nil
}

// startProfile starts a CPU profile into path, when one is asked for, and
// returns what ends it.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
