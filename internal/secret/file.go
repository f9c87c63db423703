package secret

import (
	"fmt"
	"slices"
	"strings"
)

// File masks the secrets of a config file in supervisord's or php-fpm's
// ini syntax, line for line: the value of a key that names a secret
// (password=, env[DB_PASSWORD] =, php_admin_value[mail.token] =), the
// secret variables of environment=, and the secrets of a command= value
// (Text, over its first line and its continuation lines together, so a
// flag at the end of one line and its value on the next are seen as
// supervisord sees them), with the continuation lines of each
// (supervisord reads an indented line as more of the value above it; a
// blank line or a comment line between does not end it, as configparser
// skips them). Commented-out lines are masked too. Keys, sections and
// the number of lines stay as they are, so a diff of masked files still
// shows what changed where.
func File(text string) string {
	lines := strings.SplitAfter(text, "\n")
	state := none
	for i := range lines {
		body, eol := cutEOL(lines[i])
		if strings.TrimSpace(body) == "" {
			continue // configparser keeps a value going across blank lines
		}
		lead, rest := commentPrefix(body)
		comment := lead != ""
		// An indented line continues the value above it in supervisord;
		// in php-fpm it is a directive of its own, which a line of a
		// secret value never looks like.
		if !comment && blank(body[0]) {
			switch {
			case state == environment:
				lines[i] = Pairs(body) + eol
				continue
			case state == command:
				continue // masked with the value's first line
			case state == secretValue && !strings.Contains(body, "="):
				lines[i] = body[:len(body)-len(strings.TrimLeft(body, " \t"))] + Mark + eol
				continue
			}
		}
		was := state
		state = none
		sep := strings.IndexAny(rest, "=:")
		if sep >= 0 && !(strings.HasPrefix(strings.TrimSpace(rest), "[") && !strings.Contains(rest[:sep], "]")) {
			key, value := rest[:sep], rest[sep+1:]
			k := strings.TrimSpace(key)
			switch {
			case strings.EqualFold(k, environmentKey):
				lines[i] = lead + key + rest[sep:sep+1] + Pairs(value) + eol
				state = environment
			case strings.EqualFold(k, commandKey) && comment:
				lines[i] = lead + key + rest[sep:sep+1] + Text(value) + eol
			case strings.EqualFold(k, commandKey):
				maskCommand(lines, i, lead+key+rest[sep:sep+1], value, eol)
				state = command
			case Name(k):
				v := strings.TrimLeft(value, " \t")
				if v != "" {
					v = Mark
				}
				lines[i] = lead + key + rest[sep:sep+1] + value[:len(value)-len(strings.TrimLeft(value, " \t"))] + v + eol
				state = secretValue
			}
		}
		if comment {
			state = was // a comment line is skipped: the value above goes on
		}
	}
	return strings.Join(lines, "")
}

// What the line above an indented line was, for File.
const (
	none = iota
	secretValue
	environment
	command
)

// maskCommand masks the command= value that starts on lines[i] (after
// head) with its continuation lines, as one command line: supervisord
// joins them with line breaks before it splits the words. Blank and
// comment lines between are not part of the value and stay as they are.
func maskCommand(lines []string, i int, head, value, eol string) {
	at, parts := []int{i}, []string{value}
	eols := []string{eol}
	for j := i + 1; j < len(lines); j++ {
		body, e := cutEOL(lines[j])
		if lead, _ := commentPrefix(body); strings.TrimSpace(body) == "" || lead != "" {
			continue
		}
		if !blank(body[0]) {
			break
		}
		at, parts, eols = append(at, j), append(parts, body), append(eols, e)
	}
	masked := strings.Split(Text(strings.Join(parts, "\n")), "\n")
	if len(masked) != len(parts) { // Text keeps every line break; never so
		masked = slices.Repeat([]string{Mark}, len(parts))
	}
	lines[i] = head + masked[0] + eols[0]
	for k := 1; k < len(at); k++ {
		lines[at[k]] = masked[k] + eols[k]
	}
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
// holds the mark and is not a line of current as it is (a mark written
// there by hand, say in a comment): a masked value its editor changed
// something else on, whose real value poolvisor cannot know, or 0.
func Unrestored(edited, current string) int {
	have := map[string]bool{}
	for _, l := range strings.Split(current, "\n") {
		have[strings.TrimSuffix(l, "\r")] = true
	}
	for i, l := range strings.Split(edited, "\n") {
		if strings.Contains(l, Mark) && !have[strings.TrimSuffix(l, "\r")] {
			return i + 1
		}
	}
	return 0
}

// Unmask is Restore, refusing an edited file that still holds a mark where
// the real value cannot be known (a masked line its editor changed), so
// that the mark is never written as a value; and refusing one where a
// line given its value back would not be masked where it now stands (a
// masked line moved under a comment or another key, past the value it
// belonged to), so that a secret never reaches a diff or a show by way
// of the raw editor.
func Unmask(edited, current string) (string, error) {
	restored := Restore(edited, current)
	sub, res := strings.SplitAfter(edited, "\n"), strings.SplitAfter(restored, "\n")
	remasked := strings.SplitAfter(File(restored), "\n")
	for i := range res {
		if i < len(sub) && i < len(remasked) && res[i] != sub[i] && remasked[i] != sub[i] {
			return "", fmt.Errorf("line %d is a masked line (%s) moved away from the value it was shown in, where its secret would no longer be masked: "+
				"leave masked lines where they were shown, or type the value in full", i+1, Mark)
		}
	}
	if n := Unrestored(restored, current); n > 0 {
		return "", fmt.Errorf("line %d holds %s, a masked secret, on a line that was changed: its real value is not shown, "+
			"so type it in full, or leave that line exactly as it was shown to keep it", n, Mark)
	}
	return restored, nil
}
