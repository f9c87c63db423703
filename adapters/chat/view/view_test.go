package view

import (
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

func TestDecodeReadsTheJSONForm(t *testing.T) {
	d := Decode(ops.ProgramList{Programs: []ops.Process{{Name: "web", State: "RUNNING", PID: 7, Uptime: 90}}})
	if d.Programs == nil || (*d.Programs)[0].PID != 7 || (*d.Programs)[0].Uptime != 90 || d.Pool != nil {
		t.Errorf("Decode = %+v", d)
	}
	if d := Decode(map[string]any{"something": "else"}); d.Programs != nil || d.Log != nil {
		t.Errorf("unknown shape decoded to %+v", d)
	}
}

func TestCountStatesAttentionFirst(t *testing.T) {
	got := CountStates([]Process{{State: "RUNNING"}, {State: "FATAL"}, {State: "RUNNING"}, {State: "WEIRD"}})
	want := []StateCount{{"FATAL", 1}, {"WEIRD", 1}, {"RUNNING", 2}}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("CountStates = %v", got)
	}
	if Uptime(3*3600+240) != "3h04m" || Uptime(50*3600) != "2d02h" {
		t.Error("Uptime")
	}
}
