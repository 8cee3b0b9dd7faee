package tsa_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/tsa"
	"github.com/evidctl/evidctl/ledger/tsa/tsatest"
)

// newPosixLog opens a fresh embedded log (ledger/posixlog) with opts for one test,
// closed when it ends, and returns its trust-policy entry.
func newPosixLog(t testing.TB, opts ...posixlog.Option) (*posixlog.Log, ledger.Log) {
	t.Helper()
	dir, key := filepath.Join(t.TempDir(), "log"), filepath.Join(t.TempDir(), "log.key")
	vkey, err := posixlog.Init(dir, key, "evidctl.test/tsa")
	require.NoError(t, err)
	l, err := posixlog.Open(t.Context(), dir, key, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close()) })
	return l, ledger.Log{Origin: l.Origin(), VerifierKey: vkey}
}

// newDecoratedLog opens a fresh embedded log whose checkpoints c time-stamps, through
// posixlog.WithDecorator.
func newDecoratedLog(t testing.TB, c *tsa.Client) (*posixlog.Log, ledger.Log) {
	t.Helper()
	return newPosixLog(t, posixlog.WithDecorator(tsa.Decorator(c)))
}

func TestDecoratorStampsEveryReceiptOncePerCheckpoint(t *testing.T) {
	server := tsatest.New(t)
	l, entry := newDecoratedLog(t, newClient(t, server.URL))
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
	v := verifierOf(t, server.Authority())
	const appends, batch = 48, 16
	leaves := make([][]byte, appends+batch)
	for i := range leaves {
		leaves[i] = ledgertest.Leaf(fmt.Sprint("stamped ", i))
	}
	receipts := make([]*ledger.Receipt, appends, appends+batch)
	var wg sync.WaitGroup
	for i := range appends {
		wg.Go(func() {
			r, err := l.Append(t.Context(), leaves[i])
			assert.NoError(t, err)
			receipts[i] = r
		})
	}
	wg.Wait()
	rs, err := l.AppendBatch(t.Context(), leaves[appends:])
	require.NoError(t, err)
	receipts = append(receipts, rs...)

	checkpoints := make(map[[32]byte][]byte) // body imprint -> token
	for i, r := range receipts {
		require.NotNil(t, r, "receipt %d", i)
		require.Len(t, r.Extra, 1, "receipt %d carries its token", i)
		key, err := tsa.Imprint(r.Checkpoint)
		require.NoError(t, err)
		if tok, ok := checkpoints[key]; ok {
			require.Equal(t, tok, r.Extra[0], "receipts under one checkpoint carry one token")
		}
		checkpoints[key] = r.Extra[0]

		_, err = trust.VerifyReceipt(r, leaves[i])
		require.NoError(t, err)
		ts, err := v.VerifyReceipt(r)
		require.NoError(t, err)
		require.Equal(t, tsatest.Name, ts.Authority)

		text, err := r.MarshalText()
		require.NoError(t, err)
		parsed, err := ledger.ParseReceipt(text)
		require.NoError(t, err)
		require.Equal(t, r.Extra, parsed.Extra)
		_, err = trust.VerifyReceipt(parsed, leaves[i])
		require.NoError(t, err)
		checkWithXMod(t, text, entry, leaves[i], r.Extra[0])
	}
	require.EqualValues(t, len(checkpoints), server.Requests(), "one TSA request per checkpoint")
	require.Less(t, len(checkpoints), len(receipts), "appends shared checkpoints")
}

// checkWithXMod takes a stamped tlog-proof apart by hand and checks it with
// golang.org/x/mod/sumdb/note and sumdb/tlog alone, as a verifier that has never heard
// of evidctl would.
func checkWithXMod(t *testing.T, text []byte, entry ledger.Log, leaf, token []byte) {
	t.Helper()
	head, msg, ok := bytes.Cut(text, []byte("\n\n"))
	require.True(t, ok)
	lines := strings.Split(string(head), "\n")
	require.Equal(t, "c2sp.org/tlog-proof@v1", lines[0])
	extra, ok := strings.CutPrefix(lines[1], "extra ")
	require.True(t, ok, "the second line is the extra line: %q", lines[1])
	require.Equal(t, base64.StdEncoding.EncodeToString(token), extra)
	index, err := strconv.ParseInt(strings.TrimPrefix(lines[2], "index "), 10, 64)
	require.NoError(t, err)
	var proof tlog.RecordProof
	for _, l := range lines[3:] {
		h, err := tlog.ParseHash(l)
		require.NoError(t, err)
		proof = append(proof, h)
	}
	nv, err := note.NewVerifier(entry.VerifierKey)
	require.NoError(t, err)
	n, err := note.Open(msg, note.VerifierList(nv))
	require.NoError(t, err)
	body := strings.SplitN(n.Text, "\n", 4)
	size, err := strconv.ParseInt(body[1], 10, 64)
	require.NoError(t, err)
	root, err := tlog.ParseHash(body[2])
	require.NoError(t, err)
	require.NoError(t, tlog.CheckRecord(proof, size, root, index, tlog.RecordHash(leaf)))
}

// fakeBackend returns receipts under one fixed checkpoint, without proofs.
type fakeBackend struct {
	ledger.Backend // nil: only the append methods are used
	checkpoint     []byte
	extra          [][]byte
	err            error
}

func (f *fakeBackend) AppendBatch(_ context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	rs := make([]*ledger.Receipt, len(leaves))
	for i := range rs {
		if i%2 == 0 || f.err == nil { // on error, half the slots are empty
			rs[i] = &ledger.Receipt{Index: uint64(i), Checkpoint: f.checkpoint, Extra: f.extra}
		}
	}
	return rs, f.err
}

type fakeSignedBackend struct{ *fakeBackend }

func (f fakeSignedBackend) AppendSigned(_ context.Context, _ []byte, _ ledger.EntrySigner) (*ledger.Receipt, error) {
	return &ledger.Receipt{Checkpoint: f.checkpoint, Extra: f.extra}, f.err
}

// decorate returns b decorated by tsa.Decorator(c).
func decorate(b ledger.Backend, c *tsa.Client) ledger.Backend { return tsa.Decorator(c)(b) }

func TestDecoratorBatchUnderOneCheckpoint(t *testing.T) {
	server := tsatest.New(t)
	cp := checkpoint(t, "example.org/log", 100)
	b := decorate(&fakeBackend{checkpoint: cp}, newClient(t, server.URL, tsa.WithCacheSize(0)))
	rs, err := b.AppendBatch(t.Context(), make([][]byte, 20))
	require.NoError(t, err)
	require.EqualValues(t, 1, server.Requests(), "one request for the batch, even without a cache")
	for _, r := range rs {
		require.Equal(t, rs[0].Extra, r.Extra)
	}
	_, err = verifierOf(t, server.Authority()).VerifyReceipt(rs[0])
	require.NoError(t, err)
}

func TestDecoratorKeepsTheBackendsErrors(t *testing.T) {
	server := tsatest.New(t)
	cp := checkpoint(t, "example.org/log", 100)
	b := decorate(fakeSignedBackend{&fakeBackend{checkpoint: cp, err: ledger.ErrClosed}}, newClient(t, server.URL))

	r, err := b.(ledger.AuthenticatedAppender).AppendSigned(t.Context(), nil, nil)
	require.Equal(t, ledger.ErrClosed, err, "the backend's error is returned as it is")
	require.Nil(t, r.Extra, "a failed append is not stamped")

	rs, err := b.AppendBatch(t.Context(), make([][]byte, 4))
	require.ErrorIs(t, err, ledger.ErrClosed)
	require.Len(t, rs[0].Extra, 1, "receipts of a partly failed batch are stamped")
	require.Nil(t, rs[1])
}

func TestDecoratorReportsWhatItCannotStamp(t *testing.T) {
	cp := checkpoint(t, "example.org/log", 100)
	t.Run("TSA down", func(t *testing.T) {
		b := decorate(fakeSignedBackend{&fakeBackend{checkpoint: cp}}, newClient(t, "http://127.0.0.1:1/tsr"))
		rs, err := b.AppendBatch(t.Context(), make([][]byte, 1))
		require.Error(t, err)
		require.NotNil(t, rs[0], "the leaf is logged: its receipt is returned with the error")
		require.Empty(t, rs[0].Extra)

		r, err := b.(ledger.AuthenticatedAppender).AppendSigned(t.Context(), nil, nil)
		require.Error(t, err)
		require.NotNil(t, r, "the entry is logged: its receipt is returned with the error")
		require.Empty(t, r.Extra)
	})
	t.Run("extra already taken", func(t *testing.T) {
		server := tsatest.New(t)
		b := decorate(&fakeBackend{checkpoint: cp, extra: [][]byte{[]byte("other")}}, newClient(t, server.URL))
		rs, err := b.AppendBatch(t.Context(), make([][]byte, 1))
		require.ErrorIs(t, err, tsa.ErrExtraTaken)
		require.Equal(t, []byte("other"), rs[0].Extra[0], "left alone")
		require.Zero(t, server.Requests())
	})
	t.Run("no token to verify", func(t *testing.T) {
		server := tsatest.New(t)
		_, err := verifierOf(t, server.Authority()).VerifyReceipt(&ledger.Receipt{Checkpoint: cp})
		require.ErrorIs(t, err, tsa.ErrNoToken)
	})
}

func TestDecoratorKeepsSignedAppending(t *testing.T) {
	server := tsatest.New(t)
	cp := checkpoint(t, "example.org/log", 100)

	b := decorate(&fakeBackend{checkpoint: cp}, newClient(t, server.URL))
	_, ok := b.(ledger.AuthenticatedAppender)
	require.False(t, ok, "a backend that does not append signed entries does not seem to")

	b = decorate(fakeSignedBackend{&fakeBackend{checkpoint: cp}}, newClient(t, server.URL))
	a, ok := b.(ledger.AuthenticatedAppender)
	require.True(t, ok)
	r, err := a.AppendSigned(t.Context(), make([]byte, ledger.EntrySize), nil)
	require.NoError(t, err)
	require.Len(t, r.Extra, 1)
}
