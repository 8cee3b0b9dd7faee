package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
)

// ReadLeaves makes memLog a ledger.LeafReader.
func (m *memLog) ReadLeaves(_ context.Context, start, end uint64) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for i := start; i < end; i++ {
			if i >= uint64(len(m.data)) {
				yield(nil, fmt.Errorf("no leaf %d", i))
				return
			}
			if !yield(m.data[i], nil) {
				return
			}
		}
	}
}

func entryOf(tag, commitment byte) []byte {
	e := ledger.NewEntry([32]byte{tag}, [32]byte{commitment})
	return e[:]
}

// forkedLog holds entries of tags 1..3, legacy leaves, and two successors of tag 2 at
// indexes 3 and 5 (with an identical repeat of the first at 6).
func forkedLog(t *testing.T) *memLog {
	m := newMemLog(t, "example.org/scan")
	for _, leaf := range [][]byte{entryOf(1, 1), leafOf(0), entryOf(3, 3), entryOf(2, 20), leafOf(1), entryOf(2, 21), entryOf(2, 20), entryOf(4, 4)} {
		m.add(t, leaf)
	}
	return m
}

func TestScan(t *testing.T) {
	m := forkedLog(t)
	cp := m.verified(t, int(m.n))
	var n uint64
	for l, err := range ledger.Scan(t.Context(), m, cp) {
		require.NoError(t, err)
		require.Equal(t, n, l.Index)
		require.Equal(t, m.data[n], l.Data)
		n++
	}
	require.Equal(t, cp.Size, n)

	// An older checkpoint: only its leaves.
	old := m.verified(t, 3)
	n = 0
	for _, err := range ledger.Scan(t.Context(), m, old) {
		require.NoError(t, err)
		n++
	}
	require.Equal(t, uint64(3), n)
}

func TestScanEmptyLog(t *testing.T) {
	m := newMemLog(t, "example.org/empty")
	for _, err := range ledger.Scan(t.Context(), m, m.verified(t, 0)) {
		require.NoError(t, err)
	}
}

// TestScanDetectsTampering: a leaf changed, one missing, or one too many in what a log
// hands out fails the root check (or the count), as the last thing the scan yields.
func TestScanDetectsTampering(t *testing.T) {
	cases := map[string]func(m *memLog){
		"changed leaf":  func(m *memLog) { m.data[3] = entryOf(2, 99) },
		"missing leaf":  func(m *memLog) { m.data = append(m.data[:2:2], m.data[3:]...) },
		"swapped order": func(m *memLog) { m.data[0], m.data[1] = m.data[1], m.data[0] },
	}
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			m := forkedLog(t)
			cp := m.verified(t, int(m.n))
			tamper(m)
			var last error
			for _, err := range ledger.Scan(t.Context(), m, cp) {
				last = err
			}
			require.Error(t, last)
			_, err := ledger.FindTags(t.Context(), m, cp, [][32]byte{{2}})
			require.Error(t, err)
			_, err = ledger.FindConflicts(t.Context(), m, cp)
			require.Error(t, err)
		})
	}
	m := forkedLog(t)
	cp := m.verified(t, int(m.n))
	m.data[3] = entryOf(2, 99)
	_, err := ledger.FindTags(t.Context(), m, cp, nil)
	require.ErrorIs(t, err, ledger.ErrRootMismatch)
}

// failingReader fails after some leaves.
type failingReader struct{ *memLog }

func (f failingReader) ReadLeaves(ctx context.Context, start, end uint64) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for l, err := range f.memLog.ReadLeaves(ctx, start, min(end, start+2)) {
			if !yield(l, err) {
				return
			}
		}
		yield(nil, errors.New("connection reset"))
	}
}

func TestScanReaderError(t *testing.T) {
	m := forkedLog(t)
	_, err := ledger.FindTags(t.Context(), failingReader{m}, m.verified(t, int(m.n)), nil)
	require.ErrorContains(t, err, "connection reset")
	require.ErrorContains(t, err, "at index 2")
}

func TestFindTags(t *testing.T) {
	m := forkedLog(t)
	cp := m.verified(t, int(m.n))
	found, err := ledger.FindTags(t.Context(), m, cp, [][32]byte{{2}, {4}, {9}})
	require.NoError(t, err)
	require.Equal(t, []ledger.Found{
		{Index: 3, Tag: [32]byte{2}, Commitment: [32]byte{20}},
		{Index: 5, Tag: [32]byte{2}, Commitment: [32]byte{21}},
		{Index: 6, Tag: [32]byte{2}, Commitment: [32]byte{20}},
		{Index: 7, Tag: [32]byte{4}, Commitment: [32]byte{4}},
	}, found)
}

func TestFindConflicts(t *testing.T) {
	m := forkedLog(t)
	conflicts, err := ledger.FindConflicts(t.Context(), m, m.verified(t, int(m.n)))
	require.NoError(t, err)
	require.Equal(t, []ledger.Conflict{{Tag: [32]byte{2}, Entries: []ledger.Found{
		{Index: 3, Tag: [32]byte{2}, Commitment: [32]byte{20}},
		{Index: 5, Tag: [32]byte{2}, Commitment: [32]byte{21}},
		{Index: 6, Tag: [32]byte{2}, Commitment: [32]byte{20}},
	}}}, conflicts)

	// Identical repeats alone are no conflict.
	m = newMemLog(t, "example.org/repeats")
	for _, leaf := range [][]byte{entryOf(1, 1), entryOf(1, 1), leafOf(0), leafOf(0)} {
		m.add(t, leaf)
	}
	conflicts, err = ledger.FindConflicts(t.Context(), m, m.verified(t, int(m.n)))
	require.NoError(t, err)
	require.Empty(t, conflicts)
}
