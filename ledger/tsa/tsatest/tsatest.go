// Package tsatest runs a real RFC 3161 time-stamping authority for tests: the server of
// github.com/sigstore/timestamp-authority (its pkg/server, with the in-memory signer),
// on a loopback port.
//
//	ts := tsatest.New(t)
//	client, _ := tsa.NewClient(ts.URL)
//	verifier, _ := tsa.NewVerifier(ts.Authority())
//
// # One authority per process
//
// The upstream server keeps its signer and certificate chain in package variables,
// configured through viper's global settings: two servers in one process would share
// (and re-key) one signer. So every New in a test binary fronts the same authority,
// created on first use: one key, one chain, one set of roots. Each New gets its own
// loopback listener and its own request counter, closed when the test ends. Tests that
// need a second, distinct authority make their own certificates.
package tsatest

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigstore/timestamp-authority/pkg/log"
	"github.com/sigstore/timestamp-authority/pkg/server"
	"github.com/sigstore/timestamp-authority/pkg/x509/testutils"
	"github.com/spf13/viper"
	"go.uber.org/zap"

	"github.com/evidctl/evidctl/ledger/tsa"
)

// Paths of the upstream server's API.
const (
	timestampPath = "/api/v1/timestamp"
	chainPath     = "/api/v1/timestamp/certchain"
)

// Name is the name tsatest gives its authority in [TSA.Authority].
const Name = "tsatest"

// TSA is one loopback endpoint of the test authority.
type TSA struct {
	// URL is where RFC 3161 requests go (application/timestamp-query over HTTP POST).
	URL string
	// RootsPEM is the authority's root certificate, the trust anchor a policy lists.
	RootsPEM []byte
	// IntermediatesPEM is its intermediate CA certificate. Tokens carry it (the server
	// includes the chain), so a policy may leave it out.
	IntermediatesPEM []byte
	// ChainPEM is the whole chain the server publishes: signing certificate first.
	ChainPEM []byte

	authority tsa.Authority
	requests  atomic.Int64
}

// Requests returns how many timestamp requests this endpoint has received.
func (t *TSA) Requests() int64 { return t.requests.Load() }

// Authority returns the trust-policy entry for the test authority, named [Name].
func (t *TSA) Authority() tsa.Authority { return t.authority }

var (
	once     sync.Once
	upstream http.Handler
	startErr error
)

// start configures the upstream server once per process and returns its handler.
func start() (http.Handler, error) {
	once.Do(func() {
		// The upstream logger writes every request to stderr in development mode.
		log.Logger = zap.NewNop().Sugar()
		viper.Set("timestamp-signer", "memory")
		viper.Set("timestamp-signer-hash", "sha256")
		viper.Set("include-chain-in-response", true)
		srv := server.NewRestAPIServer("127.0.0.1", 0, []string{"http"}, false, 10*time.Second, 10*time.Second)
		upstream = srv.GetHandler()
		if upstream == nil {
			startErr = fmt.Errorf("tsatest: the timestamp-authority server built no handler")
		}
	})
	return upstream, startErr
}

// New starts a loopback endpoint of the test authority, closed when tb ends.
func New(tb testing.TB) *TSA {
	tb.Helper()
	h, err := start()
	if err != nil {
		tb.Fatal(err)
	}
	t := &TSA{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == timestampPath {
			t.requests.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	t.URL = srv.URL + timestampPath
	chain, err := fetchChain(tb.Context(), srv.URL+chainPath)
	if err != nil {
		tb.Fatal(err)
	}
	t.ChainPEM = pemCerts(chain...)
	t.IntermediatesPEM = pemCerts(chain[1 : len(chain)-1]...)
	t.RootsPEM = pemCerts(chain[len(chain)-1])
	if t.authority, err = tsa.ParseAuthority(Name, t.RootsPEM, t.IntermediatesPEM); err != nil {
		tb.Fatal(err)
	}
	return t
}

// ForeignRootsPEM returns a fresh root certificate that the test authority does not chain
// to: a policy listing only it does not trust the authority's tokens.
func ForeignRootsPEM(tb testing.TB) []byte {
	tb.Helper()
	root, _, err := testutils.GenerateRootCa()
	if err != nil {
		tb.Fatal(err)
	}
	return pemCerts(root)
}

// fetchChain reads the chain the server publishes: signing certificate, then its CAs.
func fetchChain(ctx context.Context, url string) ([]*x509.Certificate, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("tsatest: fetching the chain: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("tsatest: fetching the chain: HTTP %d: %v", resp.StatusCode, err)
	}
	var chain []*x509.Certificate
	for rest := bytes.TrimSpace(body); len(rest) > 0; rest = bytes.TrimSpace(rest) {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return nil, fmt.Errorf("tsatest: the chain is not PEM")
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("tsatest: parsing the chain: %w", err)
		}
		chain = append(chain, c)
	}
	if len(chain) < 2 {
		return nil, fmt.Errorf("tsatest: the chain has %d certificates, want a signer and a root", len(chain))
	}
	return chain, nil
}

func pemCerts(certs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}
