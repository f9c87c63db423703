package supervisor

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// includedFiles returns supervisord's main config file and every file its
// [include] section pulls in, in the order supervisord reads them.
func includedFiles(configFile string) ([]string, error) {
	f, err := os.Open(configFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	here := filepath.Dir(configFile)
	files := []string{configFile}
	inInclude := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			inInclude = strings.EqualFold(strings.Trim(line, "[] \t"), "include")
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !inInclude || !ok || strings.TrimSpace(key) != "files" {
			continue
		}
		value = strings.ReplaceAll(value, "%(here)s", here)
		for _, pattern := range strings.Fields(value) {
			if !filepath.IsAbs(pattern) {
				pattern = filepath.Join(here, pattern)
			}
			matches, _ := filepath.Glob(pattern) // only ErrBadPattern, which supervisord also ignores
			sort.Strings(matches)
			files = append(files, matches...)
		}
	}
	return files, sc.Err()
}

// findProgramFile returns the file that declares [program:name], looking in
// supervisord's included files and in poolvisor's program directory.
func findProgramFile(configFile, programDir, name string) (string, error) {
	files, err := includedFiles(configFile)
	if programDir != "" {
		own, _ := filepath.Glob(filepath.Join(programDir, "*.conf"))
		files = append(files, own...)
	}
	header := "[program:" + name + "]"
	for _, path := range files {
		if fileHasLine(path, header) {
			return path, nil
		}
	}
	return "", err
}

func fileHasLine(path, want string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == want {
			return true
		}
	}
	return false
}
