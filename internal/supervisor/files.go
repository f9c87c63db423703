package supervisor

// This file finds the files supervisord reads, the way supervisord finds
// them: the main config, then the globs of its [include] files= value,
// each relative to the main config's directory, %(here)s expanded, the
// matches of each glob in sorted order.

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"

	"github.com/poolvisor/poolvisor/internal/daemonglob"
)

// includePatterns returns the absolute globs of configFile's [include]
// files= value, in order.
func includePatterns(configFile string) ([]string, error) {
	data, err := os.ReadFile(configFile)
	if err != nil {
		return nil, err
	}
	here := filepath.Dir(configFile)
	value, found := "", false
	// configparser's reading first, so that inline comments and
	// continuation lines mean what they mean to supervisord.
	if doc, err := parseProgINI(progSplitLines(string(data))); err == nil {
		if v, ok := doc.effective()["include"]["files"]; ok {
			value, found = v, true
		}
	}
	if !found {
		value = scanIncludeFiles(string(data))
	}
	value = strings.ReplaceAll(value, "%(here)s", here)
	var out []string
	for _, pattern := range strings.Fields(value) {
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(here, pattern)
		}
		out = append(out, filepath.Clean(pattern))
	}
	return out, nil
}

// scanIncludeFiles is the plain line scan of [include] files= for a main
// config that configparser's model cannot read.
func scanIncludeFiles(data string) string {
	inInclude := false
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			inInclude = strings.EqualFold(strings.Trim(line, "[] \t"), "include")
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if inInclude && ok && strings.TrimSpace(key) == "files" {
			return value
		}
	}
	return ""
}

// includedFiles returns supervisord's main config file and every file its
// [include] section pulls in, in the order supervisord reads them.
func includedFiles(configFile string) ([]string, error) {
	patterns, err := includePatterns(configFile)
	if err != nil {
		return nil, err
	}
	files := []string{configFile}
	seen := map[string]bool{configFile: true}
	for _, pattern := range patterns {
		matches := daemonglob.Glob(daemonglob.Python, pattern) // sorted, as supervisord sorts them
		for _, m := range matches {
			if !seen[m] {
				seen[m] = true
				files = append(files, m)
			}
		}
	}
	return files, nil
}

// findProgramFile returns the first file that declares [program:name],
// looking in supervisord's included files and in poolvisor's program
// directory.
func findProgramFile(configFile, programDir, name string) (string, error) {
	files, err := includedFiles(configFile)
	if programDir != "" {
		own := daemonglob.Glob(daemonglob.Python, filepath.Join(programDir, "*.conf"))
		files = append(files, own...)
	}
	for _, path := range files {
		if data, rerr := os.ReadFile(path); rerr == nil && len(headerLines(data, "program:"+name)) > 0 {
			return path, nil
		}
	}
	return "", err
}

// headerLines returns the 1-based lines of data that open section header,
// as configparser reads a header line (surrounding space stripped, the
// text between [ and the last ]).
func headerLines(data []byte, header string) []int {
	var out []int
	for i, raw := range progSplitLines(string(data)) {
		line, _ := progCutLineBreak(raw)
		if cs := progCommentStart(line); cs >= 0 {
			line = line[:cs]
		}
		v := progPyStrip(line)
		if !strings.HasPrefix(v, "[") || strings.HasPrefix(progPyStrip(raw), ";") || strings.HasPrefix(progPyStrip(raw), "#") {
			continue
		}
		j := strings.LastIndexByte(v, ']')
		if j < 2 {
			continue
		}
		h := v[1:j]
		if rest, ok := strings.CutPrefix(h, "program:"); ok {
			h = "program:" + progPyStrip(rest)
		}
		if h == header {
			out = append(out, i+1)
		}
	}
	return out
}
