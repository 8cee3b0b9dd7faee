package server_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger/httpapi"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/server"
)

// post sends body to /append and returns the status, the Retry-After header and the answer.
func post(t *testing.T, url, contentType string, body []byte) (int, string, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url+"/append", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(answer)
}

// TestRefusedAppends posts appends the server must refuse, to each backend, and checks the
// status and that the log did not change. Only a signed entry is read: an envelope (the
// append of the transition, now over), a bare leaf, or any other media type gets 415.
func TestRefusedAppends(t *testing.T) {
	allowed, stranger := ledgertest.NewSigner(t), ledgertest.NewSigner(t)
	envelope, _ := ledgertest.Envelope(t, `{"ok":true}`, allowed)
	cases := []struct {
		name        string
		contentType string
		body        []byte
		want        int
	}{
		{"Envelope", httpapi.EnvelopeType, envelope, http.StatusUnsupportedMediaType},
		{"EnvelopeOversized", httpapi.EnvelopeType, bytes.Repeat([]byte(" "), server.DefaultMaxBodySize+1), http.StatusUnsupportedMediaType},
		{"EnvelopeAsJSON", "application/json", envelope, http.StatusUnsupportedMediaType},
		{"NoContentType", "", envelope, http.StatusUnsupportedMediaType},
		{"BareLeaf", httpapi.LeafType, ledgertest.Leaf("bare"), http.StatusUnsupportedMediaType},
		{"StrangerKey", httpapi.SignedEntryType, signedEntry(t, ledgertest.Leaf("x"), stranger), http.StatusForbidden},
		{"Oversized", httpapi.SignedEntryType, bytes.Repeat([]byte(" "), httpapi.MaxSignedEntrySize+1), http.StatusRequestEntityTooLarge},
		{"NotJSON", httpapi.SignedEntryType, []byte("hello"), http.StatusBadRequest},
		{"Empty", httpapi.SignedEntryType, nil, http.StatusBadRequest},
		{"EnvelopeAsSignedEntry", httpapi.SignedEntryType, envelope, http.StatusBadRequest},
	}
	for name, newBackend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			url, requireUnchanged := serveRefusing(t, newBackend, allowed)
			for _, tc := range cases {
				code, _, answer := post(t, url, tc.contentType, tc.body)
				require.Equal(t, tc.want, code, "%s: %s", tc.name, answer)
				require.NotContains(t, answer, `"ok"`, "%s: the answer must not echo the payload", tc.name)
			}
			requireUnchanged()

			code, _, answer := post(t, url, httpapi.SignedEntryType, signedEntry(t, ledgertest.Leaf(t.Name()), allowed))
			require.Equal(t, http.StatusOK, code, answer)
			require.True(t, strings.HasPrefix(answer, "c2sp.org/tlog-proof@v1\n"))
		})
	}
}

// TestReadOnlyServer: with no allowed signer, every append is refused.
func TestReadOnlyServer(t *testing.T) {
	backend, _ := posixlogtest.NewLog(t)
	url := serveHandler(t, backend, nil)
	code, _, _ := post(t, url, httpapi.SignedEntryType, signedEntry(t, ledgertest.Leaf(t.Name()), ledgertest.NewSigner(t)))
	require.Equal(t, http.StatusForbidden, code)
}

// TestBadQueries checks the read paths' input validation.
func TestBadQueries(t *testing.T) {
	backend, _ := posixlogtest.NewLog(t)
	_, err := backend.AppendBatch(t.Context(), [][]byte{ledgertest.Leaf("a"), ledgertest.Leaf("b")})
	require.NoError(t, err)
	url := serveHandler(t, backend, nil)
	for path, want := range map[string]int{
		"/proof/inclusion?index=0&size=2":    http.StatusOK,
		"/proof/inclusion?index=2&size=2":    http.StatusBadRequest,
		"/proof/inclusion?index=0&size=3":    http.StatusBadRequest,
		"/proof/inclusion?index=-1&size=2":   http.StatusBadRequest,
		"/proof/inclusion?index=01&size=2":   http.StatusBadRequest,
		"/proof/inclusion?size=2":            http.StatusBadRequest,
		"/proof/inclusion?index=0&index=1":   http.StatusBadRequest,
		"/proof/consistency?old=1&new=2":     http.StatusOK,
		"/proof/consistency?old=2&new=1":     http.StatusBadRequest,
		"/proof/consistency?old=1&new=99":    http.StatusBadRequest,
		"/checkpoint":                        http.StatusOK,
		"/tile/0/000":                        http.StatusNotFound, // two leaves: only a partial tile exists
		"/tile/":                             http.StatusNotFound,
		"/.state/treeState":                  http.StatusNotFound,
		"/tile/../.state/treeState":          http.StatusNotFound,
		"/append":                            http.StatusMethodNotAllowed,
		"/nothing":                           http.StatusNotFound,
		"/tile/0/000.p/2":                    http.StatusOK,
		"/tile/entries/000.p/2":              http.StatusOK,
		"/proof/consistency?old=0&new=2":     http.StatusOK,
		"/proof/inclusion?index=0&size=1e10": http.StatusBadRequest,
	} {
		resp, err := http.Get(url + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, want, resp.StatusCode, path)
	}
}
