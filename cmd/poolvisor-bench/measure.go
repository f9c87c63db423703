package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// side is one of the two things a pair compares.
type side struct {
	name string // as the table shows it
	run  func(context.Context) error
}

// pair is a measurement of a against b: the ratio of their medians, a/b, is
// held against target.
type pair struct {
	title  string // the README row's first column
	a, b   side
	target float64
	warmup int // pairs run first and not measured
	n      int // samples of each side
}

// result is a measured pair: a and b sum up the samples of pair.a and pair.b.
type result struct {
	pair pair
	a, b stats
}

// ratio is the median of a over the median of b.
func (r result) ratio() float64 { return float64(r.a.median) / float64(r.b.median) }

// ok reports whether the ratio meets the target.
func (r result) ok() bool { return r.ratio() <= r.pair.target }

// stats sums up one side's samples.
type stats struct {
	n           int
	median, p90 time.Duration
}

// measure runs p's two sides alternately, warm-up first. The order within a
// round flips every round (A B, B A, ...), so neither side always runs
// right after the other one's garbage or cache misses.
func measure(ctx context.Context, p pair) (result, error) {
	for i := range p.warmup {
		if _, _, err := round(ctx, p, i); err != nil {
			return result{}, err
		}
	}
	da := make([]time.Duration, 0, p.n)
	db := make([]time.Duration, 0, p.n)
	for i := range p.n {
		a, b, err := round(ctx, p, i)
		if err != nil {
			return result{}, err
		}
		da, db = append(da, a), append(db, b)
	}
	return result{pair: p, a: summarize(da), b: summarize(db)}, nil
}

// round runs both sides once and returns how long each took.
func round(ctx context.Context, p pair, i int) (a, b time.Duration, err error) {
	if i%2 == 0 {
		if a, err = timed(ctx, p.a); err == nil {
			b, err = timed(ctx, p.b)
		}
	} else {
		if b, err = timed(ctx, p.b); err == nil {
			a, err = timed(ctx, p.a)
		}
	}
	return a, b, err
}

// timed runs s once and returns how long it took. An error after ctx ended
// is the interruption, not a failure of s.
func timed(ctx context.Context, s side) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	start := time.Now()
	err := s.run(ctx)
	d := time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("%s: %w", s.name, err)
	}
	return d, nil
}

// summarize returns the median (mean of the middle two for an even count)
// and the nearest-rank 90th percentile of d.
func summarize(d []time.Duration) stats {
	s := slices.Sorted(slices.Values(d))
	n := len(s)
	median := s[n/2]
	if n%2 == 0 {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	p90 := s[int(math.Ceil(0.9*float64(n)))-1]
	return stats{n: n, median: median, p90: p90}
}
