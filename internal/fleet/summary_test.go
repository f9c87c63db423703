package fleet

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
)

func hostResults(n int, problems map[int]ops.Status) []HostResult {
	out := make([]HostResult, n)
	for i := range out {
		out[i] = HostResult{Host: fmt.Sprintf("web-%04d", i), Status: ops.StatusOK, Message: "3 programs, all RUNNING"}
		if st, ok := problems[i]; ok {
			out[i].Status, out[i].Message = st, "supervisord refused: no such process"
			out[i].Unreachable = i%2 == 1
		}
	}
	return out
}

// A summarised answer says so in its document, so every chat platform
// sends the file with it; an answer that shows every host has none.
func TestSummaryDocumentIsMarkedSummarised(t *testing.T) {
	t.Run("a few hosts", func(t *testing.T) {
		out, err := combine("web", hostResults(summaryOver, nil), nil, nil)
		if err != nil || out.Attachment != nil || len(out.Body.Hosts) != summaryOver {
			t.Fatalf("err %v, attachment %v, %d sections; want every host in the body and no document", err, out.Attachment, len(out.Body.Hosts))
		}
	})
	t.Run("a thousand hosts", func(t *testing.T) {
		out, err := combine("all", hostResults(1000, nil), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		f := out.Attachment
		if f == nil || !f.Summarised || f.Name != "hosts-all.txt" {
			t.Fatalf("document %+v, want hosts-all.txt marked summarised", f)
		}
		if n := strings.Count(string(f.Content), "3 programs, all RUNNING"); n != 1000 {
			t.Errorf("the document holds %d hosts' answers, want 1000", n)
		}
		if len(out.Body.Hosts) != 0 || !strings.Contains(out.Message, "1000 of 1000 hosts answered") {
			t.Errorf("the message does not summarise:\n%.500s", out.Message)
		}
	})
	t.Run("a thousand hosts, three with a problem", func(t *testing.T) {
		_, err := combine("all", hostResults(1000, map[int]ops.Status{7: ops.StatusFailed, 500: ops.StatusFailed, 999: ops.StatusFailed}), nil, nil)
		var e *ops.Error
		if !errors.As(err, &e) || e.Attachment == nil || !e.Attachment.Summarised {
			t.Fatalf("err %v; want a failure whose document is marked summarised", err)
		}
		if len(e.Body.Hosts) != 3 || !strings.Contains(e.Msg, "3 of 1000 hosts did not answer or failed") {
			t.Errorf("%d sections, message:\n%.500s", len(e.Body.Hosts), e.Msg)
		}
		if n := strings.Count(string(e.Attachment.Content), "web-"); n < 1000 {
			t.Errorf("the document names %d hosts, want all 1000", n)
		}
	})
}
