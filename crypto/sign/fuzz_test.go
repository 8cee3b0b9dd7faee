package sign

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/stretchr/testify/require"
)

// FuzzParseEnvelope: any input yields an envelope or an error, never a panic; an
// accepted envelope re-encodes to an equal one and can be verified.
func FuzzParseEnvelope(f *testing.F) {
	s := testSigner(f, Ed25519, "a")
	env, err := SignEnvelope(context.Background(), testInTotoTyp, []byte(testPayload), s)
	require.NoError(f, err)
	good, err := json.Marshal(env)
	require.NoError(f, err)
	for _, seed := range []string{
		string(good),
		`{"payloadType":"t","payload":"aGVsbG8=","signatures":[{"keyid":"k","sig":"AA=="}]}`,
		`{"payloadType":"t","payload":"","signatures":[{"sig":"AA=="}]}`,
		`{"payloadType":"t","payload":"aGVsbG8=","signatures":[{"keyid":"k","keyid":"k","sig":"AA=="}]}`,
		`{"payloadType":"","payload":"","signatures":[]}`,
		`{"payloadType":"t","payload":"-_8=","signatures":[{"sig":""}]}`,
		`[]`, `null`, `{}`, `{"a":`, ``,
	} {
		f.Add([]byte(seed))
	}
	v := s.Verifier()
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEnvelope(b)
		if err != nil {
			require.Nil(t, e)
			require.ErrorIs(t, err, ErrMalformedEnvelope)
			return
		}
		require.NotEmpty(t, e.PayloadType)
		require.NotEmpty(t, e.Signatures)
		out, err := json.Marshal(e)
		require.NoError(t, err)
		again, err := ParseEnvelope(out)
		require.NoError(t, err)
		require.Equal(t, e.Commitment(), again.Commitment())
		require.Equal(t, e.Signatures, again.Signatures)
		_, _ = e.Verify(context.Background(), 1, v)
	})
}

// FuzzLoadVerifier: any public key PEM yields a verifier or an error.
func FuzzLoadVerifier(f *testing.F) {
	for _, kt := range keyTypes {
		pem, err := cryptoutils.MarshalPublicKeyToPEM(rawKey(f, kt, "a").Public())
		require.NoError(f, err)
		f.Add(pem)
	}
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n"))
	f.Add([]byte("not pem"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := LoadVerifier(b)
		if err != nil {
			require.Nil(t, v)
			return
		}
		id, err := KeyID(v.Public())
		require.NoError(t, err)
		require.Equal(t, id, v.KeyID())
	})
}

// FuzzLoadSigner: any private key PEM yields a signer or an error, never a panic.
// A structurally valid key costs one scrypt derivation, so mutations that keep the
// structure run slowly; most are rejected before key derivation.
func FuzzLoadSigner(f *testing.F) {
	f.Add(testKeyPair(f, Ed25519).PrivatePEM, []byte(testPassword))
	f.Add(testKeyPair(f, ECDSAP256).PrivatePEM, []byte("wrong-password-0123"))
	f.Add([]byte("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\ne30=\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"), []byte("x"))
	f.Add([]byte("-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\nbnVsbA==\n-----END ENCRYPTED COSIGN PRIVATE KEY-----\n"), []byte(""))
	f.Fuzz(func(t *testing.T, b, password []byte) {
		s, err := LoadSigner(b, func(bool) ([]byte, error) { return password, nil })
		if err != nil {
			require.Nil(t, s)
			if len(password) >= 16 { // shorter ones may be words of the message
				require.NotContains(t, err.Error(), string(password))
			}
			return
		}
		require.NotEmpty(t, s.KeyID())
	})
}
