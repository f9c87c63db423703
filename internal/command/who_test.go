package command

import "testing"

func TestWho(t *testing.T) {
	tests := []struct{ text, want string }{
		{"ops grant <@U012AB> operator 30m", "slack:U012AB"},
		{"ops grant <@U012AB|alice> operator 30m", "slack:U012AB"},
		{"ops grant <@80351110224678912> operator 30m", "discord:80351110224678912"},
		{"ops grant <@!80351110224678912> operator 30m", "discord:80351110224678912"},
		{"ops grant alice operator 30m", "alice"},
		{"ops grant local:vic operator 30m", "local:vic"},
	}
	for _, tt := range tests {
		op, err := Parser{}.Parse(tt.text)
		if err != nil || op.Target != tt.want {
			t.Errorf("%q: target %q, err %v; want %q", tt.text, op.Target, err, tt.want)
		}
	}
	// 0s and irc:x parse: the grant refuses a zero span and a platform
	// RBAC does not know.
	for _, bad := range []string{"ops grant alice operator soon", "ops grant alice operator -5m",
		"ops grant <@x> operator 5m", "ops grant alice op/erator 5m", "ops breakglass admin 5m"} {
		if _, err := (Parser{}).Parse(bad); err == nil {
			t.Errorf("%q parses", bad)
		}
	}
}
