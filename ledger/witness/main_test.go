package witness_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/witness"
)

// helperEnv makes the re-executed test binary a witness process (see process_test.go).
const helperEnv = "WITNESS_TEST_HELPER"

func TestMain(m *testing.M) {
	// The upstream witness logs refusals through klog; keep test output to failures.
	ledgertest.QuietKlog("FATAL")
	if os.Getenv(helperEnv) == "serve" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		if err := witness.Serve(ctx, os.Getenv("DIR"), "127.0.0.1:0", witness.WithListenFile(os.Getenv("LISTEN"))); err != nil {
			fmt.Fprintln(os.Stderr, "witness helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
