package sandbox

import "testing"

// FPM starts a php-fpm master (in the foreground, as systemd runs it) with
// pools in a fresh t.TempDir and stops it when the test ends. It fails the
// test with a hint when php-fpm is not installed.
func FPM(t testing.TB, pools ...Pool) *PHPFPM {
	t.Helper()
	return startFPMForTest(t, false, pools)
}

// FPMDaemonized is FPM for a master that daemonizes, so that a USR2 reload
// brings it back under a new pid.
func FPMDaemonized(t testing.TB, pools ...Pool) *PHPFPM {
	t.Helper()
	return startFPMForTest(t, true, pools)
}

func startFPMForTest(t testing.TB, daemonize bool, pools []Pool) *PHPFPM {
	t.Helper()
	if _, _, err := PHPFPMPath(); err != nil {
		t.Fatalf("%v\nthese tests run a real php-fpm: install Debian's package (apt-get install php-fpm) or run them with `sudo make test`", err)
	}
	f, err := startPHPFPM(t.TempDir(), daemonize, pools)
	if err != nil {
		t.Fatalf("start sandboxed php-fpm: %v", err)
	}
	t.Cleanup(func() {
		if err := f.Stop(); err != nil {
			t.Errorf("stop sandboxed php-fpm: %v", err)
		}
	})
	return f
}
