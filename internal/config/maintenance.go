package config

import (
	"fmt"
	"time"

	"github.com/poolvisor/poolvisor/internal/maintenance"
)

// Maintenance configures maintenance windows (/ops maintenance) and mutes
// with an end (/ops mute).
type Maintenance struct {
	// MaxDuration is the longest window or mute a command may start.
	MaxDuration time.Duration `mapstructure:"max_duration" yaml:"max_duration"`
	// Windows are weekly windows that run without a command.
	Windows []MaintenanceWindow `mapstructure:"windows" yaml:"windows"`
}

// MaintenanceWindow is one weekly window: on each of Days, from Start in
// TimeZone, for Duration.
type MaintenanceWindow struct {
	Days     []string      `mapstructure:"days" yaml:"days"`           // sun, mon, …
	Start    string        `mapstructure:"start" yaml:"start"`         // HH:MM
	Duration time.Duration `mapstructure:"duration" yaml:"duration"`   // like 2h
	TimeZone string        `mapstructure:"time_zone" yaml:"time_zone"` // like Europe/Berlin; required
	Freeze   bool          `mapstructure:"freeze" yaml:"freeze"`       // only approvers may write meanwhile
	Reason   string        `mapstructure:"reason" yaml:"reason"`
}

// DefaultMaxMaintenance is maintenance.max_duration's default.
const DefaultMaxMaintenance = 24 * time.Hour

// Schedule returns w as the maintenance package reads it.
func (w MaintenanceWindow) Schedule() (maintenance.Schedule, error) {
	return maintenance.ParseSchedule(w.Days, w.Start, w.Duration, w.TimeZone, w.Freeze, w.Reason)
}

// Schedules returns the configured weekly windows; the config was
// validated, so none fails.
func (m Maintenance) Schedules() []maintenance.Schedule {
	var out []maintenance.Schedule
	for _, w := range m.Windows {
		if s, err := w.Schedule(); err == nil {
			out = append(out, s)
		}
	}
	return out
}

func (c *Config) validateMaintenance(p *problems) {
	m := c.Maintenance
	if m.MaxDuration <= 0 || m.MaxDuration > maintenance.MaxScheduled {
		p.add("maintenance.max_duration", "is %s; use a duration above 0 and at most %s, like 24h", m.MaxDuration, maintenance.MaxScheduled)
	}
	for i, w := range m.Windows {
		if _, err := w.Schedule(); err != nil {
			p.add(fmt.Sprintf("maintenance.windows[%d]", i), "%s", err)
		}
	}
}
