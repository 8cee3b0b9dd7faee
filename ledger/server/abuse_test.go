package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httpapi"
	"github.com/evidctl/evidctl/ledger/httplog"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/server"
)

// startServe runs server.Serve on a loopback port until the test ends and returns its
// host:port.
func startServe(t *testing.T, l ledger.Ledger, allow []*sign.Verifier, opts ...server.Option) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan net.Addr, 1)
	served := make(chan error, 1)
	opts = append([]server.Option{server.WithLogger(discardLogger()), server.WithListening(func(a net.Addr) { listening <- a })}, opts...)
	go func() { served <- server.Serve(ctx, "127.0.0.1:0", l, allow, opts...) }()
	select {
	case a := <-listening:
		t.Cleanup(func() {
			cancel()
			require.NoError(t, <-served)
		})
		return a.String()
	case err := <-served:
		cancel()
		t.Fatalf("Serve: %v", err)
	}
	return ""
}

// dialFrom connects to addr from the loopback address from (127.0.0.0/8 is all
// loopback, so each test client can have an address of its own).
func dialFrom(from, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	return d.Dial("tcp", addr)
}

// junkBody is what the flooding clients send: just under the old 1 MiB limit, never a
// signed entry. One buffer shared by all, so that the clients do not fill the heap
// the test measures.
var junkBody = bytes.Repeat([]byte("A"), 1<<20-1)

// flood opens an append from address from declaring a body of size bytes, sends all but
// its last byte and holds the connection until the server answers or ctx ends; and again,
// until ctx ends.
func flood(ctx context.Context, from, addr string, size int) {
	head := fmt.Sprintf("POST /append HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", addr, httpapi.SignedEntryType, size)
	deadline, _ := ctx.Deadline()
	for ctx.Err() == nil {
		conn, err := dialFrom(from, addr)
		if err == nil {
			_ = conn.SetDeadline(deadline)
			if _, err := io.WriteString(conn, head); err == nil {
				_, _ = conn.Write(junkBody[:size-1])
				_, _ = io.Copy(io.Discard, conn)
			}
			_ = conn.Close()
		}
		sleepCtx(ctx, 200*time.Millisecond)
	}
}

// trickle opens an append with a chunked body from address from and sends one byte of it
// every 100 ms until ctx ends or the server gives up on it.
func trickle(ctx context.Context, from, addr string) {
	conn, err := dialFrom(from, addr)
	if err != nil {
		return
	}
	defer conn.Close()
	head := fmt.Sprintf("POST /append HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n", addr, httpapi.SignedEntryType)
	if _, err := io.WriteString(conn, head); err != nil {
		return
	}
	for sleepCtx(ctx, 100*time.Millisecond) {
		if _, err := io.WriteString(conn, "1\r\nA\r\n"); err != nil {
			return
		}
	}
}

// heapPeak samples the heap in use every 20 ms until stop is closed, and returns the
// highest figure seen.
func heapPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		var ms runtime.MemStats
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// TestJunkFlood: five hundred connections that never sign anything, with the server's
// default limits, for three seconds: 200 declare a body of 1 MiB − 1 byte, 200 one of the
// signed-entry limit, each sending all of it but the last byte and then waiting; 100 trickle a
// chunked body. The heap stays bounded, and an allowed signer's append made in the middle
// of it gets its receipt.
func TestJunkFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3-second flood")
	}
	backend, entry := posixlogtest.NewLog(t)
	s := ledgertest.NewSigner(t)
	addr := startServe(t, backend, []*sign.Verifier{s.Verifier()})

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := make(chan struct{})
	peak := heapPeak(stop)

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 200 { // 50 from each of 4 addresses
		wg.Go(func() { flood(ctx, fmt.Sprintf("127.0.0.%d", 2+i%4), addr, len(junkBody)) })
		wg.Go(func() { flood(ctx, fmt.Sprintf("127.0.0.%d", 6+i%4), addr, httpapi.MaxSignedEntrySize) })
	}
	for range 100 {
		wg.Go(func() { trickle(ctx, "127.0.0.10", addr) })
	}

	sleepCtx(ctx, time.Second)
	l, err := httplog.Open(t.Context(), "http://"+addr, httplog.WithTrust(&ledger.Trust{Logs: []ledger.Log{entry}}))
	require.NoError(t, err)
	defer l.Close()
	leaf := ledgertest.Leaf(`{"legitimate":true}`)
	actx, acancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer acancel()
	r, err := l.AppendSigned(actx, leaf, s)
	require.NoError(t, err, "an allowed signer's append during the flood")
	_, err = (&ledger.Trust{Logs: []ledger.Log{entry}}).VerifyReceipt(r, leaf)
	require.NoError(t, err)

	wg.Wait()
	close(stop)
	grew := int64(<-peak) - int64(base.HeapAlloc)
	t.Logf("heap grew by at most %d MiB during the flood", grew>>20)
	// What the limits let the junk hold: the 4 KiB bodies of signed entries (the 1 MiB
	// bodies are refused unread) and 500 connections' buffers, about 25 MiB, plus garbage
	// not yet collected. Without the limits: 600 MiB.
	require.Less(t, grew, int64(80<<20), "the heap grew with the junk")
}

// TestSlowBody: a body that does not arrive within the body read timeout is refused with
// 408, and its connection closed.
func TestSlowBody(t *testing.T) {
	backend, _ := posixlogtest.NewLog(t)
	addr := startServe(t, backend, nil, server.WithBodyReadTimeout(300*time.Millisecond))
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = fmt.Fprintf(conn, "POST /append HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: 100\r\n\r\n0123456789", httpapi.SignedEntryType)
	require.NoError(t, err)
	start := time.Now()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "no answer: the slow body was waited for")
	defer resp.Body.Close()
	require.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	require.Less(t, time.Since(start), 5*time.Second)
	_, _ = io.Copy(io.Discard, resp.Body)
	_, err = conn.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "the connection is closed")
}

// TestBufferedBytes: while slow senders hold the whole buffered-bytes budget, an append
// waits its turn; it gets one when they time out, and its receipt.
func TestBufferedBytes(t *testing.T) {
	backend, entry := posixlogtest.NewLog(t)
	s := ledgertest.NewSigner(t)
	addr := startServe(t, backend, []*sign.Verifier{s.Verifier()},
		server.WithMaxBodySize(httpapi.MaxSignedEntrySize), server.WithMaxBufferedBytes(2*httpapi.MaxSignedEntrySize), server.WithBodyReadTimeout(time.Second))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := range 2 { // two chunked bodies reserve 4 KiB each: the whole budget
		wg.Go(func() { trickle(ctx, fmt.Sprintf("127.0.0.%d", 2+i), addr) })
	}
	time.Sleep(200 * time.Millisecond)

	l, err := httplog.Open(t.Context(), "http://"+addr, httplog.WithTrust(&ledger.Trust{Logs: []ledger.Log{entry}}))
	require.NoError(t, err)
	defer l.Close()
	leaf := ledgertest.Leaf(`{"waited":true}`)
	start := time.Now()
	r, err := l.AppendSigned(t.Context(), leaf, s)
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond, "the append did not wait for the budget")
	_, err = (&ledger.Trust{Logs: []ledger.Log{entry}}).VerifyReceipt(r, leaf)
	require.NoError(t, err)
}

// TestEnvelopeRefusedUnread: a DSSE envelope, the append of the transition of issue 12,
// gets 415 telling the client to upgrade, before a byte of its body is read and without
// a reservation in the buffered-bytes budget: from an address whose share of the budget
// a slow sender holds, a signed entry gets 503 at once, and an envelope whose body never
// comes gets its 415 (reading it would have given 408; reserving, 503).
func TestEnvelopeRefusedUnread(t *testing.T) {
	backend, _ := posixlogtest.NewLog(t)
	s := ledgertest.NewSigner(t)
	addr := startServe(t, backend, []*sign.Verifier{s.Verifier()},
		server.WithMaxBodySize(httpapi.MaxSignedEntrySize), server.WithMaxBufferedBytes(httpapi.MaxSignedEntrySize), server.WithBodyReadTimeout(5*time.Second))
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()                                    // before the wait: the trickle ends with ctx
	wg.Go(func() { trickle(ctx, "127.0.0.2", addr) }) // reserves the address's whole share
	time.Sleep(200 * time.Millisecond)

	ask := func(contentType string, length int, body []byte) (int, string) {
		conn, err := dialFrom("127.0.0.2", addr)
		require.NoError(t, err)
		defer conn.Close()
		require.NoError(t, conn.SetDeadline(time.Now().Add(3*time.Second)))
		_, err = fmt.Fprintf(conn, "POST /append HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", contentType, length)
		require.NoError(t, err)
		_, err = conn.Write(body)
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err, "no answer without the body")
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(answer)
	}
	entry := signedEntry(t, ledgertest.Leaf(t.Name()), s)
	code, answer := ask(httpapi.SignedEntryType, len(entry), entry)
	require.Equal(t, http.StatusServiceUnavailable, code, "the address's share is not held: %s", answer)

	envelope, _ := ledgertest.Envelope(t, `{"old":"client"}`, s)
	code, answer = ask(httpapi.EnvelopeType, len(envelope), nil)
	require.Equal(t, http.StatusUnsupportedMediaType, code, answer)
	require.Contains(t, answer, "DSSE envelopes are no longer appended")
	require.Contains(t, answer, "tag || commitment")
	require.Contains(t, answer, "upgrade the client")
}

// TestConnsPerAddress: Serve keeps at most the set number of connections from one
// address open, closes further ones at once, and serves other addresses meanwhile.
func TestConnsPerAddress(t *testing.T) {
	backend, _ := posixlogtest.NewLog(t)
	addr := startServe(t, backend, nil, server.WithMaxConnsPerAddress(4))
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	get := func(from string) (int, error) {
		conn, err := dialFrom(from, addr)
		if err != nil {
			return 0, err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(conn, "GET /checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
			return 0, err
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	for range 4 {
		c, err := dialFrom("127.0.0.2", addr)
		require.NoError(t, err)
		held = append(held, c)
	}
	require.Eventually(t, func() bool {
		_, err := get("127.0.0.2")
		return err != nil
	}, 5*time.Second, 50*time.Millisecond, "a fifth connection from one address was served")
	code, err := get("127.0.0.3")
	require.NoError(t, err, "another address is served")
	require.Equal(t, http.StatusOK, code)

	held[0].Close()
	held = held[1:]
	require.Eventually(t, func() bool {
		code, err := get("127.0.0.2")
		return err == nil && code == http.StatusOK
	}, 5*time.Second, 50*time.Millisecond, "a closed connection's slot is given back")
}

// TestDeclaredTooLarge: a Content-Length over the limit is refused before the body is
// read.
func TestDeclaredTooLarge(t *testing.T) {
	backend, _ := posixlogtest.NewLog(t)
	addr := startServe(t, backend, nil)
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = fmt.Fprintf(conn, "POST /append HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", httpapi.SignedEntryType, httpapi.MaxSignedEntrySize+1)
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "no answer without the body")
	defer resp.Body.Close()
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	answer, _ := io.ReadAll(resp.Body)
	require.True(t, strings.HasPrefix(string(answer), "body exceeds"), "%s", answer)
}

// TestLimitOptionsRefused: New refuses limits it cannot serve with.
func TestLimitOptionsRefused(t *testing.T) {
	backend, _ := posixlogtest.NewLog(t)
	for name, tc := range map[string]struct {
		opts []server.Option
		want string
	}{
		"BufferedBelowBody":  {[]server.Option{server.WithMaxBufferedBytes(server.DefaultMaxBodySize - 1)}, "max buffered bytes 262143 is below the max body size 262144"},
		"BodyAboveBuffered":  {[]server.Option{server.WithMaxBufferedBytes(1 << 20), server.WithMaxBodySize(2 << 20)}, "below the max body size"},
		"BodyReadTimeout":    {[]server.Option{server.WithBodyReadTimeout(0)}, "body read timeout 0s is not positive"},
		"MaxConnsPerAddress": {[]server.Option{server.WithMaxConnsPerAddress(0)}, "max connections per address 0 is below 1"},
		"MaxConns":           {[]server.Option{server.WithMaxConns(0)}, "max connections 0 is below 1"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := server.New(backend, nil, tc.opts...)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// TestHTTP2Append: over HTTP/2 (Serve with TLS) an append goes through the body limits
// and deadlines as over HTTP/1.1.
func TestHTTP2Append(t *testing.T) {
	backend, entry := posixlogtest.NewLog(t)
	s := ledgertest.NewSigner(t)
	certFile, keyFile, roots := selfSigned(t)
	addr := startServe(t, backend, []*sign.Verifier{s.Verifier()}, server.WithTLS(certFile, keyFile))
	var protos sync.Map
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := tr.RoundTrip(r)
		if err == nil {
			protos.Store(resp.Proto, true)
		}
		return resp, err
	})}
	l, err := httplog.Open(t.Context(), "https://"+addr, httplog.WithHTTPClient(client), httplog.WithTrust(&ledger.Trust{Logs: []ledger.Log{entry}}))
	require.NoError(t, err)
	defer l.Close()
	leaf := ledgertest.Leaf(`{"h2":true}`)
	r, err := l.AppendSigned(t.Context(), leaf, s)
	require.NoError(t, err)
	_, err = (&ledger.Trust{Logs: []ledger.Log{entry}}).VerifyReceipt(r, leaf)
	require.NoError(t, err)
	_, h2 := protos.Load("HTTP/2.0")
	require.True(t, h2, "not spoken over HTTP/2")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
