package form

import (
	"strings"

	"github.com/poolvisor/poolvisor/adapters/chat/view"
	"github.com/poolvisor/poolvisor/internal/ops"
)

// The raw editor (SPEC §1: `edit NAME --raw`) opens the whole file of a
// program or pool in one multi-line field, as its show gives it (secrets
// masked; a line left as shown keeps its value). Its submission is an
// operation, not command text (a file has line breaks), which the
// backends check as a whole like any write.

// RawField is the raw editor's one field, and the argument that carries
// a whole file to the backends.
const RawField = "content"

// RawText is the command an edit form's raw editor stands for.
func (f Form) RawText() string { return f.OpenText() + " --raw" }

// RawFile returns the file of the item in a show's result, with its path,
// if the result holds the item of f's kind and its content.
func (f Form) RawFile(res ops.Result) (path, content string, ok bool) {
	switch d := view.Decode(res.Data); {
	case f.Program() && d.Program != nil:
		path, content = d.Program.File, d.Program.Content
	case !f.Program() && d.Pool != nil:
		path, content = d.Pool.File, d.Pool.Content
	}
	return path, content, content != ""
}

// RawOperation is the edit that a submitted raw editor of f stands for:
// the whole file content, for f's item on its host and PHP-FPM. shown is
// the digest of the file the editor showed (ops.Digest of it), which the
// backend weighs the file against ("" for none).
func (f Form) RawOperation(content, shown string) ops.Operation {
	op := ops.Operation{Name: f.Cmd.Op, Target: f.Target, Host: f.Host, Text: "/" + f.RawText()}
	if f.PHP != "" && !f.Program() {
		op.Args = append(op.Args, ops.Arg{Key: ops.InstanceArg, Value: f.PHP})
	}
	if shown != "" {
		op.Args = append(op.Args, ops.Arg{Key: ops.ShownArg, Value: shown})
	}
	op.Args = append(op.Args, ops.Arg{Key: RawField, Value: content})
	return op
}

// RawEditor returns the edit form of op (supervisor.program.edit,
// fpm.pool.edit) for target whose raw editor a platform opened: what
// RawText, RawFile and RawOperation need, for a pool with its PHP-FPM.
func RawEditor(op, target, php string) (Form, bool) {
	c, ok := Lookup(op)
	if !ok || !strings.HasSuffix(op, ".edit") {
		return Form{}, false
	}
	fm := New(c, target, Short)
	if !fm.Program() {
		fm.PHP = php
	}
	return fm, true
}
