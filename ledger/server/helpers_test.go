package server_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
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
