package sign

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSignEntry: every key type signs an entry that its verifier accepts; another entry,
// another key, or a tampered signature is refused.
func TestSignEntry(t *testing.T) {
	entry := bytes.Repeat([]byte{0xab}, 64)
	other := bytes.Repeat([]byte{0xcd}, 64)
	for _, kt := range keyTypes {
		t.Run(string(kt), func(t *testing.T) {
			s := testSigner(t, kt, "entry")
			sig, err := s.SignEntry(t.Context(), entry)
			require.NoError(t, err)
			v := s.Verifier()
			require.NoError(t, v.VerifyEntry(t.Context(), entry, sig))
			require.ErrorIs(t, v.VerifyEntry(t.Context(), other, sig), ErrInvalidSignature)
			bad := bytes.Clone(sig)
			bad[len(bad)/2] ^= 1
			require.ErrorIs(t, v.VerifyEntry(t.Context(), entry, bad), ErrInvalidSignature)
			require.ErrorIs(t, v.VerifyEntry(t.Context(), entry, nil), ErrInvalidSignature)
			require.ErrorIs(t, testSigner(t, kt, "another").Verifier().VerifyEntry(t.Context(), entry, sig), ErrInvalidSignature)
		})
	}
}

// TestSignEntryIsDomainSeparated: an entry signature is an Ed25519 signature over
// PAE(EntryPayloadType, entry), checked here with crypto/ed25519 alone; it does not
// verify as a DSSE signature over the same bytes as a statement, nor the reverse.
func TestSignEntryIsDomainSeparated(t *testing.T) {
	entry := bytes.Repeat([]byte{7}, 64)
	s := testSigner(t, Ed25519, "domain")
	sig, err := s.SignEntry(t.Context(), entry)
	require.NoError(t, err)
	pub := s.Public().(ed25519.PublicKey)
	want := []byte("DSSEv1 36 application/vnd.evidctl.log-entry.v1 64 " + string(entry))
	require.Equal(t, want, PAE(EntryPayloadType, entry))
	require.True(t, ed25519.Verify(pub, want, sig), "independent check of the signed bytes")

	env := &Envelope{PayloadType: testInTotoTyp, Payload: entry, Signatures: []Signature{{KeyID: s.KeyID(), Sig: sig}}}
	_, err = env.Verify(t.Context(), 1, s.Verifier())
	require.ErrorIs(t, err, ErrInvalidSignature, "an entry signature is no statement signature")

	stmt, err := SignEnvelope(t.Context(), testInTotoTyp, entry, s)
	require.NoError(t, err)
	require.ErrorIs(t, s.Verifier().VerifyEntry(t.Context(), entry, stmt.Signatures[0].Sig), ErrInvalidSignature, "a statement signature is no entry signature")
}

// TestSignEntryECDSAHashesPAE: an ECDSA entry signature is over SHA-256 of the PAE, as a
// DSSE signature is.
func TestSignEntryECDSAHashesPAE(t *testing.T) {
	entry := bytes.Repeat([]byte{9}, 64)
	k := rawKey(t, ECDSAP256, "entry-ecdsa")
	s := testSigner(t, ECDSAP256, "entry-ecdsa")
	sig, err := s.SignEntry(t.Context(), entry)
	require.NoError(t, err)
	sum := sha256.Sum256(PAE(EntryPayloadType, entry))
	require.True(t, ecdsa.VerifyASN1(k.Public().(*ecdsa.PublicKey), sum[:], sig))
}

func TestSignEntryRefusesEmptyOrHuge(t *testing.T) {
	s := testSigner(t, Ed25519, "sizes")
	for _, n := range []int{0, 1025} {
		_, err := s.SignEntry(t.Context(), make([]byte, n))
		require.Error(t, err, "%d bytes", n)
		require.Error(t, s.Verifier().VerifyEntry(t.Context(), make([]byte, n), []byte{1}), "%d bytes", n)
	}
}
