//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger/witness"
)

// TestWitnessServeSIGTERM: 'witness serve' stops cleanly on SIGTERM (as a service
// manager stops it), exits 0 and removes its listen file. (SIGINT: witness.txtar.)
func TestWitnessServeSIGTERM(t *testing.T) {
	dir := t.TempDir()
	_, err := witness.Init(filepath.Join(dir, "w"), "witness.test/sigterm")
	require.NoError(t, err)
	listenFile := filepath.Join(dir, "w.addr")
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"witness", "serve", "--dir", filepath.Join(dir, "w"), "--listen", "127.0.0.1:0", "--listen-file", listenFile},
			strings.NewReader(""), &stdout, &stderr)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if fi, err := os.Stat(listenFile); err == nil && fi.Size() > 0 {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("witness serve exited with %d before listening: %s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline), "no listen file after 20 s")
	}
	// The listen file is written after serve asked for SIGTERM, so the signal reaches it
	// and not the test binary's default handler.
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	select {
	case code := <-done:
		require.Equal(t, 0, code, stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatal("witness serve did not stop on SIGTERM")
	}
	require.NoFileExists(t, listenFile)
}
