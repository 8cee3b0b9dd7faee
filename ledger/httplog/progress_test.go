package httplog_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httplog"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
)

// progressLog collects the progress reports of a client.
type progressLog struct {
	mu      sync.Mutex
	reports []httplog.Progress
}

func (p *progressLog) add(r httplog.Progress) {
	p.mu.Lock()
	p.reports = append(p.reports, r)
	p.mu.Unlock()
}

func (p *progressLog) all() []httplog.Progress {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]httplog.Progress(nil), p.reports...)
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// TestUnreachable: a client of a server that cannot be reached says, after 2 s, what it
// is waiting for — the URL, the attempt, the last error — and gives up at the time limit
// set, with an error saying the same, never quoting the URL's password.
func TestUnreachable(t *testing.T) {
	var progress progressLog
	url := "http://evidctl:s3cret@" + closedPort(t)
	start := time.Now()
	_, err := httplog.Open(t.Context(), url, httplog.WithTrust(&ledger.Trust{}),
		httplog.WithMaxAttempts(1000), httplog.WithRetryTimeout(3*time.Second), httplog.WithProgress(progress.add))
	elapsed := time.Since(start)
	var re *httplog.RetryError
	require.ErrorAs(t, err, &re)
	require.True(t, re.TimedOut)
	require.Greater(t, re.Attempts, 1)
	require.ErrorContains(t, err, "connection refused")
	require.ErrorContains(t, err, "3s")
	require.NotContains(t, err.Error(), "s3cret")
	require.GreaterOrEqual(t, elapsed, 3*time.Second)
	require.Less(t, elapsed, 10*time.Second, "the time limit was not kept")

	reports := progress.all()
	require.NotEmpty(t, reports, "nothing said while waiting")
	first := reports[0]
	require.GreaterOrEqual(t, first.Elapsed, 2*time.Second)
	require.Equal(t, http.MethodGet, first.Method)
	require.True(t, strings.HasSuffix(first.URL, "/checkpoint"), first.URL)
	require.Equal(t, 1000, first.MaxAttempts)
	require.Greater(t, first.Attempt, 1)
	require.ErrorContains(t, first.LastErr, "connection refused")
	msg := first.String()
	require.Contains(t, msg, "/checkpoint")
	require.Contains(t, msg, "attempt ")
	require.Contains(t, msg, " of 1000")
	require.Contains(t, msg, "connection refused")
	require.NotContains(t, msg, "s3cret")
}

// TestAlways503: appends a server answers with 503 forever are retried, reported after
// 2 s with the server's answer, and given up at the time limit.
func TestAlways503(t *testing.T) {
	backend, entry := posixlogtest.NewLog(t)
	s := ledgertest.NewSigner(t)
	h := handlerOf(t, backend, s)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "integration backlog", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	var progress progressLog
	l, err := httplog.Open(t.Context(), srv.URL, httplog.WithTrust(&ledger.Trust{Logs: []ledger.Log{entry}}),
		httplog.WithRetryTimeout(3500*time.Millisecond), httplog.WithProgress(progress.add))
	require.NoError(t, err)
	defer l.Close()
	leaf := ledgertest.Leaf(`{"busy":true}`)
	_, err = l.AppendSigned(t.Context(), leaf, s)
	var re *httplog.RetryError
	require.ErrorAs(t, err, &re)
	var se *httplog.StatusError
	require.ErrorAs(t, err, &se, "the last answer is kept")
	require.Equal(t, http.StatusServiceUnavailable, se.Code)
	require.ErrorContains(t, err, "integration backlog")
	reports := progress.all()
	require.NotEmpty(t, reports)
	require.Equal(t, http.MethodPost, reports[0].Method)
	require.True(t, strings.HasSuffix(reports[0].URL, "/append"), reports[0].URL)
	require.Equal(t, httplog.DefaultMaxAttempts, reports[0].MaxAttempts)
	require.Contains(t, reports[0].String(), "503")
}

// TestNoAnswer: a server that accepts a request and never answers is reported while the
// first attempt is still in flight, and the time limit ends the wait.
func TestNoAnswer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	var progress progressLog
	start := time.Now()
	_, err := httplog.Open(t.Context(), srv.URL, httplog.WithTrust(&ledger.Trust{}),
		httplog.WithRetryTimeout(2500*time.Millisecond), httplog.WithProgress(progress.add))
	var re *httplog.RetryError
	require.ErrorAs(t, err, &re)
	require.True(t, re.TimedOut)
	require.Equal(t, 1, re.Attempts)
	require.ErrorContains(t, err, "no answer")
	require.Less(t, time.Since(start), 10*time.Second)
	reports := progress.all()
	require.NotEmpty(t, reports)
	require.Equal(t, 1, reports[0].Attempt)
	require.NoError(t, reports[0].LastErr, "no attempt has failed yet")
	require.Contains(t, reports[0].String(), "no answer yet")
}

// TestQuickRequestsAreSilent: a request answered within 2 s reports nothing.
func TestQuickRequestsAreSilent(t *testing.T) {
	backend, entry := posixlogtest.NewLog(t)
	srv := httptest.NewServer(handlerOf(t, backend))
	defer srv.Close()
	var progress progressLog
	l, err := httplog.Open(t.Context(), srv.URL, httplog.WithTrust(&ledger.Trust{Logs: []ledger.Log{entry}}), httplog.WithProgress(progress.add))
	require.NoError(t, err)
	_, err = l.Checkpoint(t.Context())
	require.NoError(t, err)
	require.NoError(t, l.Close())
	time.Sleep(2500 * time.Millisecond)
	require.Empty(t, progress.all())
}

// TestRetryOptionsRefused: the retry time limit must be positive.
func TestRetryOptionsRefused(t *testing.T) {
	_, err := httplog.Open(t.Context(), "http://127.0.0.1:1", httplog.WithRetryTimeout(0), httplog.WithoutCheckpointVerificationUnsafe())
	require.ErrorContains(t, err, "retry timeout 0s is not positive")
}
