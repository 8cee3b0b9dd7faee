package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httpapi"
	"github.com/evidctl/evidctl/ledger/httplog"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/server"
)

// TestOptionsRefused: New refuses option values it cannot serve with.
func TestOptionsRefused(t *testing.T) {
	backend, _ := posixlogtest.NewLog(t)
	for name, tc := range map[string]struct {
		opt  server.Option
		want string
	}{
		"MaxBodySize":   {server.WithMaxBodySize(63), "max body size 63 is below 64 bytes"},
		"MaxInflight":   {server.WithMaxInflight(0), "max appends in flight 0 is below 1"},
		"AppendTimeout": {server.WithAppendTimeout(0), "append timeout 0s is not positive"},
		"Logger":        {server.WithLogger(nil), "nil logger"},
		"TLSWithoutKey": {server.WithTLS("cert.pem", ""), "TLS needs both"},
		"TilesMissing":  {server.WithTiles(filepath.Join(t.TempDir(), "none")), "tiles"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := server.New(backend, nil, tc.opt)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// TestMaxBodySize: a body over the size set is refused with 413, one at it is read.
func TestMaxBodySize(t *testing.T) {
	backend, _ := posixlogtest.NewLog(t)
	url := serveHandler(t, backend, nil, server.WithMaxBodySize(100))
	code, _, answer := post(t, url, httpapi.SignedEntryType, make([]byte, 101))
	require.Equal(t, http.StatusRequestEntityTooLarge, code)
	require.Contains(t, answer, "body exceeds 100 bytes")
	code, _, _ = post(t, url, httpapi.SignedEntryType, make([]byte, 100))
	require.Equal(t, http.StatusBadRequest, code, "read, and refused as no signed entry")
}

// TestTiles: WithTiles publishes a tiles directory for a ledger that does not name one.
func TestTiles(t *testing.T) {
	backend, _ := posixlogtest.NewLog(t)
	_, err := backend.AppendBatch(t.Context(), [][]byte{ledgertest.Leaf("a"), ledgertest.Leaf("b")})
	require.NoError(t, err)
	hidden := struct{ ledger.Ledger }{backend} // no Dir method
	for _, tc := range []struct {
		name string
		opts []server.Option
		want int
	}{
		{"Without", nil, http.StatusNotFound},
		{"With", []server.Option{server.WithTiles(backend.Dir())}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := serveHandler(t, hidden, nil, tc.opts...)
			resp, err := http.Get(url + httpapi.TilePrefix + "entries/000.p/2")
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, tc.want, resp.StatusCode)
		})
	}
}

// TestServeTLS: Serve speaks HTTPS with WithTLS, reports its address with
// WithListening, and a client that trusts the certificate appends and reads through it.
func TestServeTLS(t *testing.T) {
	backend, entry := posixlogtest.NewLog(t)
	certFile, keyFile, roots := selfSigned(t)
	ctx, cancel := context.WithCancel(t.Context())
	listening := make(chan net.Addr, 1)
	served := make(chan error, 1)
	go func() {
		served <- server.Serve(ctx, "127.0.0.1:0", backend, nil, server.WithLeafAppendsUnsafe(),
			server.WithTLS(certFile, keyFile), server.WithListening(func(a net.Addr) { listening <- a }))
	}()
	var addr net.Addr
	select {
	case addr = <-listening:
	case err := <-served:
		t.Fatalf("Serve returned before listening: %v", err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	l, err := httplog.Open(t.Context(), "https://"+addr.String(), httplog.WithHTTPClient(client), httplog.WithTrust(&ledger.Trust{Logs: []ledger.Log{entry}}))
	require.NoError(t, err)
	leaf := ledgertest.Leaf(t.Name())
	r, err := l.Append(t.Context(), leaf)
	require.NoError(t, err)
	_, err = (&ledger.Trust{Logs: []ledger.Log{entry}}).VerifyReceipt(r, leaf)
	require.NoError(t, err)
	require.NoError(t, l.Close())
	cancel()
	require.NoError(t, <-served)
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns their files and
// a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile, roots
}

// TestLeafAppendsUnsafe: a bare leaf is appended, and one of the wrong size (a 32-byte
// commitment alone included) refused with 400, by the ledger's own check, leaving the
// log unchanged.
func TestLeafAppendsUnsafe(t *testing.T) {
	backend, entry := posixlogtest.NewLog(t)
	url := serveHandler(t, backend, nil, server.WithLeafAppendsUnsafe())
	before, err := backend.Checkpoint(t.Context())
	require.NoError(t, err)
	for _, n := range []int{0, ledger.LeafSize - 1, ledger.LeafSize, ledger.LeafSize + 1, ledger.EntrySize + 1} {
		code, _, answer := post(t, url, httpapi.LeafType, make([]byte, n))
		require.Equal(t, http.StatusBadRequest, code, "leaf of %d bytes: %s", n, answer)
		require.Contains(t, answer, "tag || commitment")
	}
	after, err := backend.Checkpoint(t.Context())
	require.NoError(t, err)
	require.Equal(t, string(before), string(after))

	leaf := ledgertest.Leaf(t.Name())
	code, _, answer := post(t, url, httpapi.LeafType, leaf)
	require.Equal(t, http.StatusOK, code, answer)
	r, err := ledger.ParseReceipt([]byte(answer))
	require.NoError(t, err)
	_, err = (&ledger.Trust{Logs: []ledger.Log{entry}}).VerifyReceipt(r, leaf)
	require.NoError(t, err)
}
