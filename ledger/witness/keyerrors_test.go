package witness_test

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/witness"
)

// AddLog's errors about the log's key quote no part of it: a private note signing key
// pasted by mistake must not end up in a log (after age's
// TestParseErrorsDoNotIncludeLine, and ledger's TestKeyErrorsDoNotIncludeKey).
func TestAddLogErrorsDoNotIncludeKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "w")
	_, err := witness.Init(dir, "witness.example/1")
	require.NoError(t, err)
	bad, _, _ := ledgertest.BadNoteKeys(t, "example.org/log")
	for _, tt := range bad {
		t.Run(tt.Name, func(t *testing.T) {
			err := witness.AddLog(dir, "example.org/log", tt.Key)
			ledgertest.RequireNotQuoted(t, err, tt.Secret)
			require.ErrorContains(t, err, "example.org/log", "the error names the log")
		})
	}
}

// A log listed under another key is refused naming that key by name and hash only.
func TestAddLogConflictDoesNotQuoteKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "w")
	_, err := witness.Init(dir, "witness.example/1")
	require.NoError(t, err)
	_, first, err := note.GenerateKey(rand.Reader, "example.org/log")
	require.NoError(t, err)
	_, second, err := note.GenerateKey(rand.Reader, "example.org/log")
	require.NoError(t, err)
	require.NoError(t, witness.AddLog(dir, "example.org/log", first))
	err = witness.AddLog(dir, "example.org/log", second)
	require.ErrorIs(t, err, witness.ErrLogKeyConflict)
	ledgertest.RequireNotQuoted(t, err, strings.SplitN(first, "+", 3)[2])
	ledgertest.RequireNotQuoted(t, err, strings.SplitN(second, "+", 3)[2])
	require.ErrorContains(t, err, strings.Join(strings.SplitN(first, "+", 3)[:2], "+"), "names the listed key by name and hash")
}

// A witness key file that does not hold a note signing key is refused without quoting
// what it holds.
func TestWitnessKeyErrorsDoNotIncludeKey(t *testing.T) {
	skey, _, err := note.GenerateKey(rand.Reader, "witness.example/1")
	require.NoError(t, err)
	secret := strings.SplitN(skey, "+", 5)[4]
	for name, content := range map[string]string{
		"truncated":      skey[:len(skey)-6],
		"no prefix":      strings.TrimPrefix(skey, "PRIVATE+KEY+"),
		"too many parts": skey + "+" + secret,
		"bad base64":     skey[:len(skey)-len(secret)] + "!" + secret,
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "w")
			_, err := witness.Init(dir, "witness.example/1")
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, witness.KeyFile), []byte(content+"\n"), 0o600))
			_, err = witness.VerifierKey(dir)
			ledgertest.RequireNotQuoted(t, err, secret[:len(secret)-6])
			_, err = witness.Open(t.Context(), dir)
			ledgertest.RequireNotQuoted(t, err, secret[:len(secret)-6])
		})
	}
}
