package custody_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
)

// Acquiring in two halves, sealing first and logging second, makes the bundle Acquire
// makes; sealed evidence is acquired once.
func TestSealEvidenceThenAcquireSealed(t *testing.T) {
	ctx := context.Background()
	d := testkit.New(t, "lab")
	lab := d.Parties["lab"]
	var sealed bytes.Buffer
	se, err := custody.SealEvidence(ctx, custody.Evidence{Description: "image.dd", Source: bytes.NewReader(evidenceBytes), Sealed: &sealed},
		custody.Sealing{Recipients: []string{lab.Recipient}, Digests: []digest.Algorithm{digest.SHA1}})
	require.NoError(t, err)
	it := se.Item()
	want, _, err := digest.Reader(bytes.NewReader(evidenceBytes), digest.SHA1)
	require.NoError(t, err)
	require.True(t, it.Digest.Equal(want))
	require.Equal(t, int64(len(evidenceBytes)), it.Size)
	require.Equal(t, digest.SHA256Bytes(sealed.Bytes()), it.Sealed.Digest.SHA256())

	b, err := lab.Custodian.AcquireSealed(ctx, se, custody.Details{Case: "C-1"})
	require.NoError(t, err)
	rep, err := custody.Verify(ctx, b, d.Policy, custody.WithPayload("case.age", bytes.NewReader(sealed.Bytes())),
		custody.WithIdentities(lab.Identity))
	require.NoError(t, err)
	require.True(t, rep.Valid, "%+v", rep.Failures)
	st, err := b.Events[0].Statement()
	require.NoError(t, err)
	require.Equal(t, custody.Acquire, st.Predicate.Type)
	require.Equal(t, it.ID, st.Predicate.Item.ID)

	var argErr *custody.ArgumentError
	_, err = lab.Custodian.AcquireSealed(ctx, se, custody.Details{})
	require.ErrorAs(t, err, &argErr, "a second acquisition of the same sealed evidence")
	_, err = lab.Custodian.AcquireSealed(ctx, nil, custody.Details{})
	require.ErrorAs(t, err, &argErr)
	_, err = custody.SealEvidence(ctx, custody.Evidence{Source: bytes.NewReader(nil), Sealed: &sealed}, custody.Sealing{})
	require.ErrorAs(t, err, &argErr, "no recipients")
}
