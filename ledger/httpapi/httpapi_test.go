package httpapi_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httpapi"
)

func TestQueries(t *testing.T) {
	require.Equal(t, "/proof/inclusion?index=3&size=18446744073709551615", httpapi.InclusionQuery(3, 1<<64-1))
	require.Equal(t, "/proof/consistency?old=0&new=7", httpapi.ConsistencyQuery(0, 7))
}

func TestProofRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, httpapi.MaxProofHashes} {
		p := make([]tlog.Hash, n)
		for i := range p {
			p[i][0], p[i][31] = byte(i), 0xff
		}
		got, err := httpapi.ParseProof(httpapi.FormatProof(p))
		require.NoError(t, err, "%d hashes", n)
		require.Equal(t, p, got)
		require.NotNil(t, got, "an empty proof parses as empty, not nil")
	}
}

func TestParseProofRefuses(t *testing.T) {
	h := tlog.Hash{1}.String() + "\n"
	for name, body := range map[string]string{
		"NoFinalNewline":  h[:len(h)-1],
		"NotAHash":        h + "not a hash\n",
		"ShortHash":       "AAAA\n",
		"NonCanonical":    "0000000000000000000000000000000000000000001=\n",
		"BlankLine":       h + "\n",
		"CarriageReturn":  h[:len(h)-1] + "\r\n",
		"TooManyHashes":   string(bytes.Repeat([]byte(h), httpapi.MaxProofHashes+1)),
		"TrailingGarbage": h + "x",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := httpapi.ParseProof([]byte(body))
			require.ErrorIs(t, err, ledger.ErrMalformed)
		})
	}
}

// FuzzParseProof: whatever a server sends as a proof is parsed or refused with an
// error, never a panic, and what parses re-encodes to exactly the input.
func FuzzParseProof(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"))
	f.Add([]byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nnot a hash\n"))
	f.Add([]byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="))
	f.Add([]byte("0000000000000000000000000000000000000000001=\n")) // non-canonical base64: refused
	f.Fuzz(func(t *testing.T, body []byte) {
		hs, err := httpapi.ParseProof(body)
		if err != nil {
			return
		}
		if again := httpapi.FormatProof(hs); !bytes.Equal(again, body) {
			t.Fatalf("parsed %q but it re-encodes as %q", body, again)
		}
	})
}
