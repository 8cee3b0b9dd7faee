package server_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httpapi"
	"github.com/evidctl/evidctl/ledger/internal/tiles"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/server"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

// signedEntry returns the signed-entry body of entry, signed by s.
func signedEntry(t *testing.T, entry []byte, s *sign.Signer) []byte {
	t.Helper()
	sig, err := s.SignEntry(t.Context(), entry)
	require.NoError(t, err)
	return httpapi.SignedEntry{Entry: entry, KeyID: s.KeyID(), Sig: sig}.Marshal()
}

func backends(t *testing.T) map[string]ledgertest.Factory {
	return map[string]ledgertest.Factory{
		"posix":    posixlogtest.Factory(),
		"trillian": trilliantest.Factory(trilliantest.InProcess(t)),
	}
}

// TestSignedEntryRefused: a signed entry that is unsigned, by a key not allowed, with a
// signature that does not verify (over another entry, by another key under the allowed
// key's id, or over the entry as a statement) or with two signatures is refused, and the
// log does not change.
func TestSignedEntryRefused(t *testing.T) {
	allowed, stranger := ledgertest.NewSigner(t), ledgertest.NewSigner(t)
	entry := ledgertest.Entry(t.Name(), "event")
	sigOf := func(s *sign.Signer, e []byte) string {
		sig, err := s.SignEntry(t.Context(), e)
		require.NoError(t, err)
		return base64.StdEncoding.EncodeToString(sig)
	}
	e64 := base64.StdEncoding.EncodeToString(entry)
	body := func(keyID, sig string) []byte {
		return fmt.Appendf(nil, `{"entry":%q,"keyid":%q,"sig":%q}`, e64, keyID, sig)
	}
	stmt, _ := ledgertest.Envelope(t, string(entry), allowed)
	var env sign.Envelope
	require.NoError(t, json.Unmarshal(stmt, &env))
	cases := []struct {
		name string
		body []byte
		want int
	}{
		{"Unsigned", fmt.Appendf(nil, `{"entry":%q,"keyid":%q}`, e64, allowed.KeyID()), http.StatusBadRequest},
		{"UnknownKey", signedEntry(t, entry, stranger), http.StatusForbidden},
		{"OtherKeyUnderAllowedID", body(allowed.KeyID(), sigOf(stranger, entry)), http.StatusForbidden},
		{"SignatureOfAnotherEntry", body(allowed.KeyID(), sigOf(allowed, ledgertest.Entry(t.Name(), "other"))), http.StatusForbidden},
		{"StatementSignature", body(allowed.KeyID(), base64.StdEncoding.EncodeToString(env.Signatures[0].Sig)), http.StatusForbidden},
		{"TwoSignatures", fmt.Appendf(nil, `{"entry":%q,"keyid":%q,"sig":%q,"sig":%q}`, e64, allowed.KeyID(), sigOf(allowed, entry), sigOf(allowed, entry)), http.StatusBadRequest},
		{"SignatureList", fmt.Appendf(nil, `{"entry":%q,"keyid":%q,"sig":[%q]}`, e64, allowed.KeyID(), sigOf(allowed, entry)), http.StatusBadRequest},
		{"NoKeyID", fmt.Appendf(nil, `{"entry":%q,"keyid":"","sig":%q}`, e64, sigOf(allowed, entry)), http.StatusBadRequest},
		{"BareCommitment", signedEntry(t, entry[:ledger.LeafSize], allowed), http.StatusBadRequest},
		{"Oversized", []byte(strings.Repeat(" ", httpapi.MaxSignedEntrySize+1)), http.StatusRequestEntityTooLarge},
	}
	for name, newBackend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			url, requireUnchanged := serveRefusing(t, newBackend, allowed)
			for _, tc := range cases {
				code, _, answer := post(t, url, httpapi.SignedEntryType, tc.body)
				require.Equal(t, tc.want, code, "%s: %s", tc.name, answer)
			}
			requireUnchanged()
			code, _, answer := post(t, url, httpapi.SignedEntryType, signedEntry(t, entry, allowed))
			require.Equal(t, http.StatusOK, code, answer)
		})
	}
}

// TestReplayAndConflict (issue 13 item 10, issue 12): an entry posted again gets the
// same receipt and no new log entry; a second successor gets 409 naming the first's
// index.
func TestReplayAndConflict(t *testing.T) {
	s := ledgertest.NewSigner(t)
	for name, newBackend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			backend, entry := newBackend(t)
			trust := &ledger.Trust{Logs: []ledger.Log{entry}}
			url := serveHandler(t, backend, []*sign.Verifier{s.Verifier()}, server.WithLogger(discardLogger()))
			first := ledgertest.Entry(t.Name(), "to A")
			body := signedEntry(t, first, s)
			code, _, a1 := post(t, url, httpapi.SignedEntryType, body)
			require.Equal(t, http.StatusOK, code, a1)
			size := ledgertest.CheckpointSize(t, backend, trust)
			for range 3 {
				code, _, again := post(t, url, httpapi.SignedEntryType, body)
				require.Equal(t, http.StatusOK, code, again)
				require.Equal(t, indexOf(t, a1), indexOf(t, again), "a replay got another entry")
			}
			require.Equal(t, size, ledgertest.CheckpointSize(t, backend, trust), "a replay grew the log")
			firstIndex := indexOf(t, a1)
			code, _, answer := post(t, url, httpapi.SignedEntryType, signedEntry(t, ledgertest.Entry(t.Name(), "to B"), s))
			require.Equal(t, http.StatusConflict, code, answer)
			ce, err := httpapi.ParseConflict(strings.TrimSuffix(answer, "\n"))
			require.NoError(t, err, answer)
			require.Equal(t, firstIndex, ce.Index)
			require.Equal(t, ledger.Entry(first).Commitment(), ce.Commitment)
		})
	}
}

func indexOf(t *testing.T, receipt string) uint64 {
	t.Helper()
	r, err := ledger.ParseReceipt([]byte(receipt))
	require.NoError(t, err)
	return r.Index
}

// TestRateLimit: past its burst, a key's appends get 429 with Retry-After; another key
// is not held back, and a stranger's refused appends spend nobody's allowance.
func TestRateLimit(t *testing.T) {
	a, b, stranger := ledgertest.NewSigner(t), ledgertest.NewSigner(t), ledgertest.NewSigner(t)
	backend, _ := posixlogtest.NewLog(t)
	url := serveHandler(t, backend, []*sign.Verifier{a.Verifier(), b.Verifier()}, server.WithRateLimit(0.5, 2), server.WithLogger(discardLogger()))
	for i := range 3 {
		badSig := signedEntry(t, ledgertest.Entry(t.Name(), fmt.Sprint("forged ", i)), stranger)
		var body map[string]string
		require.NoError(t, json.Unmarshal(badSig, &body))
		body["keyid"] = a.KeyID()
		forged, _ := json.Marshal(body)
		code, _, _ := post(t, url, httpapi.SignedEntryType, forged)
		require.Equal(t, http.StatusForbidden, code)
	}
	for i := range 2 {
		code, _, answer := post(t, url, httpapi.SignedEntryType, signedEntry(t, ledgertest.Entry(fmt.Sprint(t.Name(), "/a", i), "x"), a))
		require.Equal(t, http.StatusOK, code, answer)
	}
	code, retry, answer := post(t, url, httpapi.SignedEntryType, signedEntry(t, ledgertest.Entry(t.Name()+"/a2", "x"), a))
	require.Equal(t, http.StatusTooManyRequests, code, answer)
	require.Contains(t, answer, a.KeyID())
	n, err := strconv.Atoi(retry)
	require.NoError(t, err, "Retry-After %q", retry)
	require.InDelta(t, 2, n, 1)
	code, _, answer = post(t, url, httpapi.SignedEntryType, signedEntry(t, ledgertest.Entry(t.Name()+"/b0", "x"), b))
	require.Equal(t, http.StatusOK, code, answer)
}

// TestEntriesEndpoint: GET /entries answers the log's entries in bundle form, within
// the latest checkpoint and the per-request bound.
func TestEntriesEndpoint(t *testing.T) {
	for name, newBackend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			backend, _ := newBackend(t)
			leaves := [][]byte{ledgertest.Entry("a", "1"), ledgertest.Leaf("c"), ledgertest.Entry("b", "2")}
			rs, err := backend.AppendBatch(t.Context(), leaves)
			require.NoError(t, err)
			byIndex := make([][]byte, len(leaves)) // Trillian may order a batch its own way
			for i, r := range rs {
				byIndex[r.Index] = leaves[i]
			}
			url := serveHandler(t, backend, nil)
			for q, want := range map[string]int{
				httpapi.EntriesQuery(0, 3):       http.StatusOK,
				httpapi.EntriesQuery(1, 2):       http.StatusOK,
				httpapi.EntriesQuery(0, 4):       http.StatusBadRequest,
				httpapi.EntriesQuery(3, 1):       http.StatusBadRequest,
				httpapi.EntriesQuery(0, 0):       http.StatusBadRequest,
				httpapi.EntriesQuery(0, 1025):    http.StatusBadRequest,
				httpapi.EntriesQuery(1<<64-1, 1): http.StatusBadRequest,
				"/entries?start=0":               http.StatusBadRequest,
				"/entries?start=00&count=1":      http.StatusBadRequest,
			} {
				resp, err := http.Get(url + q)
				require.NoError(t, err)
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				require.NoError(t, err)
				require.Equal(t, want, resp.StatusCode, "%s: %s", q, body)
				if q == httpapi.EntriesQuery(1, 2) {
					got, err := tiles.Split(body)
					require.NoError(t, err)
					require.Equal(t, byIndex[1:], got)
				}
			}
		})
	}
}
