package ledger_test

import (
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
)

// Errors about a log's or a witness's key quote no part of the key: a private note
// signing key pasted by mistake must not end up in a log (after age's
// TestParseErrorsDoNotIncludeLine).
func TestKeyErrorsDoNotIncludeKey(t *testing.T) {
	bad, _, vkey := ledgertest.BadNoteKeys(t, "example.org/log")
	for _, tt := range bad {
		t.Run(tt.Name, func(t *testing.T) {
			for what, trust := range map[string]*ledger.Trust{
				"log":     {Logs: []ledger.Log{{Origin: "example.org/log", VerifierKey: tt.Key}}},
				"witness": {Logs: []ledger.Log{{Origin: "example.org/log", VerifierKey: vkey, Witnesses: []string{tt.Key}, Quorum: 1}}},
			} {
				ledgertest.RequireNotQuoted(t, trust.Validate(), tt.Secret, what)
			}
		})
	}
}

// A private note signing key given as a log's key is named as such.
func TestPrivateKeyAsLogKey(t *testing.T) {
	skey, _, err := note.GenerateKey(rand.Reader, "example.org/log")
	require.NoError(t, err)
	err = (&ledger.Trust{Logs: []ledger.Log{{Origin: "example.org/log", VerifierKey: skey}}}).Validate()
	require.ErrorContains(t, err, "private note signing key")
}
