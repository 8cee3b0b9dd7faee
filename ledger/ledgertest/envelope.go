package ledgertest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
)

// NewSigner returns a fresh Ed25519 signer, for the entries a test appends to a ledger
// that authenticates them ([ledger.AuthenticatedAppender], the ledger server).
func NewSigner(tb testing.TB) *sign.Signer {
	tb.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(tb, err)
	s, err := sign.NewSigner(priv)
	require.NoError(tb, err)
	return s
}

// Envelope signs payload with signers (none: an unsigned envelope) as an in-toto
// statement, and returns the DSSE envelope as JSON and its commitment: the body of an
// append of the transition of issue 12, which ledger servers now refuse (415).
func Envelope(tb testing.TB, payload string, signers ...*sign.Signer) (envelope []byte, commitment [32]byte) {
	tb.Helper()
	env, err := sign.SignEnvelope(context.Background(), "application/vnd.in-toto+json", []byte(payload), signers...)
	require.NoError(tb, err)
	b, err := json.Marshal(env)
	require.NoError(tb, err)
	return b, env.Commitment()
}
