package ledgertest

import (
	"flag"
	"io"

	"k8s.io/klog/v2"
)

// QuietKlog keeps what the libraries under test log through klog (Tessera, Trillian, the
// upstream witness) out of the test output: only messages of severity threshold
// ("ERROR", "FATAL") and above still reach stderr. Call it from TestMain, or before the
// library starts.
func QuietKlog(threshold string) {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", threshold)
	klog.SetOutput(io.Discard)
}
