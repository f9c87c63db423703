package hostscan

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes l for a person: each supervisord file with what it
// defines, each PHP-FPM installation with its pools, then the problems with
// their fixes and the notes. It never writes a password: a Layout holds none.
func (l Layout) WriteText(w io.Writer) error {
	var b strings.Builder
	if s := l.Supervisor; s != nil {
		fmt.Fprintf(&b, "supervisord: %s (%s)\n", s.ConfigFile, s.FoundBy)
		if s.URL != "" {
			fmt.Fprintf(&b, "  url:          %s%s\n", s.URL, authText(s.Username, s.HasPassword))
		}
		for _, inc := range s.Includes {
			fmt.Fprintf(&b, "  include:      %s\n", inc)
		}
		if s.ProgramDir != "" {
			fmt.Fprintf(&b, "  new programs: %s/<name>%s\n", s.ProgramDir, s.ProgramExt)
		}
		if s.LogDir != "" {
			fmt.Fprintf(&b, "  log dir:      %s\n", s.LogDir)
		}
		for _, f := range s.Files {
			fmt.Fprintf(&b, "  %s: %s\n", f.Path, f.describe())
		}
	} else {
		b.WriteString("supervisord: not found\n")
	}
	if len(l.PHP) == 0 {
		b.WriteString("PHP-FPM: not found\n")
	}
	for _, in := range l.PHP {
		fmt.Fprintf(&b, "PHP-FPM %s (%s", in.Name, in.Flavor)
		if in.Version != "" && in.Version != in.Name {
			fmt.Fprintf(&b, ", PHP %s", in.Version)
		}
		fmt.Fprintf(&b, "): %s\n", in.Binary)
		fmt.Fprintf(&b, "  main config:  %s\n", in.MainConfig)
		for _, inc := range in.Includes {
			fmt.Fprintf(&b, "  include:      %s\n", inc)
		}
		fmt.Fprintf(&b, "  service:      %s\n", in.Service.describe())
		for _, p := range in.Pools {
			fmt.Fprintf(&b, "  pool %s: %s%s\n", p.Name, p.File, p.describe())
		}
	}
	if len(l.Problems) > 0 {
		b.WriteString("problems:\n")
		for _, p := range l.Problems {
			fmt.Fprintf(&b, "  - %s\n", p)
		}
	}
	if len(l.Notes) > 0 {
		b.WriteString("notes:\n")
		for _, n := range l.Notes {
			fmt.Fprintf(&b, "  - %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func authText(user string, password bool) string {
	switch {
	case user != "" && password:
		return " (username " + user + ", password required)"
	case user != "":
		return " (username " + user + ")"
	case password:
		return " (password required)"
	}
	return ""
}

func (f ProgramFile) describe() string {
	var parts []string
	for _, p := range f.Programs {
		s := p.Kind + " " + p.Name
		if p.User != "" {
			s += " (user " + p.User + ")"
		}
		parts = append(parts, s)
	}
	for _, g := range f.Groups {
		parts = append(parts, "group "+g.Name+" ("+strings.Join(g.Programs, ", ")+")")
	}
	for _, e := range f.EventListeners {
		parts = append(parts, "eventlistener "+e)
	}
	if len(parts) == 0 {
		return "defines nothing"
	}
	return strings.Join(parts, "; ")
}

func (s Service) describe() string {
	switch s.Mode {
	case "systemd":
		return "systemd unit " + s.Unit
	case "signal":
		return "signals, pid file " + s.PIDFile
	}
	return "unknown (see problems)"
}

func (p Pool) describe() string {
	var parts []string
	if p.Listen != "" {
		parts = append(parts, "listen "+p.Listen)
	}
	if p.User != "" {
		parts = append(parts, "user "+p.User)
	}
	if len(p.MoreFiles) > 0 {
		parts = append(parts, "also in "+strings.Join(p.MoreFiles, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
