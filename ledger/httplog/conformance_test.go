package httplog_test

import (
	"crypto/ed25519"
	"crypto/rand"
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

// newSigner returns an Ed25519 signer for envelopes.
func newSigner(t *testing.T) *sign.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	s, err := sign.NewSigner(priv)
	require.NoError(t, err)
	return s
}

// The conformance suite appends bare leaves, so these servers run with
// WithLeafAppendsUnsafe; envelope_test.go covers the authenticated path.

func TestConformancePosix(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) (ledger.Ledger, ledger.Log) {
		backend, entry := posixlogtest.NewLog(t)
		return serve(t, backend, nil, server.WithLeafAppendsUnsafe()), entry
	})
}

func TestConformanceTrillian(t *testing.T) {
	addr := trilliantest.InProcess(t)
	ledgertest.Run(t, func(t *testing.T) (ledger.Ledger, ledger.Log) {
		backend, entry := trilliantest.NewLog(t, addr)
		return serve(t, backend, nil, server.WithLeafAppendsUnsafe()), entry
	})
}

func TestConformanceTrillianProcess(t *testing.T) {
	addr, _ := trilliantest.FromEnv(t)
	ledgertest.Run(t, func(t *testing.T) (ledger.Ledger, ledger.Log) {
		backend, entry := trilliantest.NewLog(t, addr)
		return serve(t, backend, nil, server.WithLeafAppendsUnsafe()), entry
	})
}
