package mattermost

import (
	"testing"

	model "github.com/poolvisor/poolvisor/adapters/chat/form"
)

// TestDialogLineBreakIsRefusedOnItsField: a line break in a one-line
// field (which Mattermost's text element cannot type, but a submission
// made by hand can carry) is refused under that field before anything
// is run, not as a form-wide error from the grammar.
func TestDialogLineBreakIsRefusedOnItsField(t *testing.T) {
	fm, ok := dialogFor("supervisor add")
	if !ok {
		t.Fatal("supervisor add opens no dialog")
	}
	tests := []struct {
		name, field, value string
	}{
		{"line feed", "command", "/bin/true\n[program:x]\ncommand=/bin/sh"},
		{"carriage return", "directory", "/srv\r[program:x]"},
		{"NUL", "user", "www-data\x00root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := map[string]any{"name": "worker", "command": "/bin/true", tt.field: tt.value}
			text, errs := fm.Text(submission(values), model.Base{})
			if text != "" || errs[tt.field] == "" {
				t.Errorf("text %q, errors %v", text, errs)
			}
		})
	}
}

// TestRawDialogFor: an edit with --raw, and for a pool --php in either
// order, opens the raw editor; nothing else does.
func TestRawDialogFor(t *testing.T) {
	for text, want := range map[string]string{
		"supervisor edit web --raw":          "supervisor edit web --raw",
		"fpm pool edit www --raw --php 8.2":  "fpm pool edit www --php 8.2 --raw",
		"fpm pool edit www --php 8.2 --raw":  "fpm pool edit www --php 8.2 --raw",
		"supervisor add --raw":               "",
		"supervisor edit --raw":              "",
		"supervisor edit web":                "",
		"supervisor edit web --raw --php 8":  "",
		"fpm pool edit www --raw --user bob": "",
	} {
		fm, ok := rawDialogFor(text)
		if got := map[bool]string{true: fm.RawText()}[ok]; got != want {
			t.Errorf("rawDialogFor(%q) = %q, want %q", text, got, want)
		}
	}
}
