package phpfpm

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// trickyValues are values whose reading by PHP's ini scanner is easy to get
// wrong.
var trickyValues = []string{
	"/tmp/a;b", "x y ; z", `a"b`, `back\slash`, `end\`, `"`, `\"`, `\\`, "${HOME}", "${", "$", "$x",
	"E_ALL", "PHP_VERSION", "yes", "None", "off", "NULL", "", " lead", "trail ", "tab\there", "é ü 世界",
	"100%", "a=b", "[global]", "]", "a&b|c^d~e!f(g)h", "'single'", "{braces}", "#hash", `\$`, `x\"`,
	"; comment", "1.5e3", "-1", "0660", "127.0.0.1:9000", "/run/php/php8.2-x-fpm.sock",
	strings.Repeat("x", 900), // php-fpm -tt cuts log lines at log_limit (1024)
}

// rawValues are hand-written value texts (after "key =") whose decoding
// must match what php-fpm reads.
var rawValues = []string{
	`"x;y" ; trailing comment`, `'single ; "kept" \'`, `"esc \" \\ \$ \q"`, `  spaced out   ; c`,
	`"a" "b"  'c' 'd'`, `"C:\path\"`, ``, `""`, `128M`, `/usr/bin:/bin`, `5;no space`, `"x"y"z"`,
	`a   "b"   c`, `a'b'c`, `"%"`, `"tab	in"`, `"a\\"`, `dynamic`, `a b   c`,
}

// TestValuesReadBackInPHPFPM checks encodeValue and decodeValue against
// php-fpm itself: php-fpm -tt prints every php_value it read.
func TestValuesReadBackInPHPFPM(t *testing.T) {
	t.Parallel()
	bin, _, err := sandbox.PHPFPMPath()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var pool strings.Builder
	pool.WriteString("[q]\nlisten = " + filepath.Join(dir, "q.sock") + "\npm = static\npm.max_children = 1\n")
	if os.Geteuid() == 0 {
		pool.WriteString("user = nobody\n")
	}
	want := map[string]string{}
	for i, v := range trickyValues {
		enc, err := encodeValue(v)
		if err != nil {
			t.Fatalf("encodeValue(%q): %v", v, err)
		}
		fmt.Fprintf(&pool, "php_value[v%d] = %s\n", i, enc)
		want[fmt.Sprintf("v%d", i)] = v
	}
	for i, raw := range rawValues {
		v, err := decodeValue(" " + raw)
		if err != nil {
			t.Fatalf("decodeValue(%q): %v", raw, err)
		}
		fmt.Fprintf(&pool, "php_value[r%d] = %s\n", i, raw)
		want[fmt.Sprintf("r%d", i)] = v
	}
	if err := os.Mkdir(filepath.Join(dir, "pool.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pool.d", "q.conf"), []byte(pool.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(dir, "php-fpm.conf")
	mainText := fmt.Sprintf("[global]\nerror_log = %s\ninclude = %s\n", filepath.Join(dir, "fpm.log"), filepath.Join(dir, "pool.d", "*.conf"))
	if err := os.WriteFile(main, []byte(mainText), 0o644); err != nil {
		t.Fatal(err)
	}
	out := fpmTT(t, bin, main)
	got := map[string]string{}
	re := regexp.MustCompile(`(?m)NOTICE: \tphp_value\[([vr]\d+)\] = (.*)$`)
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		got[m[1]] = m[2]
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: php-fpm read %q (found %v), poolvisor says %q", k, g, ok, v)
		}
	}
}
