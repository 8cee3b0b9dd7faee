package sign

import (
	"context"
	"crypto"
	"io"
	"testing"

	"github.com/sigstore/sigstore/pkg/signature/kms/fake"
	"github.com/stretchr/testify/require"
)

func TestNewSigner(t *testing.T) {
	for _, kt := range keyTypes {
		for _, opaque := range []bool{false, true} {
			name := string(kt) + "/in-memory"
			var key crypto.Signer = rawKey(t, kt, "a")
			if opaque {
				name = string(kt) + "/opaque crypto.Signer"
				key = opaqueSigner{key}
			}
			t.Run(name, func(t *testing.T) {
				s, err := NewSigner(key)
				require.NoError(t, err)
				require.Equal(t, opaque, s.external)
				want, err := KeyID(key.Public())
				require.NoError(t, err)
				require.Equal(t, want, s.KeyID())
				require.Equal(t, want, s.Verifier().KeyID())
				require.Equal(t, key.Public(), s.Public())

				env, err := SignEnvelope(context.Background(), testInTotoTyp, []byte(testPayload), s)
				require.NoError(t, err)
				ids, err := env.Verify(context.Background(), 1, s.Verifier())
				require.NoError(t, err)
				require.Equal(t, []string{want}, ids)
			})
		}
	}
}

// faultySigner returns signatures that do not verify, like a misconfigured token.
type faultySigner struct{ opaqueSigner }

func (f faultySigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	sig, err := f.opaqueSigner.Sign(r, digest, opts)
	if err == nil {
		sig[len(sig)-1] ^= 1
	}
	return sig, err
}

func TestNewSignerChecksExternalSignatures(t *testing.T) {
	for _, kt := range keyTypes {
		t.Run(string(kt), func(t *testing.T) {
			s, err := NewSigner(faultySigner{opaqueSigner{rawKey(t, kt, "a")}})
			require.NoError(t, err)
			_, err = SignEnvelope(context.Background(), testInTotoTyp, []byte(testPayload), s)
			require.ErrorContains(t, err, "does not verify")

			env, err := SignEnvelope(context.Background(), testInTotoTyp, []byte(testPayload), testSigner(t, kt, "b"))
			require.NoError(t, err)
			require.ErrorContains(t, env.AddSignature(context.Background(), s), "does not verify")
			require.Len(t, env.Signatures, 1)
		})
	}
}

func TestNewSignerErrors(t *testing.T) {
	p224, rsa1024 := weakKeys(t)
	tests := []struct {
		name   string
		signer crypto.Signer
		want   error
	}{
		{"ecdsa p-224", p224, ErrUnsupportedKey},
		{"rsa 1024", rsa1024, ErrUnsupportedKey},
		{"opaque rsa 1024", opaqueSigner{rsa1024}, ErrUnsupportedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSigner(tt.signer)
			require.ErrorIs(t, err, tt.want)
		})
	}
	t.Run("nil", func(t *testing.T) {
		_, err := NewSigner(nil)
		require.Error(t, err)
	})
}

func TestLoadKMSSigner(t *testing.T) {
	key := rawKey(t, ECDSAP256, "kms")
	ctx := context.WithValue(context.Background(), fake.KmsCtxKey{}, crypto.PrivateKey(key))
	s, err := LoadKMSSigner(ctx, fake.ReferenceScheme+"case-42")
	require.NoError(t, err)
	want, err := KeyID(key.Public())
	require.NoError(t, err)
	require.Equal(t, want, s.KeyID())

	env, err := SignEnvelope(ctx, testInTotoTyp, []byte(testPayload), s)
	require.NoError(t, err)
	v, err := NewVerifier(key.Public())
	require.NoError(t, err)
	ids, err := env.Verify(ctx, 1, v)
	require.NoError(t, err)
	require.Equal(t, []string{want}, ids)
}

func TestLoadKMSSignerErrors(t *testing.T) {
	tests := []struct {
		name    string
		uri     string
		want    error
		mention string
	}{
		{"no provider", "nosuchkms://projects/p/keys/k", ErrNoKMSProvider, `"nosuchkms"`},
		{"not a URI", "projects/p/keys/k", nil, "SCHEME://KEY"},
		{"empty scheme", "://k", nil, "SCHEME://KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadKMSSigner(context.Background(), tt.uri)
			require.Error(t, err)
			if tt.want != nil {
				require.ErrorIs(t, err, tt.want)
			}
			require.ErrorContains(t, err, tt.mention)
		})
	}
}
