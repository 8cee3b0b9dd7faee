package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger/httpapi"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/server"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

func signed(tb testing.TB, payload string, signers ...*sign.Signer) []byte {
	env, _ := ledgertest.Envelope(tb, payload, signers...)
	return env
}

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
// status and that the log did not change.
func TestRefusedAppends(t *testing.T) {
	allowed, stranger := ledgertest.NewSigner(t), ledgertest.NewSigner(t)
	good := signed(t, `{"ok":true}`, allowed)
	var tampered map[string]any
	require.NoError(t, json.Unmarshal(good, &tampered))
	tampered["payload"] = "eyJvayI6ZmFsc2V9" // {"ok":false}, under the signature of {"ok":true}
	tamperedJSON, _ := json.Marshal(tampered)

	cases := []struct {
		name        string
		contentType string
		body        []byte
		want        int
	}{
		{"StrangerKey", httpapi.EnvelopeType, signed(t, `{"x":1}`, stranger), http.StatusForbidden},
		{"Unsigned", httpapi.EnvelopeType, []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`), http.StatusForbidden},
		{"NoSignatures", httpapi.EnvelopeType, []byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30="}`), http.StatusForbidden},
		{"TamperedPayload", httpapi.EnvelopeType, tamperedJSON, http.StatusForbidden},
		{"Oversized", httpapi.EnvelopeType, bytes.Repeat([]byte(" "), server.DefaultMaxBodySize+1), http.StatusRequestEntityTooLarge},
		{"NotJSON", httpapi.EnvelopeType, []byte("hello"), http.StatusBadRequest},
		{"Empty", httpapi.EnvelopeType, nil, http.StatusBadRequest},
		{"BadBase64", httpapi.EnvelopeType, []byte(`{"payloadType":"t","payload":"!!","signatures":[{"keyid":"","sig":"AA=="}]}`), http.StatusBadRequest},
		{"UnknownField", httpapi.EnvelopeType, []byte(`{"payloadType":"t","payload":"e30=","signatures":[{"sig":"AA=="}],"x":1}`), http.StatusBadRequest},
		{"BareLeaf", httpapi.LeafType, ledgertest.Leaf("bare"), http.StatusUnsupportedMediaType},
	}
	backends := map[string]ledgertest.Factory{
		"posix":    posixlogtest.Factory(),
		"trillian": trilliantest.Factory(trilliantest.InProcess(t)),
	}
	for name, newBackend := range backends {
		t.Run(name, func(t *testing.T) {
			backend, _ := newBackend(t)
			url := serveHandler(t, backend, []*sign.Verifier{allowed.Verifier()}, server.WithLogger(discardLogger()))
			before, err := backend.Checkpoint(t.Context())
			require.NoError(t, err)
			for _, tc := range cases {
				code, _, answer := post(t, url, tc.contentType, tc.body)
				require.Equal(t, tc.want, code, "%s: %s", tc.name, answer)
				require.NotContains(t, answer, "ok", "%s: the answer must not echo the payload", tc.name)
			}
			after, err := backend.Checkpoint(t.Context())
			require.NoError(t, err)
			require.Equal(t, string(before), string(after), "refused appends changed the log")

			code, _, answer := post(t, url, httpapi.EnvelopeType, good)
			require.Equal(t, http.StatusOK, code, answer)
			require.True(t, strings.HasPrefix(answer, "c2sp.org/tlog-proof@v1\n"))
		})
	}
}

// TestReadOnlyServer: with no allowed signer, every append is refused.
func TestReadOnlyServer(t *testing.T) {
	backend, _ := posixlogtest.NewLog(t)
	url := serveHandler(t, backend, nil)
	code, _, _ := post(t, url, httpapi.EnvelopeType, signed(t, `{}`, ledgertest.NewSigner(t)))
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
