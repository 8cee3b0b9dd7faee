package custody_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/seal"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
)

func TestMatchPayload(t *testing.T) {
	mc := newMultiCase(t)
	pros := mc.d.Parties["prosecutor"]
	flipped := bytes.Clone(mc.payloads["rec-2"])
	flipped[len(flipped)-20] ^= 0x80
	var plain bytes.Buffer
	tests := []struct {
		name       string
		payload    []byte
		opts       []custody.PayloadOption
		item       string // the item matched ("" for none)
		violations []custody.Rule
	}{
		{"found by its digest", mc.payloads["rec-2"], nil, "rec-2", nil},
		{"found, another item", mc.payloads["rec-3"], nil, "rec-3", nil},
		{"named item", mc.payloads["rec-2"], []custody.PayloadOption{custody.ForItem("rec-2")}, "rec-2", nil},
		{"named item, another item's payload", mc.payloads["rec-3"], []custody.PayloadOption{custody.ForItem("rec-2")}, "rec-2", []custody.Rule{custody.RulePayload}},
		{"no item's payload", []byte("age-encryption.org/v1\nnot really"), nil, "", []custody.Rule{custody.RulePayload}},
		{"the first item's payload", mc.payloads["rec-1"], nil, "rec-1", nil},
		{"decrypted", mc.payloads["rec-2"], []custody.PayloadOption{custody.DecryptTo(&plain, pros.Identity)}, "rec-2", nil},
		{"flipped byte, decrypted", flipped, []custody.PayloadOption{custody.ForItem("rec-2"), custody.DecryptTo(&plain, pros.Identity)},
			"rec-2", []custody.Rule{custody.RulePayload, custody.RulePlaintext}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain.Reset()
			m, err := mc.b.MatchPayload(context.Background(), bytes.NewReader(tt.payload), tt.opts...)
			require.NoError(t, err)
			var rules []custody.Rule
			for _, v := range m.Violations {
				rules = append(rules, v.Rule)
			}
			require.Equal(t, tt.violations, rules, "%+v", m.Violations)
			if tt.item == "" {
				require.Nil(t, m.Item)
			} else {
				require.Equal(t, tt.item, m.Item.ID)
			}
			require.Equal(t, int64(len(tt.payload)), m.Size)
			if tt.name == "decrypted" {
				require.Equal(t, string(records[1]), plain.String())
				require.NoError(t, m.Plaintext.Match(m.Item.Digest))
			}
		})
	}
}

func TestMatchPayloadCannotRun(t *testing.T) {
	ctx := context.Background()
	mc := newMultiCase(t)
	outsider := testkit.NewParty(t, "mallory", "NL")
	var sink bytes.Buffer
	_, err := mc.b.MatchPayload(ctx, bytes.NewReader(mc.payloads["rec-2"]), custody.DecryptTo(&sink, outsider.Identity))
	require.ErrorIs(t, err, seal.ErrNoIdentity)
	tampered := bytes.Clone(mc.payloads["rec-2"])
	tampered[len(tampered)-1] ^= 1
	m, err := mc.b.MatchPayload(ctx, bytes.NewReader(tampered), custody.DecryptTo(&sink, outsider.Identity))
	require.NoError(t, err, "another file than the chain records is a violation, whatever the keys")
	require.Len(t, m.Violations, 1)
	require.Equal(t, custody.RulePayload, m.Violations[0].Rule)
	require.Nil(t, m.Plaintext)
	_, err = mc.b.MatchPayload(ctx, bytes.NewReader(mc.payloads["rec-2"]), custody.ForItem("rec-9"))
	require.ErrorIs(t, err, custody.ErrUnknownItem)
	_, err = mc.b.MatchPayload(ctx, bytes.NewReader(nil), custody.DecryptTo(&sink))
	var argErr *custody.ArgumentError
	require.ErrorAs(t, err, &argErr)
	_, err = mc.b.MatchPayload(ctx, iotestErrReader{}, custody.ForItem("rec-2"))
	require.ErrorContains(t, err, "reading the payload")

	// A preservation has no sealed payload to match.
	d := testkit.New(t, "provider")
	pres, err := d.Parties["provider"].Custodian.Preserve(ctx, []custody.Evidence{{ItemID: "rec-1", Source: bytes.NewReader(records[0])}}, nil,
		custody.Details{Legal: &custody.Legal{Kind: custody.Preservation}})
	require.NoError(t, err)
	_, err = pres.MatchPayload(ctx, bytes.NewReader(mc.payloads["rec-2"]))
	require.ErrorContains(t, err, "the bundle has no sealed payload")
	_, err = pres.MatchPayload(ctx, bytes.NewReader(mc.payloads["rec-2"]), custody.ForItem("rec-1"))
	require.ErrorContains(t, err, "item rec-1 has no sealed payload")
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }
