package ledger_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
)

func TestEntrySplitJoin(t *testing.T) {
	tag := [32]byte(bytes.Repeat([]byte{1}, 32))
	c := [32]byte(bytes.Repeat([]byte{2}, 32))
	e := ledger.NewEntry(tag, c)
	require.Equal(t, tag, e.Tag())
	require.Equal(t, c, e.Commitment())
	require.Equal(t, append(tag[:], c[:]...), e[:])
	back, err := ledger.ParseEntry(e[:])
	require.NoError(t, err)
	require.Equal(t, e, back)
	for _, n := range []int{0, 32, 63, 65} {
		_, err := ledger.ParseEntry(make([]byte, n))
		require.ErrorIs(t, err, ledger.ErrMalformed, "%d bytes", n)
	}
}

func TestSuccessor(t *testing.T) {
	tag := [32]byte{9}
	first := ledger.NewEntry(tag, [32]byte{1})
	second := ledger.NewEntry(tag, [32]byte{2})
	require.NoError(t, ledger.Successor(first[:], first[:], 7), "the same entry is idempotent")
	err := ledger.Successor(second[:], first[:], 7)
	require.ErrorIs(t, err, ledger.ErrConflict)
	var ce *ledger.ConflictError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, uint64(7), ce.Index)
	require.Equal(t, tag, ce.Tag)
	require.Equal(t, [32]byte{1}, ce.Commitment)
	require.Contains(t, err.Error(), "index 7")
}

// TestNewAcceptsEntries: New lets 64-byte entries through, and refuses 32-byte leaves
// (the bare commitments of before entries had tags) and other sizes as malformed.
func TestNewAcceptsEntries(t *testing.T) {
	f := &fakeBackend{}
	l := ledger.New(f)
	_, err := l.Append(t.Context(), make([]byte, ledger.EntrySize))
	require.NoError(t, err)
	_, err = l.Append(t.Context(), make([]byte, ledger.LeafSize))
	require.ErrorIs(t, err, ledger.ErrMalformed)
	require.ErrorContains(t, err, "entries are tag || commitment")
	_, err = l.Append(t.Context(), make([]byte, 48))
	require.ErrorIs(t, err, ledger.ErrMalformed)
	require.Equal(t, []string{"AppendBatch 1"}, f.Calls(), "a refused leaf reached the backend")
}

// signedBackend is a fakeBackend that also appends signed entries.
type signedBackend struct {
	fakeBackend
	got []byte
	err error
}

func (s *signedBackend) AppendSigned(_ context.Context, entry []byte, _ ledger.EntrySigner) (*ledger.Receipt, error) {
	s.got = entry
	if s.err != nil {
		return nil, s.err
	}
	return &ledger.Receipt{Index: 3}, nil
}

type nopSigner struct{}

func (nopSigner) KeyID() string { return "00" }
func (nopSigner) SignEntry(context.Context, []byte) ([]byte, error) {
	return []byte{1}, nil
}

// TestNewPassesAppendSigned: an AuthenticatedAppender backend gives an
// AuthenticatedAppender Ledger, with New's checks, gate and error prefix.
func TestNewPassesAppendSigned(t *testing.T) {
	b := &signedBackend{}
	l := ledger.New(b)
	a, ok := l.(ledger.AuthenticatedAppender)
	require.True(t, ok)
	entry := bytes.Repeat([]byte{5}, ledger.EntrySize)
	r, err := a.AppendSigned(t.Context(), entry, nopSigner{})
	require.NoError(t, err)
	require.Equal(t, uint64(3), r.Index)
	require.Equal(t, entry, b.got)

	_, err = a.AppendSigned(t.Context(), entry[:ledger.LeafSize], nopSigner{})
	require.ErrorIs(t, err, ledger.ErrMalformed, "a signed append is of an entry")
	require.ErrorContains(t, err, "entries are tag || commitment")
	_, err = a.AppendSigned(t.Context(), entry, nil)
	require.ErrorContains(t, err, "no entry signer")

	b.err = &ledger.ConflictError{Index: 11}
	_, err = a.AppendSigned(t.Context(), entry, nopSigner{})
	var ce *ledger.ConflictError
	require.ErrorAs(t, err, &ce, "the typed error reaches the caller")
	require.Equal(t, uint64(11), ce.Index)
	require.ErrorContains(t, err, "appending to example.org/fake: ")

	require.NoError(t, l.Close())
	_, err = a.AppendSigned(t.Context(), entry, nopSigner{})
	require.True(t, errors.Is(err, ledger.ErrClosed))

	_, plain := ledger.New(&fakeBackend{}).(ledger.AuthenticatedAppender)
	require.False(t, plain, "a plain backend gives no AppendSigned")
}
