package custody_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/seal"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
)

// endless is a payload that never ends: the sealed payload, then zeros for ever. It
// counts what it gave, and fails a read that goes more than a MiB past the longest
// payload that could match (what a reader that reads to the end would do).
type endless struct {
	head  []byte
	read  int64
	limit int64
}

func (e *endless) Read(p []byte) (int, error) {
	if e.read > e.limit+1<<20 {
		return 0, errors.New("read a MiB past the longest sealed payload: the payload is being read to its end")
	}
	n := len(p)
	if e.read < int64(len(e.head)) {
		n = copy(p, e.head[e.read:])
	} else {
		clear(p)
	}
	e.read += int64(n)
	return n, nil
}

// A payload longer than the sealed payload it could be is another file: it is read one
// byte past that and no further, so an endless stream or a disk image given by mistake
// is refused at once, and decrypt writes out no more than the recorded size.
func TestPayloadLongerThanRecordedIsNotReadToItsEnd(t *testing.T) {
	ctx := context.Background()
	d := testkit.New(t, "lab", "authority")
	lab := d.Parties["lab"]
	b, payload := d.Acquire(t, "lab", []byte("a disk image"))
	size := int64(len(payload))
	more := fmt.Sprintf("more than %d bytes (not read further)", size)
	tests := []struct {
		name string
		r    func() (io.Reader, *endless)
	}{
		{"endless", func() (io.Reader, *endless) { e := &endless{head: payload, limit: size}; return e, e }},
		{"one byte more", func() (io.Reader, *endless) { return bytes.NewReader(append(bytes.Clone(payload), 0)), nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name+", matched", func(t *testing.T) {
			r, e := tt.r()
			m, err := b.MatchPayload(ctx, r)
			require.NoError(t, err)
			require.Len(t, m.Violations, 1)
			require.Equal(t, custody.RulePayload, m.Violations[0].Rule)
			require.Equal(t, more, m.Violations[0].Found)
			require.Equal(t, size+1, m.Size)
			if e != nil {
				require.LessOrEqual(t, e.read, size+1<<20)
			}
		})
		t.Run(tt.name+", decrypted", func(t *testing.T) {
			r, _ := tt.r()
			var plain bytes.Buffer
			m, err := b.MatchPayload(ctx, r, custody.DecryptTo(&plain, lab.Identity))
			require.NoError(t, err)
			var rules []custody.Rule
			for _, v := range m.Violations {
				rules = append(rules, v.Rule)
			}
			require.Equal(t, []custody.Rule{custody.RulePayload, custody.RulePlaintext}, rules, "%+v", m.Violations)
			require.Contains(t, m.Violations[1].Found, "not decrypted past the first")
			require.Nil(t, m.Plaintext)
			require.LessOrEqual(t, int64(plain.Len()), size)
		})
		t.Run(tt.name+", verified", func(t *testing.T) {
			r, _ := tt.r()
			rep, err := custody.Verify(ctx, b, d.Policy, custody.WithPayload("case.age", r), custody.WithIdentities(lab.Identity))
			require.NoError(t, err)
			require.False(t, rep.Valid)
			i := slices.IndexFunc(rep.Checks, func(c custody.Check) bool { return c.Rule == custody.RulePayload })
			require.GreaterOrEqual(t, i, 0, "%+v", rep.Checks)
			require.Equal(t, custody.StatusFailed, rep.Checks[i].Status)
			require.Equal(t, more, rep.Checks[i].Found)
			require.True(t, rep.Failed(custody.RulePlaintext, 0))
		})
		t.Run(tt.name+", resealed", func(t *testing.T) {
			r, _ := tt.r()
			var out bytes.Buffer
			_, err := lab.Custodian.Reseal(ctx, b, "", r, []age.Identity{lab.Identity}, &out,
				custody.Sealing{Recipients: []string{d.Parties["authority"].Recipient}}, custody.Details{})
			require.ErrorIs(t, err, seal.ErrCiphertextMismatch)
			require.ErrorContains(t, err, fmt.Sprintf("longer than the %d bytes the chain records", size))
			require.Len(t, b.Events, 1)
		})
	}

	// Received: the hand-over is refused, naming the length.
	auth := d.Parties["authority"]
	_, err := lab.Custodian.Transfer(ctx, b, "", auth.Actor, custody.Details{Purpose: "analysis"})
	require.NoError(t, err)
	_, err = auth.Custodian.Receive(ctx, b, "", &endless{head: payload, limit: size}, custody.Details{})
	var refused *custody.RefusedError
	require.ErrorAs(t, err, &refused)
	require.Equal(t, custody.RulePayload, refused.Violations[0].Rule)
	require.Equal(t, more, refused.Violations[0].Found)

	// The payload itself, exactly as long as recorded, still matches everywhere.
	m, err := b.MatchPayload(ctx, bytes.NewReader(payload), custody.DecryptTo(io.Discard, lab.Identity))
	require.NoError(t, err)
	require.Empty(t, m.Violations)
	_, err = auth.Custodian.Receive(ctx, b, "", bytes.NewReader(payload), custody.Details{})
	require.NoError(t, err)
	rep, err := custody.Verify(ctx, b, d.Policy, custody.WithPayload("case.age", bytes.NewReader(payload)), custody.WithIdentities(lab.Identity))
	require.NoError(t, err)
	require.True(t, rep.Valid, "%+v", rep.Failures)
}
