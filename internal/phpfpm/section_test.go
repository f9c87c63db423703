package phpfpm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSectionFixtures reads testdata/sections/*.txt: a file that php-fpm
// reads, a line "----- POOL OP" and, for OP set, KEY=VALUE lines, then
// "----- want" and what OP gives: "section" the pool's own lines, "delete"
// the file without them, "set" the file after the edits. \r stands for a
// carriage return, so that fixtures can hold files written on Windows.
func TestSectionFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/sections/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	cr := strings.NewReplacer(`\r`, "\r")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, rest, _ := strings.Cut(cr.Replace(string(data)), "----- ")
			head, rest, _ := strings.Cut(rest, "\n")
			args, want, ok := strings.Cut(rest, "----- want\n")
			pool, opName, _ := strings.Cut(head, " ")
			if !ok {
				t.Fatal("no ----- want line")
			}
			conf, err := parseConf([]byte(input))
			if err != nil {
				t.Fatal(err)
			}
			pf := &PoolFile{name: pool, conf: conf}
			var got string
			switch opName {
			case "section":
				got = string(pf.section())
			case "delete":
				got = string(pf.without())
			case "set":
				for _, line := range strings.Split(strings.TrimSuffix(args, "\n"), "\n") {
					k, v, _ := strings.Cut(line, "=")
					if err := pf.Set(k, v); err != nil {
						t.Fatal(err)
					}
				}
				got = string(pf.Bytes())
			default:
				t.Fatalf("unknown op %q", opName)
			}
			if got != want {
				t.Errorf("got:\n%q\nwant:\n%q", got, want)
			}
			// Whatever the op, every line outside the pool's own is kept:
			// those before it (but blank lines that end the file) and
			// those after it.
			from, to, _ := conf.span(pool)
			before := string((&confFile{lines: conf.lines[:from]}).bytes())
			after := string((&confFile{lines: conf.lines[to:]}).bytes())
			if opName != "section" && (!strings.HasPrefix(got, strings.TrimRight(before, "\r\n")) || !strings.HasSuffix(got, after)) {
				t.Errorf("lines outside pool %s changed", pool)
			}
		})
	}
}
