package phpfpm

import (
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
)

// maxRawFile bounds a whole pool file given at once; no pool file is
// anywhere near it.
const maxRawFile = 64 << 10

// wholeFile reads a pool file given whole, with Arg content: a raw edit
// from a chat form, or a rollback to an earlier version. It may hold
// comments and any directives of [name], but no other section ([global]
// included) and no include. When the pool has a file of its own, its bytes
// are the file, written as given, so a rollback restores a version byte
// for byte; when it shares its file, they replace the pool's own lines.
func wholeFile(name, content string) (*PoolFile, error) {
	if len(content) > maxRawFile {
		return nil, ops.Invalidf("the file is %d bytes; the limit is %d", len(content), maxRawFile)
	}
	if strings.ContainsRune(content, 0) {
		return nil, ops.Invalidf("the file may not contain NUL bytes")
	}
	pf, err := ParsePoolFile(name, []byte(content))
	if err != nil {
		return nil, err
	}
	for _, l := range pf.conf.lines {
		if l.kind == lineDirective && l.key == "include" {
			return nil, ops.Invalidf("pool %s: include is not a pool directive; a pool's section may not include other files", name)
		}
	}
	return pf, nil
}

// changedKeys returns the directives after sets to a new value (one that is
// gone takes php-fpm's default and needs no check), and checks that each is
// a directive php-fpm knows.
func changedKeys(before, after map[string]string) (map[string]bool, error) {
	changed := map[string]bool{}
	for k, v := range after {
		if old, ok := before[k]; !ok || old != v {
			if err := checkKnownKey(k); err != nil {
				return nil, err
			}
			changed[k] = true
		}
	}
	return changed, nil
}
