package sandbox

import "testing"

// Supervisor starts supervisord with programs in a fresh t.TempDir and stops
// it when the test ends. It fails the test with a hint when supervisord is
// not installed.
func Supervisor(t testing.TB, programs ...Program) *Supervisord {
	t.Helper()
	if _, err := SupervisordPath(); err != nil {
		t.Fatalf("%v\nthese tests run a real supervisord: install Debian's package (apt-get install supervisor) or run them with `sudo make test`", err)
	}
	s, err := StartSupervisord(t.TempDir(), programs...)
	if err != nil {
		t.Fatalf("start sandboxed supervisord: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop sandboxed supervisord: %v", err)
		}
	})
	return s
}
