package sandbox

import (
	"fmt"
	"path/filepath"
)

// AttachPHPFPM returns the sandboxed php-fpm that StartPHPFPMDaemonized
// started in dir, from another process (make demo's `down`), so that Stop
// ends it through its pid file.
func AttachPHPFPM(dir string) (*PHPFPM, error) {
	dir, err := absDir(dir)
	if err != nil {
		return nil, err
	}
	bin, version, err := PHPFPMPath()
	if err != nil {
		return nil, err
	}
	f := &PHPFPM{
		Dir: dir, Binary: bin, Version: version, Daemonize: true,
		MainConfig: filepath.Join(dir, "php-fpm.conf"),
		PoolDir:    filepath.Join(dir, "pool.d"),
		PIDFile:    filepath.Join(dir, "php-fpm.pid"),
		ErrorLog:   filepath.Join(dir, "log", "php-fpm.log"),
	}
	f.SocketDir, f.shortDir = fpmSocketDir(dir)
	if f.User, f.Group, err = poolIdentity(); err != nil {
		return nil, err
	}
	if f.MasterPID() == 0 {
		return f, fmt.Errorf("no php-fpm is running in %s", dir)
	}
	return f, nil
}
