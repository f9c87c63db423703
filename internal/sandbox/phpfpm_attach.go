package sandbox

import "fmt"

// AttachPHPFPM returns the sandboxed php-fpm that StartPHPFPMDaemonized
// started in dir, from another process (make demo's `down`), so that Stop
// ends it through its pid file.
func AttachPHPFPM(dir string) (*PHPFPM, error) {
	f, err := layout(dir, true)
	if err != nil {
		return nil, err
	}
	if f.MasterPID() == 0 {
		return f, fmt.Errorf("no php-fpm is running in %s", f.Dir)
	}
	return f, nil
}
