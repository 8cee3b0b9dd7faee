package custody_test

import (
	"bytes"
	"context"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/crypto/seal"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
)

const (
	sshRecipientA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN"
	sshRecipientB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIbQeGIGMAW9POBJ41yXEyJu5ZUIXIMbHqEhL/+jL8iO"
)

// sealedTo has the lab acquire evidence sealed to the recipients sealTo while the
// signed statement declares only declare: what a dishonest sealer would do to keep a
// copy for someone unnamed.
func sealedTo(t *testing.T, d *testkit.Deployment, sealTo, declare []string) (*custody.Bundle, []byte) {
	t.Helper()
	var rs []age.Recipient
	for _, s := range sealTo {
		r, err := seal.ParseRecipient(s)
		require.NoError(t, err)
		rs = append(rs, r)
	}
	var sealed bytes.Buffer
	res, err := seal.Seal(context.Background(), &sealed, bytes.NewReader(evidenceBytes), rs)
	require.NoError(t, err)
	ev := &custody.Event{Type: custody.Acquire, Case: "CASE-1", ItemKey: custody.NewItemKey(), Item: custody.Item{ID: custody.NewItemID(), Size: res.PlaintextSize, Digest: res.Plaintext,
		Sealed: &custody.Sealed{Digest: digest.Set{res.Ciphertext}, Size: res.CiphertextSize, Recipients: declare}}}
	b := &custody.Bundle{}
	_, err = d.Parties["lab"].Custodian.RecordUnchecked(context.Background(), b, ev)
	require.NoError(t, err)
	return b, sealed.Bytes()
}

// TestUndeclaredRecipientsAreCaught: a payload sealed to more recipients than the
// statement declares, or to others, fails RuleHeader. On main the first case verified
// VALID: the extra identity could decrypt the evidence.
func TestUndeclaredRecipientsAreCaught(t *testing.T) {
	d := testkit.New(t, "lab")
	lab := d.Parties["lab"].Recipient
	mallory, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	pq, err := age.GenerateHybridIdentity()
	require.NoError(t, err)
	tests := []struct {
		name            string
		sealTo, declare []string
		valid           bool
	}{
		{"one undeclared recipient", []string{lab, mallory.Recipient().String()}, []string{lab}, false},
		{"another type than declared", []string{sshRecipientA}, []string{lab}, false},
		{"another SSH key than declared", []string{lab, sshRecipientB}, []string{lab, sshRecipientA}, false},
		{"fewer than declared", []string{lab}, []string{lab, sshRecipientA}, false},
		{"as declared: X25519 and SSH, in another order", []string{lab, sshRecipientA}, []string{sshRecipientA, lab}, true},
		{"as declared: post-quantum hybrid", []string{pq.Recipient().String()}, []string{pq.Recipient().String()}, true},
		{"hybrid declared, X25519 sealed", []string{lab}, []string{pq.Recipient().String()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, payload := sealedTo(t, d, tt.sealTo, tt.declare)
			rep, err := custody.Verify(context.Background(), b, d.Policy, custody.WithPayload("case.age", bytes.NewReader(payload)))
			require.NoError(t, err)
			var text bytes.Buffer
			require.NoError(t, rep.WriteText(&text))
			require.Equal(t, tt.valid, rep.Valid, text.String())
			if !tt.valid {
				require.True(t, rep.Failed(custody.Rule("header"), 0), text.String())
			}
		})
	}
}

// TestReceiveRefusesUndeclaredRecipients: the recipient of a transfer refuses a payload
// sealed to someone the chain does not name.
func TestReceiveRefusesUndeclaredRecipients(t *testing.T) {
	d := testkit.New(t, "lab", "authority")
	mallory, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	lab := d.Parties["lab"].Recipient
	b, payload := sealedTo(t, d, []string{lab, mallory.Recipient().String()}, []string{lab})
	ctx := context.Background()
	_, err = d.Parties["lab"].Custodian.Transfer(ctx, b, "", d.Parties["authority"].Actor, custody.Details{Purpose: "hand-over"})
	require.NoError(t, err)
	_, err = d.Parties["authority"].Custodian.Receive(ctx, b, "", bytes.NewReader(payload), custody.Details{})
	var refused *custody.RefusedError
	require.ErrorAs(t, err, &refused)
	require.Equal(t, custody.RuleHeader, refused.Violations[0].Rule)

	m, err := b.MatchPayload(ctx, bytes.NewReader(payload))
	require.NoError(t, err)
	require.Len(t, m.Violations, 1)
	require.Equal(t, custody.RuleHeader, m.Violations[0].Rule)
}
