package ledgertest

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
)

// BadNoteKey is a note key that must be refused, and the part of it that no error may
// quote.
type BadNoteKey struct {
	// Name says what is wrong with Key.
	Name string
	// Key is what is given as a verifier key.
	Key string
	// Secret is the part of Key an error must not quote.
	Secret string
}

// BadNoteKeys returns keys that a log's or a witness's verifier key must not be: a
// private note signing key of origin (whole, or without its origin), and a verifier
// key of origin that has bad base64, is truncated, has an unknown key type or too many
// parts. They are made from a fresh key pair, returned too.
func BadNoteKeys(t testing.TB, origin string) (bad []BadNoteKey, skey, vkey string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	require.NoError(t, err)
	// The key is the last of the "+"-separated fields, and base64 may hold "+" itself.
	secret := strings.SplitN(skey, "+", 5)[4] // PRIVATE+KEY+name+hash+key
	pub := strings.SplitN(vkey, "+", 3)[2]    // name+hash+key
	prefix := vkey[:len(vkey)-len(pub)]
	raw, err := base64.StdEncoding.DecodeString(pub)
	require.NoError(t, err)
	raw[0] = 0x7f // no signature type has this algorithm byte (0x01 is Ed25519, 0x04 a cosignature key)
	otherType := base64.StdEncoding.EncodeToString(raw)
	return []BadNoteKey{
		{"private signing key", skey, secret},
		{"private key, origin dropped", "PRIVATE+KEY+" + secret, secret},
		{"bad base64", prefix + "!" + pub, pub},
		{"truncated", vkey[:len(vkey)-8], pub[:len(pub)-8]},
		{"wrong key type", prefix + otherType, otherType[1:]},
		{"too many parts", vkey + "+" + secret, secret},
		{"private key without its prefix", strings.TrimPrefix(skey, "PRIVATE+KEY+"), secret},
		{"not a key at all", "the-secret-passphrase-here", "the-secret-passphrase-here"},
	}, skey, vkey
}

// RequireNotQuoted fails unless err is an error that quotes no 12 characters of
// secret (after age's TestParseErrorsDoNotIncludeLine). msgAndArgs, as for require,
// say which error it is.
func RequireNotQuoted(t testing.TB, err error, secret string, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	for i := 0; i+12 <= len(secret); i++ {
		if strings.Contains(err.Error(), secret[i:i+12]) {
			require.Fail(t, "the error quotes the key", msgAndArgs...)
		}
	}
}
