package phpfpm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// TestRawEditWeighsThePoolShown: a raw edit of a pool carries the digest
// of the section its editor showed; a pool file written meanwhile makes it
// a conflict that writes nothing and reloads nothing.
func TestRawEditWeighsThePoolShown(t *testing.T) {
	t.Parallel()
	f := sandbox.FPM(t, sandbox.Pool{Name: "www"}, sandbox.Pool{Name: "api", PM: "dynamic", MaxChildren: 4})
	b := testBackend(t, f)
	show := run(t, b, op("fpm.pool.show", "api"))
	wantStatus(t, "show", show, ops.StatusOK)
	shown := show.data.(ops.PoolShow).Pool.Content
	if shown == "" {
		t.Fatalf("show gave no content: %+v", show.data)
	}
	path := filepath.Join(f.PoolDir, "api.conf")
	hand, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hand = append(hand, []byte("pm.max_requests = 77\n")...)
	if err := os.WriteFile(path, hand, 0o644); err != nil {
		t.Fatal(err)
	}
	before := dirDigest(t, f.PoolDir)
	edited := strings.Replace(shown, "pm.max_children = 4", "pm.max_children = 5", 1)
	r := run(t, b, op("fpm.pool.edit", "api", ops.ShownArg, ops.Digest([]byte(shown)), "content", edited))
	wantStatus(t, "a pool written meanwhile", r, ops.StatusConflict, "changed since its editor opened")
	if dirDigest(t, f.PoolDir) != before {
		t.Error("a conflicting raw edit changed the pool files")
	}
}
