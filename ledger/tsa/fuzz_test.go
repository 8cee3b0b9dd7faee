package tsa_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/digitorus/timestamp"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger/tsa"
)

// FuzzVerify feeds hostile tokens to Verify: it must return an error, never panic, and
// whatever it accepts must say what the one valid token says. (CMS leaves parts of a
// token unsigned, the certificate set for one, so other bytes may carry the same proof.)
func FuzzVerify(f *testing.F) {
	cp, token, v := readVector(f)
	want, err := v.Verify(token, cp)
	require.NoError(f, err)
	ca := newCA(f)
	f.Add(token)
	f.Add(ca.token(f, stamp{imprint: imprint(f, cp)}))
	f.Add(ca.token(f, stamp{imprint: imprint(f, cp), leafOnly: true}))
	f.Add(ca.response(f, stamp{imprint: imprint(f, cp)}))
	for _, n := range []int{1, 2, 10, 100, len(token) / 2, len(token) - 1} {
		f.Add(token[:n])
	}
	f.Add([]byte{0x30, 0x80, 0x00, 0x00}) // BER indefinite length
	f.Add([]byte("not a token"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := v.Verify(data, cp)
		if err == nil {
			require.Equal(t, want, got, "an accepted variant proves the same time")
		}
		inspected, ierr := tsa.Inspect(data, cp)
		if err == nil {
			require.NoError(t, ierr, "a token the verifier accepts passes inspection")
			require.Equal(t, want.Time, inspected.Time)
		}
		if ierr == nil {
			require.Empty(t, inspected.Authority, "inspection trusts nobody")
		}
	})
}

// roundTripFunc serves HTTP from memory.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzRequestReply feeds hostile TSA answers to the client, in memory: it must return an
// error, never panic.
func FuzzRequestReply(f *testing.F) {
	cp := checkpoint(f, "example.org/log", 1)
	ca := newCA(f)
	f.Add(ca.response(f, stamp{imprint: imprint(f, cp)}))
	f.Add(ca.response(f, stamp{imprint: imprint(f, cp), noCerts: true}))
	rejected, err := timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.SystemFailure)
	require.NoError(f, err)
	f.Add(rejected)
	f.Add([]byte{})
	f.Add([]byte("<html>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := tsa.NewClient("http://tsa.invalid/", tsa.WithHTTPClient(&http.Client{
			Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return &http.Response{
					StatusCode: http.StatusOK,
					Header:     http.Header{"Content-Type": {"application/timestamp-reply"}},
					Body:       io.NopCloser(bytes.NewReader(data)),
					Request:    r,
				}, nil
			}),
		}))
		require.NoError(t, err)
		// No answer fixed in advance can carry the nonce of a new request.
		_, err = c.Request(t.Context(), cp)
		require.Error(t, err)
	})
}

// FuzzParseAuthority feeds hostile PEM to ParseAuthority: an error, never a panic.
func FuzzParseAuthority(f *testing.F) {
	ca := newCA(f)
	f.Add(pemOf(ca.root), pemOf(ca.intermediate))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"), []byte{})
	f.Add([]byte("junk"), []byte("junk"))
	f.Fuzz(func(t *testing.T, roots, intermediates []byte) {
		a, err := tsa.ParseAuthority("fuzz", roots, intermediates)
		if err == nil {
			require.NotEmpty(t, a.Roots)
		}
	})
}
