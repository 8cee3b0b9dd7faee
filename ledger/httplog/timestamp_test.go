package httplog_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httpapi"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/server"
	"github.com/evidctl/evidctl/ledger/tsa"
	"github.com/evidctl/evidctl/ledger/tsa/tsatest"
)

// TestTimestampThroughTheServer: a server whose ledger has a TSA gives a client the
// token of its latest checkpoint, and stamps the receipts it returns.
func TestTimestampThroughTheServer(t *testing.T) {
	authority := tsatest.New(t)
	client, err := tsa.NewClient(authority.URL)
	require.NoError(t, err)
	backend, entry := posixlogtest.NewLog(t, posixlog.WithDecorator(tsa.Decorator(client)))
	l := serve(t, backend, entry, nil, server.WithLeafAppendsUnsafe())
	v, err := tsa.NewVerifier(authority.Authority())
	require.NoError(t, err)

	cp, err := l.Checkpoint(t.Context())
	require.NoError(t, err)
	token, err := l.TimestampCheckpoint(t.Context(), cp)
	require.NoError(t, err)
	_, err = v.Verify(token, cp)
	require.NoError(t, err)

	leaf := ledgertest.Leaf("stamped through the server")
	r, err := l.Append(t.Context(), leaf)
	require.NoError(t, err)
	_, err = (&ledger.Trust{Logs: []ledger.Log{entry}}).VerifyReceipt(r, leaf)
	require.NoError(t, err)
	_, err = v.VerifyReceipt(r)
	require.NoError(t, err, "the receipt carries its checkpoint's token")
}

func TestTimestampRefusals(t *testing.T) {
	authority := tsatest.New(t)
	client, err := tsa.NewClient(authority.URL)
	require.NoError(t, err)

	t.Run("no TSA", func(t *testing.T) {
		plain, entry := posixlogtest.NewLog(t)
		l := serve(t, plain, entry, nil)
		cp, err := l.Checkpoint(t.Context())
		require.NoError(t, err)
		_, err = l.TimestampCheckpoint(t.Context(), cp)
		require.ErrorIs(t, err, ledger.ErrNoTimestamps)
	})
	t.Run("not the latest", func(t *testing.T) {
		// A genuine checkpoint of the log, published before the TSA was configured and
		// since superseded: the server does not stamp it.
		dir, key := filepath.Join(t.TempDir(), "log"), filepath.Join(t.TempDir(), "log.key")
		vkey, err := posixlog.Init(dir, key, "evidctl.test/superseded")
		require.NoError(t, err)
		before, err := posixlog.Open(t.Context(), dir, key)
		require.NoError(t, err)
		_, err = before.Append(t.Context(), ledgertest.Leaf("one"))
		require.NoError(t, err)
		old, err := before.Checkpoint(t.Context())
		require.NoError(t, err)
		_, err = before.Append(t.Context(), ledgertest.Leaf("two"))
		require.NoError(t, err)
		require.NoError(t, before.Close())

		stamped, err := posixlog.Open(t.Context(), dir, key, posixlog.WithDecorator(tsa.Decorator(client)))
		require.NoError(t, err)
		t.Cleanup(func() { _ = stamped.Close() })
		l := serve(t, stamped, ledger.Log{Origin: stamped.Origin(), VerifierKey: vkey}, nil)
		asked := authority.Requests()
		_, err = l.TimestampCheckpoint(t.Context(), old)
		require.ErrorIs(t, err, ledger.ErrNotLatest)
		require.Equal(t, asked, authority.Requests(), "the TSA was not asked")
	})
	t.Run("bad bodies", func(t *testing.T) {
		stamped, _ := posixlogtest.NewLog(t, posixlog.WithDecorator(tsa.Decorator(client)))
		h, err := server.New(stamped, nil)
		require.NoError(t, err)
		for name, tc := range map[string]struct {
			body string
			code int
			says string
		}{
			"not a note":  {"hello\n", http.StatusBadRequest, "not a signed checkpoint note"},
			"another log": {"example.org/other\n1\n" + strings.Repeat("A", 43) + "=\n\n— example.org/other AAAAAAAAAAAAAAAAAAAAAA==\n", http.StatusBadRequest, "not of this log"},
			"too large":   {strings.Repeat("x", httpapi.MaxCheckpointSize+1), http.StatusRequestEntityTooLarge, "exceeds"},
		} {
			req := httptest.NewRequest(http.MethodPost, httpapi.TimestampPath, strings.NewReader(tc.body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, tc.code, rec.Code, "%s: %s", name, rec.Body)
			require.Contains(t, rec.Body.String(), tc.says, name)
		}
	})
}
