package supervisor

// This file applies the write policy (SPEC §6) to a program: whom it runs
// as, and where supervisord, as root, would create its log files. Values
// are checked as supervisord computes them (expansions resolved for the
// first process), and only those a write changes, so programs that broke
// the policy before poolvisor arrived can still be controlled and edited
// back into it.

import (
	"strings"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/writepolicy"
)

// progRunKeys are the keys that say what a program runs and how: a change
// to any of them is a change of what code runs as the program's user.
var progRunKeys = []string{"command", "environment", "user", "directory"}

// progLogKeys are the keys whose value is a file supervisord opens as root.
var progLogKeys = []string{"stdout_logfile", "stderr_logfile"}

// progLogChanged reports whether a write changes where or how supervisord
// writes the log k: the name itself, and also its rotation (which creates
// k.1, k.2, ... beside it and removes the oldest) and, for stderr_logfile,
// redirect_stderr (which makes supervisord ignore the file, or open it).
// A program whose log lies outside the policy keeps it as it is, but no
// write makes supervisord create more files there.
func progLogChanged(k string, changed func(string) bool) bool {
	if changed(k) || changed(k+"_maxbytes") || changed(k+"_backups") {
		return true
	}
	return k == "stderr_logfile" && changed("redirect_stderr")
}

// checkPolicy checks the program after a write (after) against its file
// before (nil for a new program). whole says the request gave the whole
// file (a raw edit or a rollback), which counts as changing everything.
func (b *Backend) checkPolicy(before, after *ProgramFile, whole bool, env ExpansionEnv) error {
	p := b.cfg.Policy
	was := map[string]string{}
	if before != nil {
		was = before.computed(env)
	}
	now := after.computed(env)
	// Values built from what poolvisor cannot compute all come out alike,
	// so a value counts as changed when its stored form changes too.
	wasRaw, nowRaw := map[string]string{}, after.storedValues()
	if before != nil {
		wasRaw = before.storedValues()
	}
	changed := func(k string) bool {
		w, had := was[k]
		n, has := now[k]
		return whole || had != has || w != n || wasRaw[k] != nowRaw[k]
	}
	var why []string
	if whole {
		why = append(why, "a whole-file edit")
	}
	for _, k := range progRunKeys {
		if !whole && changed(k) {
			why = append(why, "a change to "+k)
		}
	}
	if before == nil {
		why = []string{"a new program"}
	}
	if len(why) > 0 {
		user := now["user"]
		if !progResolved(user) && user != "" {
			return ops.InvalidField(keyField("user"), "user can't be checked against policy.program_users when it is built from %%(ENV_...)s or %%(here)s; write the user name itself")
		}
		if err := p.CheckProgramUser(user, strings.Join(why, " and ")); err != nil {
			return ops.WithField(err, keyField("user"))
		}
	}
	for _, k := range progLogKeys {
		v, ok := now[k]
		if !ok || !progLogChanged(k, changed) {
			continue
		}
		switch strings.ToLower(v) {
		case "none", "off", "auto", "syslog":
			continue // nothing, or supervisord's own child log directory, or syslog
		}
		if !progResolved(v) {
			return ops.InvalidField(keyField(k), "%s can't be checked against the write policy when it is built from %%(ENV_...)s, %%(here)s, %%(group_name)s or %%(host_node_name)s; write the path itself", k)
		}
		if err := p.CheckPath(k, v, writepolicy.File, b.cfg.LogDir); err != nil {
			return ops.WithField(err, keyField(k))
		}
	}
	return nil
}

// computed returns the program's keys with the values supervisord computes
// for its first process; a value it cannot compute here is marked so that
// progResolved is false for it.
func (f *ProgramFile) computed(env ExpansionEnv) map[string]string {
	out := map[string]string{}
	if f == nil || f.prog == nil {
		return out
	}
	e := newProgEval(f, env, env != nil)
	for k, v := range f.storedValues() {
		_, spec, err := lookupProgKey(k)
		if err != nil {
			out[k] = v
			continue
		}
		c, err := e.expand(k, spec, v)
		if err != nil {
			c = progUnknowable
		}
		out[k] = c
	}
	return out
}
