package phpfpm

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/poolvisor/poolvisor/internal/catalog"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// PoolFile is one pool's config file: a single [name] section. It is kept
// line by line, so that Set changes only the directive it is given and
// leaves comments and directives written by hand byte for byte as they were.
type PoolFile struct {
	name string
	conf *confFile
}

const poolFileHeader = "; PHP-FPM pool %s, managed by poolvisor. Changes made through poolvisor touch\n" +
	"; only the directives they set; comments and directives written by hand are kept.\n"

// NewPoolFile returns a file holding an empty [name] section under a short
// header comment.
func NewPoolFile(name string) *PoolFile {
	conf, err := parseConf([]byte(fmt.Sprintf(poolFileHeader, name) + "[" + name + "]\n"))
	if err != nil { // only for a name that checkPoolName refuses
		conf = &confFile{}
	}
	return &PoolFile{name: name, conf: conf}
}

// ParsePoolFile reads data, which must hold exactly one section, [name], and
// nothing but comments before it.
func ParsePoolFile(name string, data []byte) (*PoolFile, error) {
	if err := checkPoolName(name); err != nil {
		return nil, err
	}
	if !utf8.Valid(data) {
		return nil, ops.Invalidf("the file of pool %s is not valid UTF-8 text", name)
	}
	conf, err := parseConf(data)
	if err != nil {
		return nil, ops.Invalidf("the file of pool %s cannot be read: %v", name, err)
	}
	for _, l := range conf.lines {
		if l.kind == lineDirective && l.section == "" {
			return nil, ops.Invalidf("the file of pool %s has directive %s before its [%s] header", name, l.key, name)
		}
	}
	secs := conf.sections()
	if len(secs) != 1 || secs[0] != name {
		return nil, ops.Invalidf("the file of pool %s must hold exactly the section [%s]; it holds [%s]",
			name, name, strings.Join(secs, "], ["))
	}
	return &PoolFile{name: name, conf: conf}, nil
}

// section returns the pool's own lines (see confFile.span) as text.
func (p *PoolFile) section() []byte {
	from, to, ok := p.conf.span(p.name)
	if !ok {
		return nil
	}
	return (&confFile{lines: p.conf.lines[from:to]}).bytes()
}

// Name returns the pool's name.
func (p *PoolFile) Name() string { return p.name }

// Bytes returns the file's content.
func (p *PoolFile) Bytes() []byte { return p.conf.bytes() }

// Directives returns every directive of the pool with the value php-fpm
// uses (the last one given), as written: unquoted, unescaped.
func (p *PoolFile) Directives() map[string]string { return p.conf.directives(p.name) }

// Get returns the value of key, as Directives does.
func (p *PoolFile) Get(key string) (string, bool) {
	v, ok := p.Directives()[key]
	return v, ok
}

// Set gives key the value v. The line that php-fpm reads for key (the last
// one) is rewritten in place, keeping its indentation and trailing comment;
// a key the file lacks is added at the end of the section. Set refuses,
// leaving the file as it was, a key that is no directive name and a value
// that no line can carry.
func (p *PoolFile) Set(key, v string) error {
	if err := checkKeySyntax(key); err != nil {
		return err
	}
	enc, err := encodeValue(v)
	if err != nil {
		return ops.Invalidf("the value of %s cannot be written: %v", key, err)
	}
	last := -1
	for i, l := range p.conf.lines {
		if l.kind == lineDirective && l.section == p.name && l.key == key {
			last = i
		}
	}
	if last >= 0 {
		old := p.conf.lines[last]
		eq := strings.IndexByte(old.text, '=')
		text := strings.TrimRight(old.text[:eq], " \t") + " = " + enc
		if c := commentStart(old.text[eq+1:]); c >= 0 {
			text += " " + old.text[eq+1+c:]
		}
		p.conf.lines[last].text, p.conf.lines[last].value = text, v
		return nil
	}
	_, at, ok := p.conf.span(p.name)
	if !ok {
		return ops.Invalidf("pool %s is not defined exactly once in its file", p.name)
	}
	for at > 0 && p.conf.lines[at-1].kind == lineBlank {
		at-- // keep trailing blank lines at the end
	}
	if at > 0 && p.conf.lines[at-1].eol == "" {
		p.conf.lines[at-1].eol = "\n"
	}
	eol := "\n"
	if at > 0 && p.conf.lines[at-1].eol == "\r\n" {
		eol = "\r\n" // a file written on Windows stays so
	}
	l := confLine{text: key + " = " + enc, eol: eol, kind: lineDirective, section: p.name, key: key, value: v}
	p.conf.lines = append(p.conf.lines[:at], append([]confLine{l}, p.conf.lines[at:]...)...)
	return nil
}

// checkKeySyntax refuses a key that could not be a directive of a pool
// file: it would otherwise change the file's structure.
func checkKeySyntax(key string) error {
	name, offset, array, err := splitKey(key)
	if err != nil || !keyNameRE().MatchString(name) || (array && !keyOffsetRE().MatchString(offset)) ||
		strings.ContainsAny(key, " \t") {
		return ops.Invalidf("%q is not a directive name: use letters, digits, '_' and '.', and for arrays NAME[KEY] with KEY of letters, digits, '_', '.' and '-'", key)
	}
	return nil
}

// checkPoolName refuses names that SPEC §1 does not allow, and "global",
// which php-fpm reads as its global section.
func checkPoolName(name string) error {
	if !ops.ValidName(name) {
		return ops.InvalidField(catalog.Target, "%q is not a valid pool name: use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit", name)
	}
	if strings.EqualFold(name, "global") {
		return ops.Invalidf("a pool cannot be called %q: php-fpm reads [global] as its own settings", name)
	}
	return nil
}
