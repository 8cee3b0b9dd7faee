package sign

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVerify(t *testing.T) {
	ctx := context.Background()
	a := testSigner(t, ECDSAP256, "a")
	b := testSigner(t, Ed25519, "b")
	c := testSigner(t, RSA3072, "c")
	x := testSigner(t, ECDSAP256, "untrusted")
	va, vb, vc := a.Verifier(), b.Verifier(), c.Verifier()

	sign := func(signers ...*Signer) *Envelope {
		e, err := SignEnvelope(ctx, testInTotoTyp, []byte(testPayload), signers...)
		require.NoError(t, err)
		return e
	}
	edit := func(e *Envelope, f func(*Envelope)) *Envelope { f(e); return e }

	tests := []struct {
		name      string
		env       *Envelope
		threshold int
		verifiers []*Verifier
		want      []string // accepted key ids on success
		wantErr   error    // sentinel, or nil
		threshErr bool     // a *ThresholdError
	}{
		{"one of one", sign(a), 1, []*Verifier{va}, []string{a.KeyID()}, nil, false},
		{"tampered payload", edit(sign(a), func(e *Envelope) { e.Payload[10] ^= 1 }), 1, []*Verifier{va}, nil, ErrInvalidSignature, true},
		{"tampered payloadType", edit(sign(a), func(e *Envelope) { e.PayloadType = "application/json" }), 1, []*Verifier{va}, nil, ErrInvalidSignature, true},
		{"tampered signature", edit(sign(b), func(e *Envelope) { e.Signatures[0].Sig[0] ^= 1 }), 1, []*Verifier{vb}, nil, ErrInvalidSignature, true},
		{"untrusted key only", sign(x), 1, []*Verifier{va}, nil, ErrUnknownKey, true},
		{"untrusted key is skipped", sign(x, a), 1, []*Verifier{va}, []string{a.KeyID()}, nil, false},
		{"2 of 3", sign(c, a), 2, []*Verifier{va, vb, vc}, []string{c.KeyID(), a.KeyID()}, nil, false},
		{"3 of 3", sign(a, b, c), 3, []*Verifier{vc, vb, va}, []string{a.KeyID(), b.KeyID(), c.KeyID()}, nil, false},
		{"2 of 3 with one signature", sign(a), 2, []*Verifier{va, vb, vc}, nil, nil, true},
		{"2 of 3 with one trusted and one untrusted", sign(a, x), 2, []*Verifier{va, vb, vc}, nil, ErrUnknownKey, true},
		{"same key twice counts once", edit(sign(a), func(e *Envelope) {
			e.Signatures = append(e.Signatures, e.Signatures[0])
		}), 2, []*Verifier{va, vb}, nil, nil, true},
		{"no keyid is tried against all keys", edit(sign(b), func(e *Envelope) { e.Signatures[0].KeyID = "" }), 1, []*Verifier{va, vb}, []string{b.KeyID()}, nil, false},
		{"no keyid and no trusted key", edit(sign(x), func(e *Envelope) { e.Signatures[0].KeyID = "" }), 1, []*Verifier{va, vb}, nil, ErrUnknownKey, true},
		{"keyid of another trusted key", edit(sign(b), func(e *Envelope) { e.Signatures[0].KeyID = a.KeyID() }), 1, []*Verifier{va, vb}, nil, ErrInvalidSignature, true},
		{"empty sig", edit(sign(a), func(e *Envelope) { e.Signatures[0].Sig = nil }), 1, []*Verifier{va}, nil, ErrInvalidSignature, true},
		{"threshold 0", sign(a), 0, []*Verifier{va}, nil, ErrInvalidThreshold, false},
		{"threshold above keys", sign(a, b), 3, []*Verifier{va, vb}, nil, ErrInvalidThreshold, false},
		{"duplicate verifiers count once", sign(a), 2, []*Verifier{va, va}, nil, ErrInvalidThreshold, false},
		{"no verifiers", sign(a), 1, nil, nil, ErrInvalidThreshold, false},
		{"no signatures", edit(sign(a), func(e *Envelope) { e.Signatures = nil }), 1, []*Verifier{va}, nil, ErrMalformedEnvelope, false},
		{"no payloadType", edit(sign(a), func(e *Envelope) { e.PayloadType = "" }), 1, []*Verifier{va}, nil, ErrMalformedEnvelope, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.env.Verify(ctx, tt.threshold, tt.verifiers...)
			if tt.wantErr == nil && !tt.threshErr {
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
				return
			}
			require.Error(t, err)
			require.Nil(t, got)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			}
			var te *ThresholdError
			require.Equal(t, tt.threshErr, errors.As(err, &te))
		})
	}
}

func TestVerifyThresholdErrorEvidence(t *testing.T) {
	ctx := context.Background()
	a, b, x := testSigner(t, ECDSAP256, "a"), testSigner(t, Ed25519, "b"), testSigner(t, Ed25519, "untrusted")
	env, err := SignEnvelope(ctx, testInTotoTyp, []byte(testPayload), x, a)
	require.NoError(t, err)
	_, err = env.Verify(ctx, 2, a.Verifier(), b.Verifier())
	var te *ThresholdError
	require.ErrorAs(t, err, &te)
	require.Equal(t, 2, te.Threshold)
	require.Equal(t, []string{a.KeyID()}, te.Accepted)
	require.Len(t, te.Rejected, 1)
	require.Equal(t, 0, te.Rejected[0].Index)
	require.Equal(t, x.KeyID(), te.Rejected[0].KeyID)
	require.ErrorIs(t, te.Rejected[0], ErrUnknownKey)
	require.ErrorContains(t, err, "1 of 2 required trusted signatures verified")
	require.ErrorContains(t, err, "signature 0 by key "+x.KeyID())
}

func TestVerifyNilVerifier(t *testing.T) {
	a := testSigner(t, Ed25519, "a")
	env, err := SignEnvelope(context.Background(), "t", []byte("x"), a)
	require.NoError(t, err)
	_, err = env.Verify(context.Background(), 1, a.Verifier(), nil)
	require.ErrorContains(t, err, "verifier 1 is nil")
	var nilEnv *Envelope
	_, err = nilEnv.Verify(context.Background(), 1, a.Verifier())
	require.ErrorIs(t, err, ErrMalformedEnvelope)
}

func TestVerifyCanceled(t *testing.T) {
	a := testSigner(t, Ed25519, "a")
	env, err := SignEnvelope(context.Background(), "t", []byte("x"), a)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = env.Verify(ctx, 1, a.Verifier())
	require.ErrorIs(t, err, context.Canceled)
}
