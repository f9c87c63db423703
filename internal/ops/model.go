package ops

// Process is one Supervisor process as results carry it (SPEC §2).
type Process struct {
	Name        string `json:"name"`  // group:process when it differs from the group, else the bare name
	Group       string `json:"group"` // the program (or group) it belongs to
	State       string `json:"state"` // Supervisor's state name: RUNNING, STOPPED, BACKOFF, ...
	PID         int    `json:"pid"`
	Description string `json:"description"`
	Uptime      int64  `json:"uptime_seconds,omitempty"`
	SpawnErr    string `json:"spawnerr,omitempty"`
	ExitStatus  int    `json:"exitstatus,omitempty"`
}

// ProgramList is the data of supervisor.program.list and of every control
// operation, which answers with the resulting states.
type ProgramList struct {
	Programs []Process `json:"programs"`
}

// Program is the data of supervisor.program.show.
type Program struct {
	Name       string            `json:"name"`
	File       string            `json:"file"`
	Directives map[string]string `json:"directives"`
	Processes  []Process         `json:"processes"`
	Content    string            `json:"content,omitempty"` // the whole file, for a raw edit
}
