package ledger_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
)

// A checkpoint verified once proves the inclusion of every receipt under it, each
// checked on its own path; VerifyInclusion fails as VerifyReceipt does.
func TestVerifyInclusionUnderAVerifiedCheckpoint(t *testing.T) {
	m := newMemLog(t, "example.org/log")
	m.grow(t, 13)
	trust := &ledger.Trust{Logs: []ledger.Log{m.entry()}}
	first := m.receipt(t, 0, 13)
	cp, err := trust.VerifyCheckpoint(first.Checkpoint)
	require.NoError(t, err)
	for i := range 13 {
		r := m.receipt(t, i, 13)
		require.NoError(t, r.VerifyInclusion(cp, leafOf(i)), "index %d", i)
		want, err := trust.VerifyReceipt(r, leafOf(i))
		require.NoError(t, err)
		require.Equal(t, want.Hash, cp.Hash)
	}
	r := m.receipt(t, 6, 13)
	truncated := *r
	truncated.Proof = r.Proof[:len(r.Proof)-1]
	beyond := *r
	beyond.Index = 13
	cases := []struct {
		name string
		r    *ledger.Receipt
		cp   *ledger.Checkpoint
		leaf []byte
		want error
	}{
		{"another leaf", r, cp, leafOf(7), ledger.ErrLeafMismatch},
		{"truncated path", &truncated, cp, leafOf(6), ledger.ErrMalformed},
		{"index beyond tree", &beyond, cp, leafOf(6), ledger.ErrMalformed},
		{"no receipt", nil, cp, leafOf(6), ledger.ErrMalformed},
		{"no checkpoint", r, nil, leafOf(6), ledger.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.r.VerifyInclusion(tc.cp, tc.leaf)
			require.ErrorIs(t, err, tc.want)
			if tc.r != nil && tc.cp != nil {
				_, viaReceipt := trust.VerifyReceipt(tc.r, tc.leaf)
				require.EqualError(t, err, viaReceipt.Error(), "the same error as VerifyReceipt")
			}
		})
	}
}
