package witness_test

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger/witness"
)

// requireNotQuoted fails if err quotes any 12 characters of quoted.
func requireNotQuoted(t *testing.T, err error, quoted string) {
	t.Helper()
	require.Error(t, err)
	for i := 0; i+12 <= len(quoted); i++ {
		require.NotContains(t, err.Error(), quoted[i:i+12], "the error quotes the key")
	}
}

// AddLog's errors about the log's key quote no part of it: a private note signing key
// pasted by mistake must not end up in a log (after age's
// TestParseErrorsDoNotIncludeLine, and ledger's TestKeyErrorsDoNotIncludeKey).
func TestAddLogErrorsDoNotIncludeKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "w")
	_, err := witness.Init(dir, "witness.example/1")
	require.NoError(t, err)
	skey, vkey, err := note.GenerateKey(rand.Reader, "example.org/log")
	require.NoError(t, err)
	// The key is the last of the "+"-separated fields, and base64 may hold "+" itself.
	secret := strings.SplitN(skey, "+", 5)[4] // PRIVATE+KEY+name+hash+key
	pub := strings.SplitN(vkey, "+", 3)[2]    // name+hash+key
	prefix := vkey[:len(vkey)-len(pub)]
	raw, err := base64.StdEncoding.DecodeString(pub)
	require.NoError(t, err)
	raw[0] = 0x7f // no signature type has this algorithm byte
	otherType := base64.StdEncoding.EncodeToString(raw)
	for _, tt := range []struct {
		name, key, quoted string
	}{
		{"private signing key", skey, secret},
		{"private key, origin dropped", "PRIVATE+KEY+" + secret, secret},
		{"private key without its prefix", strings.TrimPrefix(skey, "PRIVATE+KEY+"), secret},
		{"bad base64", prefix + "!" + pub, pub},
		{"truncated", vkey[:len(vkey)-8], pub[:len(pub)-8]},
		{"wrong key type", prefix + otherType, otherType[1:]},
		{"too many parts", vkey + "+" + secret, secret},
		{"not a key at all", "the-secret-passphrase-here", "the-secret-passphrase-here"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := witness.AddLog(dir, "example.org/log", tt.key)
			requireNotQuoted(t, err, tt.quoted)
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
	requireNotQuoted(t, err, strings.SplitN(first, "+", 3)[2])
	requireNotQuoted(t, err, strings.SplitN(second, "+", 3)[2])
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
			requireNotQuoted(t, err, secret[:len(secret)-6])
			_, err = witness.Open(t.Context(), dir)
			requireNotQuoted(t, err, secret[:len(secret)-6])
		})
	}
}
