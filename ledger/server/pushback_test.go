package server_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httpapi"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/server"
)

// failing is a ledger whose appends fail with err (or block until ctx ends when err is
// nil); everything else is the real log's.
type failing struct {
	ledger.Ledger
	err error
}

func (f failing) Append(ctx context.Context, leaf []byte) (*ledger.Receipt, error) {
	if f.err == nil {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, f.err
}

// TestPushback checks the status and Retry-After of each kind of backend failure.
func TestPushback(t *testing.T) {
	backend, _ := posixlogtest.NewLog(t)
	s := ledgertest.NewSigner(t)
	body := signedEntry(t, ledgertest.Leaf(t.Name()), s)
	for _, tc := range []struct {
		name  string
		err   error
		want  int
		retry string
	}{
		{"TesseraPushback", tessera.ErrPushback, http.StatusTooManyRequests, "1"},
		{"TesseraPushbackWrapped", errors.Join(errors.New("appending"), tessera.ErrPushbackIntegration), http.StatusTooManyRequests, "1"},
		{"TrillianQuota", status.Error(codes.ResourceExhausted, "quota"), http.StatusTooManyRequests, "1"},
		{"TrillianDown", status.Error(codes.Unavailable, "connection refused"), http.StatusServiceUnavailable, "1"},
		{"Closed", ledger.ErrClosed, http.StatusServiceUnavailable, "1"},
		{"NotIntegratedInTime", nil, http.StatusServiceUnavailable, "1"},
		{"Other", errors.New("disk on fire"), http.StatusInternalServerError, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := serveHandler(t, failing{backend, tc.err}, []*sign.Verifier{s.Verifier()},
				server.WithAppendTimeout(50*time.Millisecond), server.WithLogger(discardLogger()))
			code, retry, answer := post(t, url, httpapi.SignedEntryType, body)
			require.Equal(t, tc.want, code, answer)
			require.Equal(t, tc.retry, retry)
			require.NotContains(t, answer, "disk on fire", "internal errors are logged, not shown")
		})
	}
}

// TestTooManyInflight: appends beyond the limit are refused at once with 503.
func TestTooManyInflight(t *testing.T) {
	backend, _ := posixlogtest.NewLog(t)
	s := ledgertest.NewSigner(t)
	url := serveHandler(t, failing{backend, nil}, []*sign.Verifier{s.Verifier()},
		server.WithMaxInflight(1), server.WithAppendTimeout(time.Second))
	first := signedEntry(t, ledgertest.Leaf(`{"a":1}`), s)
	done := make(chan int)
	go func() {
		resp, err := http.Post(url+"/append", httpapi.SignedEntryType, bytes.NewReader(first))
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	time.Sleep(200 * time.Millisecond)
	code, retry, _ := post(t, url, httpapi.SignedEntryType, signedEntry(t, ledgertest.Leaf(`{"a":2}`), s))
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "1", retry)
	require.Equal(t, http.StatusServiceUnavailable, <-done, "the first append times out")
}
