package ledgerurl_test

import (
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httplog"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/ledgerurl"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/server"
	"github.com/evidctl/evidctl/ledger/trillianlog"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

// appendOne appends a leaf and verifies its receipt.
func appendOne(t *testing.T, l ledger.Ledger, vkey string) {
	t.Helper()
	leaf := ledgertest.Leaf(t.Name())
	r, err := l.Append(t.Context(), leaf)
	require.NoError(t, err)
	trust := &ledger.Trust{Logs: []ledger.Log{{Origin: l.Origin(), VerifierKey: vkey}}}
	_, err = trust.VerifyReceipt(r, leaf)
	require.NoError(t, err)
}

func TestOpenHome(t *testing.T) {
	home := t.TempDir()
	vkey, err := posixlog.Init(filepath.Join(home, "log"), filepath.Join(home, "log.key"), "evidctl.test/home")
	require.NoError(t, err)
	l, err := ledgerurl.Open(t.Context(), home)
	require.NoError(t, err)
	defer l.Close()
	require.IsType(t, &posixlog.Log{}, l)
	appendOne(t, l, vkey)
}

func TestOpenHTTP(t *testing.T) {
	backend, entry := posixlogtest.NewLog(t)
	h, err := server.New(backend, nil, server.WithLeafAppendsUnsafe())
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	_, err = ledgerurl.Open(t.Context(), srv.URL+"/")
	require.ErrorIs(t, err, httplog.ErrNoTrust, "a ledger server needs the trust to verify its checkpoints")
	l, err := ledgerurl.Open(t.Context(), srv.URL+"/", ledgerurl.WithTrust(&ledger.Trust{Logs: []ledger.Log{entry}}))
	require.NoError(t, err)
	defer l.Close()
	require.IsType(t, &httplog.Log{}, l)
	require.Implements(t, (*ledger.AuthenticatedAppender)(nil), l)
	appendOne(t, l, entry.VerifierKey)
}

func TestOpenTrillian(t *testing.T) {
	addr := trilliantest.InProcess(t)
	key := filepath.Join(t.TempDir(), "trillian.key")
	ep, vkey, err := trillianlog.Init(t.Context(), addr, key, "evidctl.test/ledgerurl")
	require.NoError(t, err)
	_, err = ledgerurl.Open(t.Context(), ep.String())
	require.ErrorContains(t, err, "key file")
	l, err := ledgerurl.Open(t.Context(), ep.String(), ledgerurl.WithKeyFile(key))
	require.NoError(t, err)
	defer l.Close()
	require.IsType(t, &trillianlog.Log{}, l)
	appendOne(t, l, vkey)
}

func TestOpenRefuses(t *testing.T) {
	for _, spec := range []string{"", "ftp://x/y", t.TempDir(), "trillian://h/1", "http://"} {
		_, err := ledgerurl.Open(t.Context(), spec, ledgerurl.WithKeyFile("/nonexistent"))
		require.Error(t, err, spec)
	}
	_, err := ledgerurl.Open(t.Context(), "ftp://x/y")
	require.ErrorIs(t, err, ledgerurl.ErrUnknownScheme)
}
