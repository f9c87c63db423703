package phpfpm

// A pool's own lines in a file that php-fpm reads: what an edit, a raw
// edit, a delete and a rollback of that pool may change, when the file
// holds other pools, [global] or directives of its own too.

// headers returns the line indexes of the headers of section name.
func (f *confFile) headers(name string) []int {
	var at []int
	for i, l := range f.lines {
		if l.kind == lineSection && l.section == name {
			at = append(at, i)
		}
	}
	return at
}

// alone reports whether the file holds section name and nothing else that
// php-fpm reads: no other section, no directive outside it.
func (f *confFile) alone(name string) bool {
	found := false
	for _, l := range f.lines {
		switch {
		case l.kind == lineSection && l.section != name:
			return false
		case l.kind == lineSection:
			found = true
		case l.kind == lineDirective && l.section != name:
			return false
		}
	}
	return found
}

// span returns the lines [from, to) that are pool name's own: in a file
// that holds the pool alone, the whole file; else its header, the lines up
// to the next header, and the comment lines right above its header (what
// a person writes about a pool stands there) — but not the comments right
// above the next header, nor the comments that open the file. ok is false
// unless the section occurs exactly once.
func (f *confFile) span(name string) (from, to int, ok bool) {
	at := f.headers(name)
	if len(at) != 1 {
		return 0, 0, false
	}
	if f.alone(name) {
		return 0, len(f.lines), true
	}
	h := at[0]
	from, to = h, len(f.lines)
	if f.sectionBefore(h) {
		from = h - f.lead(h)
	}
	for i := h + 1; i < len(f.lines); i++ {
		if f.lines[i].kind == lineSection {
			to = i - f.lead(i)
			break
		}
	}
	return from, to, true
}

// lead counts the comment lines right above line i, with no blank line
// between them and it.
func (f *confFile) lead(i int) int {
	n := 0
	for i-n-1 >= 0 && f.lines[i-n-1].kind == lineComment {
		n++
	}
	return n
}

// sectionBefore reports whether a section header comes before line i.
func (f *confFile) sectionBefore(i int) bool {
	for j := 0; j < i; j++ {
		if f.lines[j].kind == lineSection {
			return true
		}
	}
	return false
}

// splice returns the file with lines [from, to) replaced by repl; a
// replacement that does not end its last line gets one when lines follow.
func (f *confFile) splice(from, to int, repl []confLine) *confFile {
	repl = append([]confLine(nil), repl...)
	if n := len(repl); n > 0 && repl[n-1].eol == "" && to < len(f.lines) {
		repl[n-1].eol = "\n"
	}
	if from > 0 && f.lines[from-1].eol == "" && len(repl) > 0 {
		prev := f.lines[from-1]
		prev.eol = "\n"
		out := append(append([]confLine(nil), f.lines[:from-1]...), prev)
		return &confFile{lines: append(append(out, repl...), f.lines[to:]...)}
	}
	out := append(append([]confLine(nil), f.lines[:from]...), repl...)
	return &confFile{lines: append(out, f.lines[to:]...)}
}

// onlyComments reports whether the file holds nothing php-fpm reads.
func (f *confFile) onlyComments() bool {
	for _, l := range f.lines {
		if l.kind == lineSection || l.kind == lineDirective {
			return false
		}
	}
	return true
}
