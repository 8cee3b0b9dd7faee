package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

// TestPendingEventCLI: an access whose checkpoint the witness did not cosign may be in
// the log all the same, holding the item's custody head; the signed event is kept beside
// the bundle, and the next command completes it (with the receipt of the entry logged
// then) instead of signing another, so the bundle stays complete.
func TestPendingEventCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the witnessed log's bounded wait (about 10 s)")
	}
	dir := t.TempDir()
	w := witnesstest.Start(t, "w1")
	witnessedHome(t, dir, "evidence.test/cli-pending", 1, w)
	mustCLI(t, dir, "acquire", "image.dd", "--key", "lab.key", "--recipient", "lab.recipient.txt", "--out", "case")
	before, err := os.ReadFile(filepath.Join(dir, "case.custody.json"))
	require.NoError(t, err)

	w.Stop()
	code, _, stderr := cli(t, dir, "access", "case.custody.json", "--key", "lab.key", "--purpose", "triage")
	require.Equal(t, exitUsage, code, stderr)
	require.Contains(t, stderr, "access of item")
	require.Contains(t, stderr, "was signed but not confirmed by the log")
	require.Contains(t, stderr, "hint: the signed access is kept in case.custody.json.pending: the next command on this bundle completes it")
	after, err := os.ReadFile(filepath.Join(dir, "case.custody.json"))
	require.NoError(t, err)
	require.Equal(t, before, after, "the bundle is unchanged")
	require.FileExists(t, filepath.Join(dir, "case.custody.json.pending"))

	w.Restart(t)
	code, stdout, stderr := cli(t, dir, "access", "case.custody.json", "--key", "lab.key", "--purpose", "a second look")
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stderr, "completed the event signed earlier that the log had not confirmed")
	require.Contains(t, stdout, "access: item")
	require.NoFileExists(t, filepath.Join(dir, "case.custody.json.pending"))
	show := mustCLI(t, dir, "show", "case.custody.json")
	require.Contains(t, show, "triage")
	require.NotContains(t, show, "a second look", "nothing new was signed")
	require.Contains(t, mustCLI(t, dir, "verify", "case.custody.json", "--trust", "trust.json"), "custody bundle: VALID")
	require.Contains(t, mustCLI(t, dir, "audit", "case.custody.json", "--trust", "trust.json"), "complete as of checkpoint 2")
}
