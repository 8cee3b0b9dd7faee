package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
)

// fakeBackend records every call New lets through; block, when set, holds AppendBatch
// until it is closed.
type fakeBackend struct {
	mu      sync.Mutex
	calls   []string
	batches [][][]byte
	closed  int
	block   chan struct{}
	answer  func(leaves [][]byte) ([]*ledger.Receipt, error)
}

func (f *fakeBackend) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeBackend) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeBackend) Origin() string { return "example.org/fake" }

func (f *fakeBackend) AppendBatch(ctx context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	f.record(fmt.Sprintf("AppendBatch %d", len(leaves)))
	f.mu.Lock()
	f.batches = append(f.batches, leaves)
	f.mu.Unlock()
	if f.block != nil {
		<-f.block
	}
	if f.answer != nil {
		return f.answer(leaves)
	}
	rs := make([]*ledger.Receipt, len(leaves))
	for i := range rs {
		rs[i] = &ledger.Receipt{Index: uint64(i)}
	}
	return rs, nil
}

func (f *fakeBackend) Checkpoint(context.Context) ([]byte, error) {
	f.record("Checkpoint")
	return []byte("checkpoint\n"), nil
}

func (f *fakeBackend) InclusionProof(_ context.Context, index, treeSize uint64) ([]tlog.Hash, error) {
	f.record(fmt.Sprintf("InclusionProof %d %d", index, treeSize))
	return []tlog.Hash{}, nil
}

func (f *fakeBackend) ConsistencyProof(_ context.Context, oldSize, newSize uint64) ([]tlog.Hash, error) {
	f.record(fmt.Sprintf("ConsistencyProof %d %d", oldSize, newSize))
	return []tlog.Hash{}, nil
}

func (f *fakeBackend) Close(context.Context) error {
	f.record("Close")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed++
	return nil
}

func leafN(n int) []byte { return make([]byte, n) }

// TestNewChecksLeaves: leaves of the wrong size never reach the backend; a bare
// 32-byte commitment, as logged before entries had tags, is told apart.
func TestNewChecksLeaves(t *testing.T) {
	f := &fakeBackend{}
	l := ledger.New(f)
	for name, tc := range map[string]struct {
		n    int
		want string
	}{
		"Empty":           {0, "leaf 0: 0 bytes, want a 64-byte entry (tag || commitment)"},
		"OneByte":         {1, "leaf 0: 1 bytes, want a 64-byte entry"},
		"BelowCommitment": {ledger.LeafSize - 1, "leaf 0: 31 bytes, want a 64-byte entry"},
		"BareCommitment":  {ledger.LeafSize, "leaf 0: a bare 32-byte commitment is no longer logged: entries are tag || commitment, 64 bytes"},
		"AboveCommitment": {ledger.LeafSize + 1, "leaf 0: 33 bytes"},
		"BelowEntry":      {ledger.EntrySize - 1, "leaf 0: 63 bytes"},
		"AboveEntry":      {ledger.EntrySize + 1, "leaf 0: 65 bytes"},
		"TwoEntries":      {2 * ledger.EntrySize, "leaf 0: 128 bytes"},
	} {
		_, err := l.Append(t.Context(), leafN(tc.n))
		require.ErrorIs(t, err, ledger.ErrMalformed, name)
		require.ErrorContains(t, err, "appending to example.org/fake: "+tc.want, name)
	}
	_, err := l.AppendBatch(t.Context(), [][]byte{leafN(ledger.EntrySize), leafN(ledger.LeafSize)})
	require.ErrorIs(t, err, ledger.ErrMalformed)
	require.ErrorContains(t, err, "leaf 1: a bare 32-byte commitment")
	require.Empty(t, f.Calls(), "the backend saw a bad leaf")
}

// TestNewChecksProofArguments: proof arguments out of order never reach the backend;
// good ones reach it unchanged.
func TestNewChecksProofArguments(t *testing.T) {
	f := &fakeBackend{}
	l := ledger.New(f)
	for _, c := range [][2]uint64{{5, 5}, {6, 5}, {0, 0}, {1<<64 - 1, 1}} {
		_, err := l.InclusionProof(t.Context(), c[0], c[1])
		require.ErrorContains(t, err, "not below tree size", "index %d, size %d", c[0], c[1])
	}
	_, err := l.ConsistencyProof(t.Context(), 6, 5)
	require.ErrorContains(t, err, "larger than new size")
	require.Empty(t, f.Calls(), "the backend saw bad arguments")

	_, err = l.InclusionProof(t.Context(), 4, 5)
	require.NoError(t, err)
	_, err = l.ConsistencyProof(t.Context(), 5, 5)
	require.NoError(t, err)
	_, err = l.ConsistencyProof(t.Context(), 0, 5)
	require.NoError(t, err)
	require.Equal(t, []string{"InclusionProof 4 5", "ConsistencyProof 5 5", "ConsistencyProof 0 5"}, f.Calls())
}

// TestNewAppendIsBatchOfOne: Append hands the backend a batch of exactly its leaf; the
// empty batch and a cancelled context never reach it.
func TestNewAppendIsBatchOfOne(t *testing.T) {
	f := &fakeBackend{}
	l := ledger.New(f)
	leaf := leafN(ledger.EntrySize)
	leaf[0] = 7
	r, err := l.Append(t.Context(), leaf)
	require.NoError(t, err)
	require.NotNil(t, r)
	require.Equal(t, [][][]byte{{leaf}}, f.batches)

	rs, err := l.AppendBatch(t.Context(), nil)
	require.NoError(t, err)
	require.NotNil(t, rs)
	require.Empty(t, rs)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = l.Append(ctx, leaf)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, []string{"AppendBatch 1"}, f.Calls())
}

// TestNewChecksReceipts: a backend that answers fewer receipts than leaves, or a nil
// one, is an error, not a panic.
func TestNewChecksReceipts(t *testing.T) {
	for name, answer := range map[string]func([][]byte) ([]*ledger.Receipt, error){
		"None":       func([][]byte) ([]*ledger.Receipt, error) { return nil, nil },
		"NilReceipt": func(l [][]byte) ([]*ledger.Receipt, error) { return make([]*ledger.Receipt, len(l)), nil },
		"WrongCountOnError": func([][]byte) ([]*ledger.Receipt, error) {
			return []*ledger.Receipt{{}, {}, {}}, errors.New("failed")
		},
	} {
		t.Run(name, func(t *testing.T) {
			l := ledger.New(&fakeBackend{answer: answer})
			r, err := l.Append(t.Context(), leafN(ledger.EntrySize))
			require.Error(t, err)
			require.Nil(t, r)
			rs, err := l.AppendBatch(t.Context(), [][]byte{leafN(ledger.EntrySize), leafN(ledger.EntrySize)})
			require.Error(t, err)
			require.Nil(t, rs, "receipts that do not match the leaves slot for slot")
		})
	}
}

// refusedError stands for a typed error a backend returns, such as a refused entry.
type refusedError struct{ Index uint64 }

func (e *refusedError) Error() string {
	return fmt.Sprintf("refused: first logged at index %d", e.Index)
}

// TestNewKeepsBackendErrors: a backend's typed error and its partial receipts reach the
// caller, under a prefix naming the operation and the log.
func TestNewKeepsBackendErrors(t *testing.T) {
	f := &fakeBackend{answer: func(leaves [][]byte) ([]*ledger.Receipt, error) {
		return []*ledger.Receipt{{Index: 3}, nil}, fmt.Errorf("leaf 2 of 2: %w", &refusedError{Index: 9})
	}}
	rs, err := ledger.New(f).AppendBatch(t.Context(), [][]byte{leafN(ledger.EntrySize), leafN(ledger.EntrySize)})
	var refused *refusedError
	require.ErrorAs(t, err, &refused)
	require.Equal(t, uint64(9), refused.Index)
	require.EqualError(t, err, "appending to example.org/fake: leaf 2 of 2: refused: first logged at index 9")
	require.Len(t, rs, 2)
	require.Equal(t, uint64(3), rs[0].Index)
	require.Nil(t, rs[1])
}

// TestNewClosed: after Close every method fails with ErrClosed without reaching the
// backend, whose Close runs once.
func TestNewClosed(t *testing.T) {
	sb := &signedBackend{}
	f := &sb.fakeBackend
	l := ledger.New(sb)
	require.NoError(t, l.Close())
	require.NoError(t, l.Close(), "a second Close")
	require.Equal(t, []string{"Close"}, f.Calls())

	ctx := t.Context()
	_, err := l.Append(ctx, leafN(ledger.EntrySize))
	require.ErrorIs(t, err, ledger.ErrClosed)
	_, err = l.AppendBatch(ctx, nil)
	require.ErrorIs(t, err, ledger.ErrClosed)
	_, err = l.Checkpoint(ctx)
	require.ErrorIs(t, err, ledger.ErrClosed)
	require.ErrorContains(t, err, "reading checkpoint of example.org/fake")
	_, err = l.InclusionProof(ctx, 0, 1)
	require.ErrorIs(t, err, ledger.ErrClosed)
	_, err = l.ConsistencyProof(ctx, 0, 1)
	require.ErrorIs(t, err, ledger.ErrClosed)
	_, err = l.(ledger.AuthenticatedAppender).AppendSigned(ctx, leafN(ledger.EntrySize), nopSigner{})
	require.ErrorIs(t, err, ledger.ErrClosed)
	require.Equal(t, []string{"Close"}, f.Calls(), "the backend was called after Close")
	require.Equal(t, 1, f.closed)
}

// TestNewCloseWaits: Close waits for an operation in flight before closing the backend,
// and gives up after the close timeout, still closing the backend.
func TestNewCloseWaits(t *testing.T) {
	f := &fakeBackend{block: make(chan struct{})}
	l := ledger.New(f)
	appended := make(chan error, 1)
	go func() { _, err := l.Append(context.Background(), leafN(ledger.EntrySize)); appended <- err }()
	require.Eventually(t, func() bool { return len(f.Calls()) == 1 }, 5*time.Second, time.Millisecond)
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) with an append in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(f.block)
	require.NoError(t, <-appended)
	require.NoError(t, <-closed)
	require.Equal(t, []string{"AppendBatch 1", "Close"}, f.Calls())

	stuck := &fakeBackend{block: make(chan struct{})}
	defer close(stuck.block)
	l = ledger.New(stuck, ledger.WithCloseTimeout(20*time.Millisecond))
	go func() { _, _ = l.Append(context.Background(), leafN(ledger.EntrySize)) }()
	require.Eventually(t, func() bool { return len(stuck.Calls()) == 1 }, 5*time.Second, time.Millisecond)
	err := l.Close()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "closing example.org/fake: operations still in flight")
	require.Equal(t, 1, stuck.closed, "the backend is closed even so")
}

// extraDecorator adds an extra line to every receipt, as a timestamping decorator would.
func extraDecorator(extra string) ledger.Decorator {
	return func(b ledger.Backend) ledger.Backend { return extraBackend{b, extra} }
}

type extraBackend struct {
	ledger.Backend
	extra string
}

func (e extraBackend) AppendBatch(ctx context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	rs, err := e.Backend.AppendBatch(ctx, leaves)
	for _, r := range rs {
		if r != nil {
			r.Extra = append(r.Extra, []byte(e.extra))
		}
	}
	return rs, err
}

// TestNewDecorators: decorators wrap the backend in the order given, inside the checks.
func TestNewDecorators(t *testing.T) {
	f := &fakeBackend{}
	l := ledger.New(f, ledger.WithDecorator(extraDecorator("inner")), ledger.WithDecorator(nil), ledger.WithDecorator(extraDecorator("outer")))
	r, err := l.Append(t.Context(), leafN(ledger.EntrySize))
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("inner"), []byte("outer")}, r.Extra)
	_, err = l.Append(t.Context(), leafN(1))
	require.ErrorIs(t, err, ledger.ErrMalformed)
	require.Equal(t, []string{"AppendBatch 1"}, f.Calls(), "a decorator let a bad leaf through")
}
