package custody_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/evidctl/evidctl/custody"
)

// BenchmarkVerifyFile parses and verifies the bundle TestWriteBundleForBench wrote into
// the directory EVIDCTL_BENCH_BUNDLE names, under its trust policy, without building
// it again (building 10,000 events takes minutes): an A/B comparison of verification
// alone. Without EVIDCTL_BENCH_BUNDLE it is skipped.
func BenchmarkVerifyFile(b *testing.B) {
	dir := os.Getenv("EVIDCTL_BENCH_BUNDLE")
	if dir == "" {
		b.Skip("set EVIDCTL_BENCH_BUNDLE=DIR (see TestWriteBundleForBench)")
	}
	data, err := os.ReadFile(filepath.Join(dir, "bench"+custody.BundleSuffix))
	if err != nil {
		b.Fatal(err)
	}
	pol, err := custody.ReadPolicy(filepath.Join(dir, "bench-trust.json"))
	if err != nil {
		b.Fatal(err)
	}
	start, n := cpuTime(), 0
	for b.Loop() {
		parsed, err := custody.ParseBundle(data)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := custody.Verify(context.Background(), parsed, pol)
		if err != nil || !rep.Valid {
			b.Fatalf("verify: %v %+v", err, rep.Failures)
		}
		n++
	}
	if used := cpuTime() - start; used > 0 && n > 0 {
		b.ReportMetric(float64(used.Milliseconds())/float64(n), "cpu-ms/op")
	}
}
