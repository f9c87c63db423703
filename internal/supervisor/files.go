package supervisor

// This file finds the files supervisord reads, the way supervisord finds
// them: the main config, then the globs of its [include] files= value,
// each relative to the main config's directory, %(here)s expanded, the
// matches of each glob in sorted order.

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/poolvisor/poolvisor/internal/daemonglob"
)

// includePatterns returns the absolute globs of configFile's [include]
// files= value, in order, expanded as supervisord expands it: %(here)s,
// then Python's `value % expansions` with host_node_name and ENV_X from
// supervisord's environment (env, called only when the value needs it;
// nil: not known, and such a value is an error).
func includePatterns(configFile string, env func() ExpansionEnv) ([]string, error) {
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
	value, err = expandInclude(strings.ReplaceAll(value, "%(here)s", here), env)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, pattern := range strings.Fields(value) {
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(here, pattern)
		}
		out = append(out, filepath.Clean(pattern))
	}
	return out, nil
}

// expandInclude computes files= as supervisord's expand() does: %% is a
// percent sign, %(name)s an expansion of host_node_name or ENV_<variable>
// (here is replaced before), anything else stops supervisord.
func expandInclude(value string, env func() ExpansionEnv) (string, error) {
	if !strings.Contains(value, "%") {
		return value, nil
	}
	var (
		b      strings.Builder
		lookup ExpansionEnv
	)
	for i := 0; i < len(value); {
		if value[i] != '%' {
			b.WriteByte(value[i])
			i++
			continue
		}
		if i+1 < len(value) && value[i+1] == '%' {
			b.WriteByte('%')
			i += 2
			continue
		}
		x, ok := progExpansionAt(value, i)
		if !ok || x.conv != 's' {
			return "", fmt.Errorf("[include] files: supervisord cannot expand %q", value[i:min(len(value), i+24)])
		}
		var val string
		switch name, isEnv := strings.CutPrefix(x.name, "ENV_"); {
		case x.name == "host_node_name":
			host, err := os.Hostname()
			if err != nil {
				return "", fmt.Errorf("[include] files: %%(host_node_name)s: %w", err)
			}
			val = host
		case isEnv && name != "":
			if lookup == nil && env != nil {
				lookup = env()
			}
			if lookup == nil {
				return "", fmt.Errorf("[include] files uses %%(%s)s and supervisord's environment is not known here", x.name)
			}
			v, ok := lookup(name)
			if !ok {
				return "", fmt.Errorf("[include] files uses %%(%s)s, and %s is not set in supervisord's environment", x.name, name)
			}
			val = v
		default:
			return "", fmt.Errorf("[include] files: supervisord has no %%(%s)s to expand there", x.name)
		}
		b.WriteString(fmt.Sprintf("%"+x.flag+x.width+"s", val))
		i += x.n
	}
	return b.String(), nil
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
func includedFiles(configFile string, env func() ExpansionEnv) ([]string, error) {
	patterns, err := includePatterns(configFile, env)
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
func findProgramFile(configFile, programDir, name string, env func() ExpansionEnv) (string, error) {
	files, err := includedFiles(configFile, env)
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
