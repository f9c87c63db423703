package chat

import (
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

func TestFileFor(t *testing.T) {
	l := FileLimits{MaxTextChars: 100, MaxFileBytes: 1000}
	short, long := "a short answer", strings.Repeat("x", 101)
	doc := func(n int) *ops.Attachment { return &ops.Attachment{Name: "a.txt", Content: make([]byte, n)} }
	summary := func(n int) *ops.Attachment { return ops.Summary("hosts-all.txt", "text/plain", make([]byte, n)) }
	approval := map[string]any{"approval": map[string]any{"id": "a1", "operation": "supervisor.program.restart"}}
	cases := []struct {
		name string
		res  ops.Result
		want FileUse
	}{
		{"no document", ops.Result{Status: ops.StatusOK, Message: long}, NoFile},
		{"an empty document", ops.Result{Status: ops.StatusOK, Message: long, Attachment: doc(0)}, NoFile},
		{"the text as a document, fitting", ops.Result{Status: ops.StatusOK, Message: short, Attachment: doc(50)}, NoFile},
		{"the text as a document, too long", ops.Result{Status: ops.StatusOK, Message: long, Attachment: doc(500)}, FileInstead},
		{"a summary, short", ops.Result{Status: ops.StatusOK, Message: short, Attachment: summary(500)}, FileWith},
		{"a summary of a failure", ops.Result{Status: ops.StatusFailed, Message: short, Attachment: summary(500)}, FileWith},
		{"a summary, too long itself", ops.Result{Status: ops.StatusOK, Message: long, Attachment: summary(500)}, FileWith},
		{"a summary larger than the platform takes", ops.Result{Status: ops.StatusOK, Message: short, Attachment: summary(1001)}, FileTooLarge},
		{"a long document larger than the platform takes", ops.Result{Status: ops.StatusOK, Message: long, Attachment: doc(1001)}, FileTooLarge},
		{"an approval request", ops.Result{Status: ops.StatusPending, Message: short, Data: approval, Attachment: summary(500)}, NoFile},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := FileFor(c.res, l); got != c.want {
				t.Errorf("FileFor = %d, want %d", got, c.want)
			}
		})
	}
}

func TestFileName(t *testing.T) {
	cases := []struct{ name, op, want string }{
		{"hosts-all.txt", "supervisor.program.list", "hosts-all.txt"},
		{"audit-web-01-20260101-120000.csv", "ops.audit", "audit-web-01-20260101-120000.csv"},
		{"", "ops.audit", "poolvisor-ops.audit.txt"},
		{"../../etc/passwd", "x", "passwd"},
		{`..\..\boot.ini`, "x", "boot.ini"},
		{"a\"b\r\nContent-Type: evil.txt", "x", "a-b--Content-Type--evil.txt"},
		{".hidden", "x", "hidden"},
		{"...", "fpm.pool.list", "poolvisor-fpm.pool.list.txt"},
		{"hôtes tous.txt", "x", "h-tes-tous.txt"},
		{strings.Repeat("a", 200) + ".csv", "x", strings.Repeat("a", 96) + ".csv"},
	}
	for _, c := range cases {
		if got := FileName(c.name, c.op); got != c.want {
			t.Errorf("FileName(%q) = %q, want %q", c.name, got, c.want)
		}
		if got := FileName(c.name, c.op); len(got) > maxFileName {
			t.Errorf("FileName(%q) is %d long", c.name, len(got))
		}
	}
}

func TestDocumentKeepsTheContent(t *testing.T) {
	res := ops.Result{Operation: "ops.audit", Attachment: &ops.Attachment{Name: "x/../a b.csv", Content: []byte("id\n1\n")}}
	d := Document(res)
	if d.Name != "a-b.csv" || d.ContentType != "application/octet-stream" || string(d.Content) != "id\n1\n" {
		t.Errorf("Document = %+v", d)
	}
	if res.Attachment.Name != "x/../a b.csv" {
		t.Error("Document changed the result's attachment")
	}
}

func TestByteSize(t *testing.T) {
	for n, want := range map[int]string{12: "12 bytes", 2048: "2.0 KiB", 3 << 20: "3.0 MiB"} {
		if got := ByteSize(n); got != want {
			t.Errorf("ByteSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDocumentMediaType(t *testing.T) {
	cases := map[string]string{
		"text/csv; charset=utf-8; header=present": "text/csv; charset=utf-8; header=present",
		"text/plain; charset=utf-8":               "text/plain; charset=utf-8",
		"":                                        "application/octet-stream",
		"text/plain\r\nX-Evil: 1":                 "application/octet-stream",
	}
	for in, want := range cases {
		d := Document(ops.Result{Attachment: &ops.Attachment{Name: "a.txt", ContentType: in, Content: []byte("x")}})
		if d.ContentType != want {
			t.Errorf("media type %q became %q, want %q", in, d.ContentType, want)
		}
	}
}
