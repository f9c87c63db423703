package diff

import (
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	before := []byte("[program:web]\ncommand=/bin/a\nautostart=true\n")
	after := []byte("[program:web]\ncommand=/bin/b\nautostart=true\n")
	text, add, del := Unified("/etc/supervisor/conf.d/web.conf", before, after)
	want := "--- a/etc/supervisor/conf.d/web.conf\n+++ b/etc/supervisor/conf.d/web.conf\n@@ -1,3 +1,3 @@\n [program:web]\n-command=/bin/a\n+command=/bin/b\n autostart=true\n"
	if text != want || add != 1 || del != 1 {
		t.Errorf("diff (+%d -%d):\n%s\nwant:\n%s", add, del, text, want)
	}
	if text, _, _ := Unified("/x", before, before); text != "" {
		t.Errorf("equal files diff: %q", text)
	}
	text, add, _ = Unified("/x.conf", nil, after)
	if !strings.HasPrefix(text, "--- /dev/null\n+++ b/x.conf") || add != 3 {
		t.Errorf("new file:\n%s", text)
	}
	text, _, del = Unified("/x.conf", before, nil)
	if !strings.Contains(text, "+++ /dev/null") || del != 3 {
		t.Errorf("removed file:\n%s", text)
	}
}

func TestMaskHidesSecrets(t *testing.T) {
	before := []byte("[inet_http_server]\nport=127.0.0.1:9001\n")
	after := []byte("[inet_http_server]\nport=127.0.0.1:9001\npassword={SHA}abcdef0123\nusername=ops\nenv[DB_PASSWORD] = hunter2\nphp_admin_value[mail.token]=xyz\n")
	text, _, _ := Unified("/etc/supervisor/supervisord.conf", before, after)
	for _, secret := range []string{"abcdef0123", "hunter2", "xyz"} {
		if strings.Contains(text, secret) {
			t.Errorf("diff shows %q:\n%s", secret, text)
		}
	}
	if !strings.Contains(text, "+password=••••") || !strings.Contains(text, "+username=ops") {
		t.Errorf("diff:\n%s", text)
	}
}

func TestUnifiedMasksEnvironment(t *testing.T) {
	before := []byte("[program:w]\ncommand=/bin/w\nenvironment=A=\"1\",DB_PASSWORD=\"old-secret\"\n")
	after := []byte("[program:w]\ncommand=/bin/w\nenvironment=A=\"2\",\n  DB_PASSWORD=\"hunter2secret\",\n  api_token=tok\n")
	text, _, _ := Unified("/etc/supervisor/conf.d/w.conf", before, after)
	for _, secret := range []string{"old-secret", "hunter2secret", "tok\n"} {
		if strings.Contains(text, secret) {
			t.Errorf("diff shows %q:\n%s", secret, text)
		}
	}
	for _, want := range []string{`-environment=A="1",DB_PASSWORD="••••"`, `+environment=A="2",`, `+  DB_PASSWORD="••••",`, "+  api_token=••••"} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("diff lacks %q:\n%s", want, text)
		}
	}
}
