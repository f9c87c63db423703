package maintenance

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Schedule is a weekly window from the config: on each of Days, from
// Start (minutes after midnight in Loc) for Duration.
type Schedule struct {
	Days     []time.Weekday
	Start    int // minutes after midnight
	Duration time.Duration
	Loc      *time.Location
	Freeze   bool
	Reason   string
}

// MaxScheduled is the longest scheduled window: a week, after which it
// would never end.
const MaxScheduled = 7 * 24 * time.Hour

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseSchedule reads one scheduled window of the config: days as sun,
// mon, … (or full names), start as HH:MM, and a time zone name that
// time.LoadLocation knows. Each error names the field it concerns.
func ParseSchedule(days []string, start string, d time.Duration, zone string, freeze bool, reason string) (Schedule, error) {
	s := Schedule{Duration: d, Freeze: freeze, Reason: reason}
	if len(days) == 0 {
		return s, fmt.Errorf("days: name at least one day (sun, mon, tue, wed, thu, fri, sat)")
	}
	for _, day := range days {
		wd, ok := dayNames[strings.ToLower(day)]
		if !ok && len(day) > 3 {
			wd, ok = dayNames[strings.ToLower(day[:3])]
			ok = ok && strings.EqualFold(day, time.Weekday(wd).String())
		}
		if !ok {
			return s, fmt.Errorf("days: %q is not a day: use sun, mon, tue, wed, thu, fri or sat", day)
		}
		if !slices.Contains(s.Days, wd) {
			s.Days = append(s.Days, wd)
		}
	}
	t, err := time.Parse("15:04", start)
	if err != nil {
		return s, fmt.Errorf("start: %q is not a time of day like 02:00", start)
	}
	s.Start = t.Hour()*60 + t.Minute()
	if d <= 0 || d > MaxScheduled {
		return s, fmt.Errorf("duration: must be above 0 and at most %s, not %s", MaxScheduled, d)
	}
	if zone == "" {
		return s, fmt.Errorf("time_zone: required, like Europe/Berlin or UTC")
	}
	if s.Loc, err = time.LoadLocation(zone); err != nil {
		return s, fmt.Errorf("time_zone: %q is not a time zone this host knows: %w", zone, err)
	}
	return s, nil
}

// At returns the window of s that runs at t, if one does. A window that
// began on an earlier day (past midnight, or longer than a day) counts.
func (s Schedule) At(t time.Time) (Window, bool) {
	local := t.In(s.Loc)
	back := int(s.Duration/(24*time.Hour)) + 1
	for k := 0; k <= back; k++ {
		day := local.AddDate(0, 0, -k)
		if !slices.Contains(s.Days, day.Weekday()) {
			continue
		}
		start := time.Date(day.Year(), day.Month(), day.Day(), s.Start/60, s.Start%60, 0, 0, s.Loc)
		w := Window{ID: "schedule", Start: start, End: start.Add(s.Duration), Freeze: s.Freeze, Reason: s.Reason, By: "schedule"}
		if w.Active(t) {
			return w, true
		}
	}
	return Window{}, false
}
