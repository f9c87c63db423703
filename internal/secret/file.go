package secret

import (
	"fmt"
	"strings"
)

// File masks the secrets of a config file in supervisord's or php-fpm's
// ini syntax, line for line: the value of a key that names a secret
// (password=, env[DB_PASSWORD] =, php_admin_value[mail.token] =), the
// secret variables of environment=, and the secrets of a command= line
// (Text), with the continuation lines of each (supervisord reads an
// indented line as more of the value above it).
// Commented-out lines are masked too. Keys, sections and the number of
// lines stay as they are, so a diff of masked files still shows what
// changed where.
func File(text string) string {
	lines := strings.SplitAfter(text, "\n")
	const (
		none = iota
		secretValue
		environment
		command
	)
	state := none
	for i, l := range lines {
		body, eol := cutEOL(l)
		if strings.TrimSpace(body) == "" {
			continue // configparser keeps a value going across blank lines
		}
		// An indented line continues the value above it in supervisord;
		// in php-fpm it is a directive of its own, which a line of a
		// secret value never looks like.
		switch {
		case !blank(body[0]) || state == none:
		case state == environment:
			lines[i] = Pairs(body) + eol
			continue
		case state == command:
			lines[i] = Text(body) + eol
			continue
		case !strings.Contains(body, "="):
			lines[i] = body[:len(body)-len(strings.TrimLeft(body, " \t"))] + Mark + eol
			continue
		}
		state = none
		lead, rest := commentPrefix(body)
		sep := strings.IndexAny(rest, "=:")
		if sep < 0 || strings.HasPrefix(strings.TrimSpace(rest), "[") && !strings.Contains(rest[:sep], "]") {
			continue // a section header, or no key
		}
		key, value := rest[:sep], rest[sep+1:]
		k := strings.TrimSpace(key)
		switch {
		case strings.EqualFold(k, environmentKey):
			lines[i] = lead + key + rest[sep:sep+1] + Pairs(value) + eol
			state = environment
		case strings.EqualFold(k, commandKey):
			lines[i] = lead + key + rest[sep:sep+1] + Text(value) + eol
			state = command
		case Name(k):
			v := strings.TrimLeft(value, " \t")
			if v != "" {
				v = Mark
			}
			lines[i] = lead + key + rest[sep:sep+1] + value[:len(value)-len(strings.TrimLeft(value, " \t"))] + v + eol
			state = secretValue
		}
		if lead != "" {
			state = none // a comment has no continuation
		}
	}
	return strings.Join(lines, "")
}

// commentPrefix splits a commented-out line into its comment mark (with
// the blanks around it) and the rest.
func commentPrefix(line string) (lead, rest string) {
	t := strings.TrimLeft(line, " \t")
	if t == "" || (t[0] != ';' && t[0] != '#') {
		return "", line
	}
	n := len(line) - len(t) + 1
	for n < len(line) && (blank(line[n]) || line[n] == ';' || line[n] == '#') {
		n++
	}
	return line[:n], line[n:]
}

func cutEOL(l string) (body, eol string) {
	switch {
	case strings.HasSuffix(l, "\r\n"):
		return l[:len(l)-2], "\r\n"
	case strings.HasSuffix(l, "\n"):
		return l[:len(l)-1], "\n"
	}
	return l, ""
}

// Restore undoes the masking of File where an edited file keeps a masked
// line as it was shown: such a line gets its value back from current, the
// file as it is on disk. This is how a whole file edited in a chat form
// (which shows it masked) keeps the secrets its editor did not retype.
// A masked line the editor changed stays as edited; Unrestored finds
// the marks left.
func Restore(edited, current string) string {
	// Each masked line of current, by how it is shown, in file order:
	// the same masked line twice (password= in two sections) is given
	// back in the same order.
	originals := map[string][]string{}
	cur := strings.SplitAfter(current, "\n")
	for i, m := range strings.SplitAfter(File(current), "\n") {
		if mb, _ := cutEOL(m); i < len(cur) {
			if cb, _ := cutEOL(cur[i]); cb != mb {
				originals[mb] = append(originals[mb], cb)
			}
		}
	}
	lines := strings.SplitAfter(edited, "\n")
	for i, l := range lines {
		body, eol := cutEOL(l)
		if q := originals[body]; len(q) > 0 {
			lines[i], originals[body] = q[0]+eol, q[1:]
		}
	}
	return strings.Join(lines, "")
}

// Unrestored returns the 1-based number of the first line of edited that
// still holds the mark where current does not, or 0: a masked value its
// editor changed something else on, whose real value poolvisor cannot know.
func Unrestored(edited, current string) int {
	if strings.Count(edited, Mark) <= strings.Count(current, Mark) {
		return 0
	}
	for i, l := range strings.Split(edited, "\n") {
		if strings.Contains(l, Mark) && !strings.Contains(current, l) {
			return i + 1
		}
	}
	return 0
}

// Unmask is Restore, refusing an edited file that still holds a mark where
// the real value cannot be known (a masked line its editor changed), so
// that the mark is never written as a value.
func Unmask(edited, current string) (string, error) {
	edited = Restore(edited, current)
	if n := Unrestored(edited, current); n > 0 {
		return "", fmt.Errorf("line %d holds %s, a masked secret, on a line that was changed: its real value is not shown, "+
			"so type it in full, or leave that line exactly as it was shown to keep it", n, Mark)
	}
	return edited, nil
}
