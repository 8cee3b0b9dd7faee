package server_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/server"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// serveHandler serves l with server.New on loopback until the test ends, and returns
// the server's URL.
func serveHandler(tb testing.TB, l ledger.Ledger, allow []*sign.Verifier, opts ...server.Option) string {
	tb.Helper()
	h, err := server.New(l, allow, opts...)
	require.NoError(tb, err)
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL
}

// serveRefusing serves the log newBackend makes, allowing allowed's signed entries and
// discarding the server's log lines, for a test of appends the server must refuse. It
// returns the server's URL and a check that fails the test if the log has grown since.
func serveRefusing(t *testing.T, newBackend ledgertest.Factory, allowed *sign.Signer) (url string, requireUnchanged func()) {
	t.Helper()
	backend, _ := newBackend(t)
	url = serveHandler(t, backend, []*sign.Verifier{allowed.Verifier()}, server.WithLogger(discardLogger()))
	before, err := backend.Checkpoint(t.Context())
	require.NoError(t, err)
	return url, func() {
		t.Helper()
		after, err := backend.Checkpoint(t.Context())
		require.NoError(t, err)
		require.Equal(t, string(before), string(after), "refused appends changed the log")
	}
}
