package secret

import (
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "db_password": true, "MYSQL_PASS": true, "passwd": true,
		"API_TOKEN": true, "aws_secret_access_key": true, "APP_KEY": true, "GOOGLE_CREDENTIALS": true,
		"env[DB_PASSWORD]": true, "php_admin_value[mail.token]": true, "password": true,
		"DB_HOST": false, "APP_ENV": false, "command": false, "env[DB_USER]": false, "pm.max_children": false,
	} {
		if got := Name(name); got != want {
			t.Errorf("Name(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestPairs(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"quoted secret among others", `A="1",DB_PASSWORD="hunter2secret"`, `A="1",DB_PASSWORD="••••"`},
		{"bare values", `APP_ENV=production,API_TOKEN=abc123,B=2`, `APP_ENV=production,API_TOKEN=••••,B=2`},
		{"comma inside quotes", `DB_PASSWORD="a,b,c",QUEUES="high,low"`, `DB_PASSWORD="••••",QUEUES="high,low"`},
		{"single quotes", `SECRET_KEY='x"y'`, `SECRET_KEY='••••'`},
		{"lowercase name", `db_password=hunter2`, `db_password=••••`},
		{"expansion as the value", `DB_PASSWORD="%(ENV_DB_PASSWORD)s",HOME="%(ENV_HOME)s"`, `DB_PASSWORD="••••",HOME="%(ENV_HOME)s"`},
		{"bare expansion", `DB_PASSWORD=%(ENV_X)s,B=1`, `DB_PASSWORD=••••,B=1`},
		{"blanks around =", `DB_PASSWORD = hunter2 , B = 1`, `DB_PASSWORD = ••••, B = 1`},
		{"space inside a bare value", `DB_PASSWORD=abc def,B=1`, `DB_PASSWORD=••••,B=1`},
		{"unclosed quote hides the rest", `DB_PASSWORD="abc,B=1`, `DB_PASSWORD="••••"`},
		{"empty value", `DB_PASSWORD=,B=1`, `DB_PASSWORD=,B=1`},
		{"nothing secret", `A=1,B="two words"`, `A=1,B="two words"`},
		{"over a line break", "A=1,\n  DB_PASSWORD=\"x\",\n  B=2", "A=1,\n  DB_PASSWORD=\"••••\",\n  B=2"},
		{"key= inside a value", `A="DB_PASSWORD=x"`, `A="DB_PASSWORD=••••`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Pairs(tc.in); got != tc.want {
				t.Errorf("Pairs(%s)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestValue(t *testing.T) {
	for _, tc := range []struct{ key, in, want string }{
		{"environment", `A="1",DB_PASSWORD="x"`, `A="1",DB_PASSWORD="••••"`},
		{"Environment", `TOKEN=x`, `TOKEN=••••`},
		{"env[DB_PASSWORD]", "hunter2", Mark},
		{"php_admin_value[mail.api_key]", "k", Mark},
		{"password", "{SHA}abc", Mark},
		{"password", "", ""},
		{"command", "/bin/app --token=abc", "/bin/app --token=••••"},
		{"command", "php artisan queue:work  --api-key 'a b' --tries=3", "php artisan queue:work  --api-key '••••' --tries=3"},
		{"command", "DB_PASSWORD=x /bin/app --password", "DB_PASSWORD=•••• /bin/app --password"},
		{"command", "/bin/app --tries 3", "/bin/app --tries 3"},
		{"env[DB_HOST]", "db", "db"},
	} {
		if got := Value(tc.key, tc.in); got != tc.want {
			t.Errorf("Value(%q, %q) = %q, want %q", tc.key, tc.in, got, tc.want)
		}
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`/supervisor add w --command /bin/w --set environment=A="1",DB_PASSWORD="hunter2secret"`,
			`/supervisor add w --command /bin/w --set environment=A="1",DB_PASSWORD="••••"`},
		{`supervisor edit w --set "environment=DB_PASSWORD=hunter2 B=1"`, `supervisor edit w --set "environment=DB_PASSWORD=•••• B=1"`},
		{`fpm pool edit api --set env[DB_PASSWORD]=hunter2`, `fpm pool edit api --set env[DB_PASSWORD]=••••`},
		{`login --password hunter2 --user x`, `login --password •••• --user x`},
		{`login  --secret "two words"  --user x`, `login  --secret "••••"  --user x`},
		{`supervisor add w --command "app --token t" --user x`, `supervisor add w --command "app --token ••••" --user x`},
		{`x --command 'a --secret "s s" b'`, `x --command 'a --secret "••••" b'`},
		{`supervisor status`, `supervisor status`},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%s)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestFile(t *testing.T) {
	in := strings.Join([]string{
		"[program:web]",
		"command=/usr/bin/web --api-token t0k --tries 3",
		"  --password hunter2",
		`environment=A="1",DB_PASSWORD="hunter2secret",`,
		`  API_TOKEN=tok123,`,
		"",
		`  B="x,y"`,
		"user=www-data",
		"[inet_http_server]",
		"password = {SHA}abcdef",
		"username=ops",
		";password=oldsecret",
		"[api]",
		"env[DB_PASSWORD] = hunter2",
		"env[DB_HOST] = db.internal",
		"php_admin_value[mail.token]=xyz",
		"  env[APP_KEY] = base64:k",
		"  env[APP_NAME] = shop",
		"",
	}, "\n")
	want := strings.Join([]string{
		"[program:web]",
		"command=/usr/bin/web --api-token •••• --tries 3",
		"  --password ••••",
		`environment=A="1",DB_PASSWORD="••••",`,
		`  API_TOKEN=••••,`,
		"",
		`  B="x,y"`,
		"user=www-data",
		"[inet_http_server]",
		"password = ••••",
		"username=ops",
		";password=••••",
		"[api]",
		"env[DB_PASSWORD] = ••••",
		"env[DB_HOST] = db.internal",
		"php_admin_value[mail.token]=••••",
		"  env[APP_KEY] = ••••",
		"  env[APP_NAME] = shop",
		"",
	}, "\n")
	if got := File(in); got != want {
		t.Errorf("File:\n%s\nwant:\n%s", got, want)
	}
	if got := File(strings.ReplaceAll(in, "\n", "\r\n")); got != strings.ReplaceAll(want, "\n", "\r\n") {
		t.Errorf("File with CRLF:\n%q", got)
	}
}

func TestFileContinuedSecret(t *testing.T) {
	in := "[supervisorctl]\npassword=\n  hunter2\nusername=u\n"
	want := "[supervisorctl]\npassword=\n  ••••\nusername=u\n"
	if got := File(in); got != want {
		t.Errorf("File:\n%s\nwant:\n%s", got, want)
	}
}

func TestRestore(t *testing.T) {
	current := "[program:w]\ncommand=/bin/w\nenvironment=A=\"1\",DB_PASSWORD=\"hunter2\"\n[x]\npassword=p1\n[y]\npassword=p2\n"
	shown := File(current)
	for _, tc := range []struct{ name, edited, want string }{
		{"unchanged", shown, current},
		{"other line edited", strings.Replace(shown, "/bin/w", "/bin/w2", 1), strings.Replace(current, "/bin/w", "/bin/w2", 1)},
		{"secret retyped", strings.Replace(shown, `DB_PASSWORD="••••"`, `DB_PASSWORD="new"`, 1),
			strings.Replace(current, `DB_PASSWORD="hunter2"`, `DB_PASSWORD="new"`, 1)},
		{"CRLF from a form", strings.ReplaceAll(shown, "\n", "\r\n"), strings.ReplaceAll(current, "\n", "\r\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Restore(tc.edited, current)
			if got != tc.want {
				t.Errorf("Restore:\n%s\nwant:\n%s", got, tc.want)
			}
			if n := Unrestored(got, current); n != 0 {
				t.Errorf("Unrestored = %d", n)
			}
		})
	}
	edited := strings.Replace(shown, `A="1"`, `A="2"`, 1)
	if n := Unrestored(Restore(edited, current), current); n != 3 {
		t.Errorf("a changed line that keeps a mark: Unrestored = %d, want 3", n)
	}
}

// TestCommandAcrossLines: supervisord joins a command's continuation
// lines with line breaks, and splits words across them: a flag at the end
// of one line takes the first word of the next. A comment line between
// does not end the value (configparser skips it).
func TestCommandAcrossLines(t *testing.T) {
	if got := Value("command", "/usr/bin/web\n--password hunter2"); got != "/usr/bin/web\n--password ••••" {
		t.Errorf("Value over two lines: %q", got)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"the value on the next line", "[program:web]\ncommand=/usr/bin/web --password\n  hunter2\nuser=app\n",
			"[program:web]\ncommand=/usr/bin/web --password\n  ••••\nuser=app\n"},
		{"a comment between", "[program:w]\ncommand=/bin/w\n; note\n  --api-token t0k\n",
			"[program:w]\ncommand=/bin/w\n; note\n  --api-token ••••\n"},
		{"a blank line between", "[program:w]\ncommand=/bin/w --token\n\n  t0k\n",
			"[program:w]\ncommand=/bin/w --token\n\n  ••••\n"},
		{"environment after a comment", "[program:w]\nenvironment=A=1,\n# more\n  API_TOKEN=x\n",
			"[program:w]\nenvironment=A=1,\n# more\n  API_TOKEN=••••\n"},
		{"CRLF", "[program:w]\r\ncommand=/bin/w --password\r\n  hunter2\r\n", "[program:w]\r\ncommand=/bin/w --password\r\n  ••••\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := File(tc.in); got != tc.want {
				t.Errorf("File:\n%q\nwant:\n%q", got, tc.want)
			}
		})
	}
}

// TestTextWholeWords: a word is what the shell (and supervisord) takes
// for one: quotes and backslashes included.
func TestTextWholeWords(t *testing.T) {
	for in, want := range map[string]string{
		`app --password a\ b --x`:       `app --password •••• --x`,
		`env 'DB_PASSWORD=a b' app`:     `env 'DB_PASSWORD=••••' app`,
		`app "--token" x`:               `app "--token" ••••`,
		`app --tries "3 4" --secret=s1`: `app --tries "3 4" --secret=••••`,
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestUnmaskRefusesAMovedSecret: a masked line moved where File would not
// mask it (away from the value it belongs to) would get its secret back
// in clear: refused. Left where it was shown, it keeps its value.
func TestUnmaskRefusesAMovedSecret(t *testing.T) {
	current := "[program:w]\ncommand=/bin/w\n  --api-token t0k\ndirectory=/srv\n"
	shown := File(current)
	if !strings.Contains(shown, "  --api-token ••••") {
		t.Fatalf("shown:\n%s", shown)
	}
	kept := strings.Replace(shown, "directory=/srv", "directory=/srv/app", 1)
	if got, err := Unmask(kept, current); err != nil || !strings.Contains(got, "--api-token t0k") {
		t.Errorf("kept in place: %v\n%s", err, got)
	}
	moved := "[program:w]\ncommand=/bin/w\ndirectory=/srv\n  --api-token ••••\n"
	if got, err := Unmask(moved, current); err == nil || !strings.Contains(err.Error(), "moved away") {
		t.Errorf("moved under directory=: %v\n%s", err, got)
	}
}

// TestUnrestoredLineByLine: a mark written by hand elsewhere in the file
// (a comment) does not let a changed masked line through.
func TestUnrestoredLineByLine(t *testing.T) {
	current := "[program:w]\n; old token: ••••\ncommand=/bin/w --token t0k\n"
	edited := "[program:w]\n; old token: ••••\ncommand=/bin/w2 --token ••••\n"
	if _, err := Unmask(edited, current); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("a changed masked line: %v", err)
	}
}
