package tsa_test

import (
	"bytes"
	"context"
	"crypto"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger/tsa"
	"github.com/evidctl/evidctl/ledger/tsa/tsatest"
)

// fakeTSA serves, for each RFC 3161 query, what answer returns, and counts queries.
func fakeTSA(t testing.TB, answer func(w http.ResponseWriter, req *timestamp.Request)) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err != nil || r.Header.Get("Content-Type") != "application/timestamp-query" {
			http.Error(w, "bad query", http.StatusBadRequest)
			return
		}
		req, err := timestamp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		answer(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/tsr", &n
}

// reply writes a DER TimeStampResp.
func reply(w http.ResponseWriter, der []byte) {
	w.Header().Set("Content-Type", "application/timestamp-reply")
	_, _ = w.Write(der)
}

// granting answers every query with a token from ca, as asked unless edit changes it.
func granting(t testing.TB, ca *testCA, edit func(*stamp)) func(http.ResponseWriter, *timestamp.Request) {
	return func(w http.ResponseWriter, req *timestamp.Request) {
		s := stamp{imprint: req.HashedMessage, nonce: req.Nonce, noCerts: !req.Certificates}
		if edit != nil {
			edit(&s)
		}
		der, err := ca.mint(s)
		if !assert.NoError(t, err) {
			http.Error(w, "minting failed", http.StatusInternalServerError)
			return
		}
		reply(w, der)
	}
}

// errorResponse answers with a TimeStampResp of this status and no token.
func errorResponse(t testing.TB, status timestamp.Status, info timestamp.FailureInfo) func(http.ResponseWriter, *timestamp.Request) {
	der, err := timestamp.CreateErrorResponse(status, info)
	require.NoError(t, err)
	return func(w http.ResponseWriter, _ *timestamp.Request) { reply(w, der) }
}

// stuckTSA never answers, until the test ends.
func stuckTSA(t testing.TB) string {
	stuck := make(chan struct{})
	url, _ := fakeTSA(t, func(http.ResponseWriter, *timestamp.Request) { <-stuck })
	t.Cleanup(func() { close(stuck) }) // runs before the server's Close
	return url
}

func newClient(t testing.TB, url string, opts ...tsa.Option) *tsa.Client {
	t.Helper()
	c, err := tsa.NewClient(url, opts...)
	require.NoError(t, err)
	return c
}

func TestRequestSendsTheQueryRFC3161Asks(t *testing.T) {
	ca := newCA(t)
	cp := checkpoint(t, "example.org/log", 9)
	want := imprint(t, cp)
	var (
		mu     sync.Mutex
		nonces []*big.Int
	)
	url, _ := fakeTSA(t, func(w http.ResponseWriter, req *timestamp.Request) {
		assert.Equal(t, crypto.SHA256, req.HashAlgorithm)
		assert.Equal(t, want, req.HashedMessage)
		assert.True(t, req.Certificates, "certReq")
		assert.NotNil(t, req.Nonce)
		mu.Lock()
		nonces = append(nonces, req.Nonce)
		mu.Unlock()
		granting(t, ca, nil)(w, req)
	})
	c := newClient(t, url)
	for range 2 {
		token, err := c.Request(t.Context(), cp)
		require.NoError(t, err)
		_, err = ca.verifier(t).Verify(token, cp)
		require.NoError(t, err)
	}
	require.Len(t, nonces, 2)
	require.NotEqual(t, nonces[0], nonces[1], "a fresh nonce per request")
}

func TestRequestRefuses(t *testing.T) {
	ca, other := newCA(t), newCA(t)
	cp := checkpoint(t, "example.org/log", 4)
	otherImprint := imprint(t, checkpoint(t, "example.org/log", 5))
	tests := []struct {
		name    string
		answer  func(http.ResponseWriter, *timestamp.Request)
		opts    []tsa.Option
		want    error
		message string
	}{
		{
			name:   "status rejection",
			answer: errorResponse(t, timestamp.Rejection, timestamp.BadAlgorithm),
			want:   tsa.ErrRejected, message: "the request is rejected",
		},
		{
			name:   "status waiting",
			answer: errorResponse(t, timestamp.Waiting, timestamp.TimeNotAvailable),
			want:   tsa.ErrRejected, message: "waiting",
		},
		{
			name:   "another nonce",
			answer: granting(t, ca, func(s *stamp) { s.nonce = new(big.Int).Add(s.nonce, big.NewInt(1)) }),
			want:   tsa.ErrNonceMismatch,
		},
		{
			name:   "no nonce",
			answer: granting(t, ca, func(s *stamp) { s.nonce = nil }),
			want:   tsa.ErrNonceMismatch,
		},
		{
			name:   "another imprint",
			answer: granting(t, ca, func(s *stamp) { s.imprint = otherImprint }),
			want:   tsa.ErrWrongCheckpoint,
		},
		{
			name:   "certReq ignored",
			answer: granting(t, ca, func(s *stamp) { s.noCerts = true }),
			want:   tsa.ErrMalformed,
		},
		{
			name:   "TSA outside the client's policy",
			answer: granting(t, ca, nil),
			opts:   []tsa.Option{tsa.WithVerifier(other.verifier(t))},
			want:   tsa.ErrUntrusted,
		},
		{
			name: "garbage",
			answer: func(w http.ResponseWriter, _ *timestamp.Request) {
				w.Header().Set("Content-Type", "text/html")
				_, _ = w.Write([]byte("<html>maintenance</html>"))
			},
			want: tsa.ErrMalformed, message: `content type "text/html"`,
		},
		{
			name: "answer too large",
			answer: func(w http.ResponseWriter, _ *timestamp.Request) {
				reply(w, make([]byte, tsa.MaxTokenSize+8<<10))
			},
			want: tsa.ErrMalformed, message: "answered more than",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url, _ := fakeTSA(t, tc.answer)
			_, err := newClient(t, url, tc.opts...).Request(t.Context(), cp)
			t.Log(err)
			require.ErrorIs(t, err, tc.want)
			require.ErrorContains(t, err, tc.message)
		})
	}
}

func TestRequestHTTPFailures(t *testing.T) {
	cp := checkpoint(t, "example.org/log", 4)
	t.Run("HTTP error status", func(t *testing.T) {
		url, _ := fakeTSA(t, func(w http.ResponseWriter, _ *timestamp.Request) {
			http.Error(w, "quota exceeded\x1b[31m", http.StatusTooManyRequests)
		})
		_, err := newClient(t, url).Request(t.Context(), cp)
		require.ErrorContains(t, err, "HTTP 429")
		require.ErrorContains(t, err, `quota exceeded\x1b[31m`, "the TSA's text is quoted")
	})
	t.Run("timeout", func(t *testing.T) {
		_, err := newClient(t, stuckTSA(t), tsa.WithTimeout(50*time.Millisecond)).Request(t.Context(), cp)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("caller's context", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := newClient(t, stuckTSA(t)).Request(ctx, cp)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("not a checkpoint", func(t *testing.T) {
		url, n := fakeTSA(t, nil)
		_, err := newClient(t, url).Request(t.Context(), []byte("hello\n"))
		require.ErrorIs(t, err, tsa.ErrMalformed)
		require.Zero(t, n.Load(), "nothing is sent")
	})
}

func TestNewClientRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		opts      []tsa.Option
	}{
		{"no scheme", "tsa.example/tsr", nil},
		{"ftp", "ftp://tsa.example/tsr", nil},
		{"no host", "https:///tsr", nil},
		{"zero timeout", "https://tsa.example", []tsa.Option{tsa.WithTimeout(0)}},
		{"negative cache", "https://tsa.example", []tsa.Option{tsa.WithCacheSize(-1)}},
		{"password in a bad URL", "ftp://user:s3cret@tsa.example/", nil},
		{"password in a URL that does not parse", "http://user:s3cret@tsa.example:port/", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tsa.NewClient(tc.url, tc.opts...)
			require.Error(t, err)
			require.NotContains(t, err.Error(), "s3cret")
		})
	}
	c := newClient(t, "https://user:s3cret@tsa.example/tsr")
	require.NotContains(t, c.URL(), "s3cret")
}

func TestTokenAsksOncePerCheckpoint(t *testing.T) {
	server := tsatest.New(t)
	c := newClient(t, server.URL)
	a, b := checkpoint(t, "example.org/log", 1), checkpoint(t, "example.org/log", 2)
	ta1, err := c.Token(t.Context(), a)
	require.NoError(t, err)
	ta2, err := c.Token(t.Context(), a)
	require.NoError(t, err)
	require.Equal(t, ta1, ta2)
	ta2[0] ^= 0xff // a caller's copy: the cache is not touched
	ta3, err := c.Token(t.Context(), a)
	require.NoError(t, err)
	require.Equal(t, ta1, ta3)
	_, err = c.Token(t.Context(), b)
	require.NoError(t, err)
	require.EqualValues(t, 2, server.Requests())
}

func TestTokenCacheBound(t *testing.T) {
	server := tsatest.New(t)
	a, b := checkpoint(t, "example.org/log", 1), checkpoint(t, "example.org/log", 2)

	none := newClient(t, server.URL, tsa.WithCacheSize(0))
	for range 2 {
		_, err := none.Token(t.Context(), a)
		require.NoError(t, err)
	}
	require.EqualValues(t, 2, server.Requests(), "no cache: one request per call")

	one := newClient(t, server.URL, tsa.WithCacheSize(1))
	for _, cp := range [][]byte{a, a, b, b, a} {
		_, err := one.Token(t.Context(), cp)
		require.NoError(t, err)
	}
	require.EqualValues(t, 2+3, server.Requests(), "a, b, then a again once b evicted it")
}

func TestTokenDoesNotCacheFailures(t *testing.T) {
	ca := newCA(t)
	var fail atomic.Bool
	fail.Store(true)
	url, n := fakeTSA(t, func(w http.ResponseWriter, req *timestamp.Request) {
		if fail.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		granting(t, ca, nil)(w, req)
	})
	c := newClient(t, url)
	cp := checkpoint(t, "example.org/log", 1)
	_, err := c.Token(t.Context(), cp)
	require.ErrorContains(t, err, "HTTP 503")
	fail.Store(false)
	_, err = c.Token(t.Context(), cp)
	require.NoError(t, err)
	require.EqualValues(t, 2, n.Load())
}

// gatedTSA answers only when released, and signals each query it receives.
func gatedTSA(t testing.TB) (url string, n *atomic.Int64, arrived <-chan struct{}, release func()) {
	ca := newCA(t)
	gate := make(chan struct{})
	in := make(chan struct{}, 100)
	url, n = fakeTSA(t, func(w http.ResponseWriter, req *timestamp.Request) {
		in <- struct{}{}
		<-gate
		granting(t, ca, nil)(w, req)
	})
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(release)
	return url, n, in, release
}

func TestConcurrentTokensShareOneRequest(t *testing.T) {
	url, n, arrived, release := gatedTSA(t)
	c := newClient(t, url, tsa.WithCacheSize(0)) // only the shared request, no cache
	cp := checkpoint(t, "example.org/log", 1)

	const callers = 16
	tokens := make([][]byte, callers)
	var wg sync.WaitGroup
	wg.Go(func() {
		var err error
		tokens[0], err = c.Token(t.Context(), cp)
		assert.NoError(t, err)
	})
	<-arrived // the first caller's request is at the TSA
	for i := 1; i < callers; i++ {
		wg.Go(func() {
			var err error
			tokens[i], err = c.Token(t.Context(), cp)
			assert.NoError(t, err)
		})
	}
	time.Sleep(200 * time.Millisecond) // let the others join the request in flight
	release()
	wg.Wait()
	require.EqualValues(t, 1, n.Load())
	for _, tok := range tokens {
		require.Equal(t, tokens[0], tok)
	}
}

func TestTokenOutlivesACancelledCaller(t *testing.T) {
	url, n, arrived, release := gatedTSA(t)
	c := newClient(t, url)
	cp := checkpoint(t, "example.org/log", 1)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() {
		_, err := c.Token(ctx, cp)
		done <- err
	}()
	<-arrived
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	release() // the request completes for the cache
	require.Eventually(t, func() bool {
		tok, err := c.Token(t.Context(), cp)
		return err == nil && len(tok) > 0
	}, 5*time.Second, 10*time.Millisecond)
	require.EqualValues(t, 1, n.Load(), "the abandoned request's token was kept")
}

func TestRequestOverTheUpstreamServerCarriesItsChain(t *testing.T) {
	server := tsatest.New(t)
	_, token := stampedCheckpoint(t, server, 1)
	require.True(t, bytes.Contains(token, server.Authority().Roots[0].Raw), "include-chain-in-response")
	require.LessOrEqual(t, len(token), tsa.MaxTokenSize)
}
