package ops

import "testing"

// TestProgressLine: the shell's line names the running step, with where
// it stands when it says (a fleet host's batch).
func TestProgressLine(t *testing.T) {
	for _, c := range []struct {
		name string
		p    Progress
		want string
	}{
		{"a batch", Progress{RunID: "r1", Title: "Roll", ElapsedMS: 1500, Steps: []Step{
			{Name: "batch 1", Items: []string{"q:0"}, State: StepDone}, {Name: "batch 2", Items: []string{"q:1"}, State: StepRunning}}},
			"[r1] Roll: 1/2 done, batch 2 running (q:1), 1.5s elapsed; /ops cancel r1 stops it"},
		{"a host with its batch", Progress{RunID: "r2", Title: "Roll on every", ElapsedMS: 200, Steps: []Step{
			{Name: "web-02", Items: []string{"web-02"}, State: StepRunning, Note: "batch 2/4 running: q:2"}}},
			"[r2] Roll on every: 0/1 done, web-02 running (web-02; batch 2/4 running: q:2), 200ms elapsed; /ops cancel r2 stops it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.p.Line(); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}
