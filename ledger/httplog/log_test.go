package httplog_test

import (
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httplog"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/server"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

// serve puts backend behind a ledger server on loopback and returns a client of it that
// verifies the server's checkpoints with entry.
func serve(t *testing.T, backend ledger.Ledger, entry ledger.Log, allow []*sign.Verifier, opts ...server.Option) *httplog.Log {
	t.Helper()
	h, err := server.New(backend, allow, opts...)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	l, err := httplog.Open(t.Context(), srv.URL, httplog.WithTrust(&ledger.Trust{Logs: []ledger.Log{entry}}))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close()) })
	return l
}

// signedLog is a backend behind a ledger server that allows one signer's entries, and
// the server's client.
type signedLog struct {
	*httplog.Log               // the client
	backend      ledger.Ledger // the log behind the server
	signer       *sign.Signer  // the one signer the server allows
	trust        *ledger.Trust // trusts the log
}

// forEachSignedLog runs test as a subtest for each backend (a posixlog, an in-process
// Trillian log), served to a client as a signedLog with a fresh signer.
func forEachSignedLog(t *testing.T, test func(t *testing.T, l signedLog)) {
	backends := map[string]ledgertest.Factory{
		"posix":    posixlogtest.Factory(),
		"trillian": trilliantest.Factory(trilliantest.InProcess(t)),
	}
	for name, newBackend := range backends {
		t.Run(name, func(t *testing.T) {
			backend, entry := newBackend(t)
			s := ledgertest.NewSigner(t)
			test(t, signedLog{
				Log:     serve(t, backend, entry, []*sign.Verifier{s.Verifier()}),
				backend: backend,
				signer:  s,
				trust:   &ledger.Trust{Logs: []ledger.Log{entry}},
			})
		})
	}
}

// served puts each ledger newBackend makes behind a ledger server that accepts bare
// leaves (WithLeafAppendsUnsafe: the conformance suite appends them; TestAppendSigned
// and TestAppendSignedConcurrently cover the authenticated path), and returns a client of it.
func served(newBackend ledgertest.Factory) ledgertest.Factory {
	return func(t *testing.T) (ledger.Ledger, ledger.Log) {
		backend, entry := newBackend(t)
		return serve(t, backend, entry, nil, server.WithLeafAppendsUnsafe()), entry
	}
}

func TestConformancePosix(t *testing.T) {
	ledgertest.Run(t, served(posixlogtest.Factory()))
}

func TestConformanceTrillian(t *testing.T) {
	ledgertest.Run(t, served(trilliantest.Factory(trilliantest.InProcess(t))))
}

func TestConformanceTrillianProcess(t *testing.T) {
	addr, _ := trilliantest.FromEnv(t)
	ledgertest.Run(t, served(trilliantest.Factory(addr)))
}

// TestAppendSignedConcurrently appends signed entries concurrently through the server
// to each backend; every receipt proves its entry.
func TestAppendSignedConcurrently(t *testing.T) {
	forEachSignedLog(t, func(t *testing.T, l signedLog) {
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for i := range errs {
			wg.Go(func() {
				leaf := ledgertest.Leaf(fmt.Sprintf(`{"event":%d}`, i))
				r, err := l.AppendSigned(t.Context(), leaf, l.signer)
				if err == nil {
					_, err = l.trust.VerifyReceipt(r, leaf)
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "entry %d", i)
		}

		// The same entry again: the receipt of the one logged.
		leaf := ledgertest.Leaf(`{"event":0}`)
		r, err := l.AppendSigned(t.Context(), leaf, l.signer)
		require.NoError(t, err)
		_, err = l.trust.VerifyReceipt(r, leaf)
		require.NoError(t, err)

		_, err = l.Append(t.Context(), ledgertest.Leaf("bare"))
		require.ErrorIs(t, err, httplog.ErrSignedEntryRequired)
		require.ErrorContains(t, err, "AppendSigned")
	})
}
