package ledger_test

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger"
)

// Errors about a log's or a witness's key quote no part of the key: a private note
// signing key pasted by mistake must not end up in a log (after age's
// TestParseErrorsDoNotIncludeLine).
func TestKeyErrorsDoNotIncludeKey(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "example.org/log")
	require.NoError(t, err)
	// The key is the last of the "+"-separated fields, and base64 may hold "+" itself.
	secret := strings.SplitN(skey, "+", 5)[4] // PRIVATE+KEY+name+hash+key
	pub := strings.SplitN(vkey, "+", 3)[2]    // name+hash+key
	prefix := vkey[:len(vkey)-len(pub)]
	raw, err := base64.StdEncoding.DecodeString(pub)
	require.NoError(t, err)
	raw[0] = 0x7f // no signature type has this algorithm byte (0x01 is Ed25519, 0x04 a cosignature key)
	otherType := base64.StdEncoding.EncodeToString(raw)
	tests := []struct {
		name, key, quoted string
	}{
		{"private signing key", skey, secret},
		{"private key, origin dropped", "PRIVATE+KEY+" + secret, secret},
		{"bad base64", prefix + "!" + pub, pub},
		{"truncated", vkey[:len(vkey)-8], pub[:len(pub)-8]},
		{"wrong key type", prefix + otherType, otherType[1:]},
		{"too many parts", vkey + "+" + secret, secret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for what, trust := range map[string]*ledger.Trust{
				"log":     {Logs: []ledger.Log{{Origin: "example.org/log", VerifierKey: tt.key}}},
				"witness": {Logs: []ledger.Log{{Origin: "example.org/log", VerifierKey: vkey, Witnesses: []string{tt.key}, Quorum: 1}}},
			} {
				err := trust.Validate()
				require.Error(t, err, what)
				for i := 0; i+12 <= len(tt.quoted); i++ {
					require.NotContains(t, err.Error(), tt.quoted[i:i+12], "%s: error quotes the key", what)
				}
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
