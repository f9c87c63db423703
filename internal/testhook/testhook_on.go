//go:build poolvisor_testhooks

package testhook

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"time"
)

// Env names the point to stop at and the file that says so: "POINT:FILE".
const Env = "POOLVISOR_TEST_PAUSE"

// maxPause bounds a stop, so a test that never lets go leaves no process behind.
const maxPause = 2 * time.Minute

// Pause stops at point when $POOLVISOR_TEST_PAUSE is "point:FILE": it
// writes its pid to FILE, then waits until the test removes FILE (or kills
// the process).
func Pause(point string) {
	want, file, ok := strings.Cut(os.Getenv(Env), ":")
	if !ok || want != point {
		return
	}
	tmp := file + ".tmp"
	if os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())), 0o600) != nil || os.Rename(tmp, file) != nil {
		return
	}
	for deadline := time.Now().Add(maxPause); time.Now().Before(deadline); {
		if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
