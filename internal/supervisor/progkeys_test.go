package supervisor

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestLookupProgKey(t *testing.T) {
	tests := []struct {
		key, want, err string
	}{
		{key: "command", want: "command"},
		{key: "Stdout_Logfile_MaxBytes", want: "stdout_logfile_maxbytes"},
		{key: "comand", err: `did you mean "command"?`},
		{key: "stopsignals", err: `did you mean "stopsignal"?`},
		{key: "environement", err: `did you mean "environment"?`},
		{key: "working-directory", err: `did you mean "directory"?`},
		{key: "logfile", err: `did you mean "stdout_logfile"?`},
		{key: "stdout_logfile_max_bytes", err: `did you mean "stdout_logfile_maxbytes"?`},
		{key: "xyzzy", err: "it knows autorestart, autostart, command,"},
		{key: "\u212aillasgroup", err: "no key"}, // Kelvin sign: Python would lower it to k
		{key: "", err: "no key"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, _, err := lookupProgKey(tt.key)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("lookupProgKey(%q) = %q, %v; want error with %q", tt.key, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("lookupProgKey(%q) = %q, %v; want %q", tt.key, got, err, tt.want)
			}
		})
	}
}

func TestProgEnvTokens(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		comment bool
		err     bool
	}{
		{in: `A=1,B="x y"`, want: []string{"A", "=", "1", ",", "B", "=", `"x y"`}},
		{in: `A=x"y z"`, want: []string{"A", "=", `x"y`, `z"`}},
		{in: `A=*.log`, want: []string{"A", "=", "*", ".log"}},
		{in: `A=é`, want: []string{"A", "=", "é"}},
		{in: "A=1,\n  B=2", want: []string{"A", "=", "1", ",", "B", "=", "2"}},
		{in: `A=x#y,B=2`, want: []string{"A", "=", "x"}, comment: true},
		{in: "A=x#y\nB", want: []string{"A", "=", "xB"}, comment: true},
		{in: `A="x`, err: true},
		{in: ``, want: nil},
	}
	for _, tt := range tests {
		got, comment, err := progEnvTokens(tt.in)
		if (err != nil) != tt.err || comment != tt.comment || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("progEnvTokens(%q) = %q, %v, %v; want %q, %v, error %v", tt.in, got, comment, err, tt.want, tt.comment, tt.err)
		}
	}
}

// progValueSamples are values for each of supervisor's datatypes, tricky ones
// included; TestProgDatatypesMatchSupervisor has supervisor judge them.
var progValueSamples = map[string][]string{
	"boolean":           {"true", "TRUE", "Yes", "on", "1", "0", "off", "No", "false", "maybe", "", "tru", "1.0", "ｔｒｕｅ", "true "},
	"auto_restart":      {"true", "unexpected", "UNEXPECTED", "false", "0", "maybe", "unexpected ", "ｕnexpected"},
	"integer":           {"5", "-5", "+5", "05", "1_000", "٣", "5.0", "0x10", "", "+-5", "- 5", "99999999999999999999"},
	"byte_size":         {"50MB", "50mb", "1KB", "1kb", "2gb", "1 KB", "-1", "+1", "1TB", "MB", "1.5MB", "0", "50", "5_0MB", "1\u212ab"},
	"signal_number":     {"TERM", "sigterm", "SIGTERM", "9", "0", "_DFL", "RTMIN", "64", "65", "33", "foo", "KILL ", "-9", "iot", "ｔerm"},
	"list_of_exitcodes": {"0", "0,2", "0, 2", "255", "256", "-1", "0,,2", "a", "0,2,", " 1 ,2"},
	"octal_type":        {"022", "0022", "777", "0777", "0o22", "8", "1000", "0", "", "-1", "+7"},
	"dict_of_key_value_pairs": {
		`A=1`, `A=1,B=2`, `A=1,B=2,`, `A="x y",B='z'`, `A=x"y"`, `A=""`, `A=`, `A=1 B=2`, `A=1;B=2`,
		`A=1,,B=2`, `A=x#y`, `A="x#y"`, `A=*.log`, `A="*.log"`, `A=é`, `A="é"`, `A=/usr/bin:/bin`,
		`A=(x)`, `A="a,b",B=c`, `1A=x`, `A.B=x`, `A-B=x`, `"A"=x`, `A==x`, `A='x"`, "A=1,\n B=2", `A=100%`,
		`A="100%"`, `A=-x`, `A=+x`, `A=x y`, `A=x\y`, `A="x\"y"`, ``, `,`, `A`,
	},
}

// TestProgDatatypesMatchSupervisor checks poolvisor's readers of each datatype
// against supervisor's own: whatever poolvisor accepts, supervisor accepts
// with the same meaning (poolvisor may refuse more).
func TestProgDatatypesMatchSupervisor(t *testing.T) {
	var req progPyRequest
	for fn, values := range progValueSamples {
		for _, v := range values {
			req.Values = append(req.Values, [2]string{fn, v})
		}
	}
	resp := progAskSupervisor(t, req)
	for i, q := range req.Values {
		fn, v := q[0], q[1]
		py := resp.Values[i]
		var err error
		var mine any
		switch fn {
		case "boolean":
			err = progCheckBool("k", v)
		case "auto_restart":
			err = progCheckAutorestart("k", v)
		case "integer":
			n, ok := progParseInt(v)
			if !ok {
				err = progErrBad
			}
			mine = float64(n)
		case "byte_size":
			err = progCheckBytes("k", v)
		case "signal_number":
			err = progCheckSignal("k", v)
		case "list_of_exitcodes":
			err = progCheckExitcodes("k", v)
		case "octal_type":
			err = progCheckUmask("k", v)
		case "dict_of_key_value_pairs":
			var env map[string]string
			env, err = progParseEnvironment("k", v)
			m := map[string]any{}
			for k, x := range env {
				m[k] = x
			}
			mine = m
		}
		if err == nil && py.Error != "" {
			t.Errorf("%s(%q): poolvisor accepts, supervisor says %s", fn, v, py.Error)
		}
		if err == nil && mine != nil && !reflect.DeepEqual(mine, py.Value) {
			t.Errorf("%s(%q): poolvisor reads %#v, supervisor %#v", fn, v, mine, py.Value)
		}
		if testing.Verbose() && err != nil && py.Error == "" {
			t.Logf("%s(%q): poolvisor is stricter than supervisor (%v)", fn, v, err)
		}
	}
}

var progErrBad = errors.New("not a number")
