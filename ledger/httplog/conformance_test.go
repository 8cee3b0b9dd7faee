package httplog_test

import (
	"net/http/httptest"
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

// serve puts backend behind a ledger server on loopback and returns a client of it.
func serve(t *testing.T, backend ledger.Ledger, allow []*sign.Verifier, opts ...server.Option) *httplog.Log {
	t.Helper()
	h, err := server.New(backend, allow, opts...)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	l, err := httplog.Open(t.Context(), srv.URL)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close()) })
	return l
}

// served puts each ledger newBackend makes behind a ledger server that accepts bare
// leaves (WithLeafAppendsUnsafe: the conformance suite appends them; envelope_test.go
// covers the authenticated path), and returns a client of it.
func served(newBackend ledgertest.Factory) ledgertest.Factory {
	return func(t *testing.T) (ledger.Ledger, ledger.Log) {
		backend, entry := newBackend(t)
		return serve(t, backend, nil, server.WithLeafAppendsUnsafe()), entry
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
