package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const (
	module = "github.com/poolvisor/poolvisor"

	// defaultSupervisorctl is where Debian's supervisor package puts it, for
	// when it is not on PATH (e.g. under sudo).
	defaultSupervisorctl = "/usr/bin/supervisorctl"
)

// poolvisorBinary returns path, or bin/poolvisor in the repository root when
// path is empty, after checking that it exists (and bin/poolvisord with it).
func poolvisorBinary(path string) (string, error) {
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("poolvisor binary: %w", err)
		}
		return path, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	path = filepath.Join(root, "bin", "poolvisor")
	// The thin client hands serve and direct mode to poolvisord beside it.
	for _, p := range []string{path, filepath.Join(root, "bin", "poolvisord")} {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s is missing: run `make build` first (or pass -poolvisor FILE)", p)
		} else if err != nil {
			return "", fmt.Errorf("poolvisor binary: %w", err)
		}
	}
	return path, nil
}

// repoRoot returns the nearest directory, from the working directory up,
// whose go.mod declares poolvisor's module.
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if declaresModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("not inside the poolvisor repository (no go.mod for %s above %s): run it from the repository root, or pass -poolvisor FILE", module, wd)
		}
	}
}

// declaresModule reports whether the go.mod at path is poolvisor's.
func declaresModule(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(name), `"`) == module
		}
	}
	return false
}

// supervisorctlPath returns the supervisorctl to run.
func supervisorctlPath() (string, error) {
	if p, err := exec.LookPath("supervisorctl"); err == nil {
		return p, nil
	}
	if _, err := os.Stat(defaultSupervisorctl); err != nil {
		return "", fmt.Errorf("supervisorctl is not installed (not on PATH, no %s): run `make deps`", defaultSupervisorctl)
	}
	return defaultSupervisorctl, nil
}
