package httplog_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httplog"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/server"
)

// TestRetryAfter: appends refused with 429 or 503 are retried after Retry-After.
func TestRetryAfter(t *testing.T) {
	backend, entry := posixlogtest.NewLog(t)
	s := ledgertest.NewSigner(t)
	h, err := server.New(backend, []*sign.Verifier{s.Verifier()})
	require.NoError(t, err)
	var refusals atomic.Int32
	refusals.Store(2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && refusals.Add(-1) >= 0 {
			w.Header().Set("Retry-After", "1")
			code := http.StatusTooManyRequests
			if refusals.Load() == 0 {
				code = http.StatusServiceUnavailable
			}
			http.Error(w, "busy", code)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	trust := httplog.WithTrust(&ledger.Trust{Logs: []ledger.Log{entry}})
	l, err := httplog.Open(t.Context(), srv.URL, trust)
	require.NoError(t, err)
	defer l.Close()

	leaf := ledgertest.Leaf(`{"retry":true}`)
	start := time.Now()
	r, err := l.AppendSigned(t.Context(), leaf, s)
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), 2*time.Second, "two Retry-After: 1 honoured")
	_, err = (&ledger.Trust{Logs: []ledger.Log{entry}}).VerifyReceipt(r, leaf)
	require.NoError(t, err)

	// Giving up: a server that is always busy.
	refusals.Store(1 << 20)
	l2, err := httplog.Open(t.Context(), srv.URL, trust, httplog.WithMaxAttempts(2), httplog.WithMaxRetryWait(10*time.Millisecond))
	require.NoError(t, err)
	defer l2.Close()
	_, err = l2.AppendSigned(t.Context(), leaf, s)
	var se *httplog.StatusError
	require.ErrorAs(t, err, &se)
	require.Contains(t, []int{http.StatusTooManyRequests, http.StatusServiceUnavailable}, se.Code)
}

// TestOpenRejectsBadURL checks Open's URL validation.
func TestOpenRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "http://", "trillian://h:1/2", "http://h/?q=1", "/tmp/x"} {
		_, err := httplog.Open(t.Context(), u)
		require.Error(t, err, u)
	}
}

// TestOpenRejectsBadOptions checks that the retry options refuse what cannot work,
// before any request.
func TestOpenRejectsBadOptions(t *testing.T) {
	_, err := httplog.Open(t.Context(), "http://127.0.0.1:1", httplog.WithMaxAttempts(0))
	require.ErrorContains(t, err, "max attempts 0 is below 1")
	_, err = httplog.Open(t.Context(), "http://127.0.0.1:1", httplog.WithMaxRetryWait(0))
	require.ErrorContains(t, err, "max retry wait 0s is not positive")
}

// TestNoRetryOnPermanentFailure: an unknown host or a TLS mismatch fails at once.
func TestNoRetryOnPermanentFailure(t *testing.T) {
	start := time.Now()
	trust := httplog.WithTrust(&ledger.Trust{}) // a request is made, and fails before any checkpoint is verified
	_, err := httplog.Open(t.Context(), "http://no-such-host.invalid", trust)
	require.Error(t, err)
	srv := httptest.NewServer(http.NotFoundHandler()) // plain HTTP, spoken to as HTTPS
	defer srv.Close()
	_, err = httplog.Open(t.Context(), "https://"+srv.Listener.Addr().String(), trust)
	require.Error(t, err)
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler()) // a certificate nobody trusts
	defer tlsSrv.Close()
	_, err = httplog.Open(t.Context(), tlsSrv.URL, trust)
	require.ErrorContains(t, err, "certificate")
	require.Less(t, time.Since(start), 2*time.Second, "no retries")
}
