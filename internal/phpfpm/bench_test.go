package phpfpm

import (
	"fmt"
	"os/exec"
	"testing"

	"github.com/poolvisor/poolvisor/internal/ops"
	"github.com/poolvisor/poolvisor/internal/sandbox"
)

// BenchmarkPoolCreate measures a pool create end to end: both validation
// stages, the write, the reload and the socket checks. The delete that keeps
// the pool dir the same size is not timed. BenchmarkPHPFPMTest measures
// php-fpm -t alone, the yardstick of `make bench` (target: create ≤ 3 × test).
func BenchmarkPoolCreate(b *testing.B) {
	f := sandbox.FPM(b, sandbox.Pool{Name: "www"})
	be := testBackend(b, f)
	apply := func(o ops.Operation) {
		plan, err := be.Handlers()[o.Name].Plan(b.Context(), ops.Request{Op: o})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := plan.Apply(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("bench%d", i)
		apply(op("fpm.pool.create", name, "pm", "static", "max-children", "1"))
		b.StopTimer()
		apply(op("fpm.pool.delete", name))
		b.StartTimer()
	}
}

func BenchmarkPHPFPMTest(b *testing.B) {
	f := sandbox.FPM(b, sandbox.Pool{Name: "www"})
	for b.Loop() {
		if out, err := exec.Command(f.Binary, "-t", "-y", f.MainConfig).CombinedOutput(); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
	}
}
