package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httplog"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/server"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

// The load test runs when EVIDCTL_LOAD=1; EVIDCTL_LOAD_DURATION (default 30s) and
// EVIDCTL_LOAD_CLIENTS (default 64) size it, EVIDCTL_LOAD_BACKENDS (default all) picks
// backends: "posix", "trillian" (in-process), "trillian-process" ($EVIDCTL_TRILLIAN).
//
//	EVIDCTL_LOAD=1 go test -run TestLoad -v ./ledger/server/

type loadConfig struct {
	clients       int
	duration      time.Duration
	appendTimeout time.Duration
	maxAttempts   int
	during        func(ctx context.Context) // runs beside the load (fault injection)
}

func loadSettings(t *testing.T) loadConfig {
	if os.Getenv("EVIDCTL_LOAD") != "1" {
		t.Skip("load test: set EVIDCTL_LOAD=1 to run it (EVIDCTL_LOAD_DURATION, EVIDCTL_LOAD_CLIENTS)")
	}
	cfg := loadConfig{clients: 64, duration: 30 * time.Second, appendTimeout: server.DefaultAppendTimeout, maxAttempts: httplog.DefaultMaxAttempts}
	if v := os.Getenv("EVIDCTL_LOAD_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, "EVIDCTL_LOAD_DURATION")
		cfg.duration = d
	}
	if v := os.Getenv("EVIDCTL_LOAD_CLIENTS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "EVIDCTL_LOAD_CLIENTS")
		cfg.clients = n
	}
	return cfg
}

// loadResult is what a load run saw.
type loadResult struct {
	receipts map[ledger.Entry]*ledger.Receipt // by entry
	failed   []error                          // appends that returned no receipt
	statuses map[int]int                      // HTTP statuses the server answered appends with
	elapsed  time.Duration
}

// statusCounter records the status of every append the server answers.
type statusCounter struct {
	h  http.Handler
	mu sync.Mutex
	n  map[int]int
}

type recorder struct {
	http.ResponseWriter
	code int
}

func (r *recorder) WriteHeader(code int) { r.code = code; r.ResponseWriter.WriteHeader(code) }

func (s *statusCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w, code: http.StatusOK}
	s.h.ServeHTTP(rec, r)
	if r.URL.Path == "/append" {
		s.mu.Lock()
		s.n[rec.code]++
		s.mu.Unlock()
	}
}

// runLoad serves backend on loopback and has cfg.clients clients, each with its own
// connection, append distinct signed entries in a closed loop for cfg.duration. The
// clients verify the server's checkpoints with entry.
func runLoad(t *testing.T, backend ledger.Ledger, entry ledger.Log, cfg loadConfig) loadResult {
	s := ledgertest.NewSigner(t)
	h, err := server.New(backend, []*sign.Verifier{s.Verifier()}, server.WithAppendTimeout(cfg.appendTimeout), server.WithLogger(discardLogger()), server.WithRateLimit(0, 0))
	require.NoError(t, err)
	counter := &statusCounter{h: h, n: map[int]int{}}
	srv := httptest.NewServer(counter)
	defer srv.Close()

	ctx, stop := context.WithTimeout(t.Context(), cfg.duration)
	defer stop()
	if cfg.during != nil {
		go cfg.during(ctx)
	}
	res := loadResult{receipts: map[ledger.Entry]*ledger.Receipt{}, statuses: counter.n}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for c := range cfg.clients {
		wg.Go(func() {
			l, err := httplog.Open(t.Context(), srv.URL, httplog.WithTrust(&ledger.Trust{Logs: []ledger.Log{entry}}), httplog.WithMaxAttempts(cfg.maxAttempts), httplog.WithHTTPClient(&http.Client{Transport: &http.Transport{}}))
			if err != nil {
				mu.Lock()
				res.failed = append(res.failed, err)
				mu.Unlock()
				return
			}
			defer l.Close()
			for i := 0; ctx.Err() == nil; i++ {
				entry := ledger.Entry(ledgertest.Leaf(fmt.Sprintf(`{"client":%d,"event":%d,"run":%q}`, c, i, t.Name())))
				// Each append may outlive the run's end: a receipt must come or not at all.
				r, err := l.AppendSigned(context.WithoutCancel(ctx), entry[:], s)
				mu.Lock()
				if err != nil {
					res.failed = append(res.failed, err)
				} else {
					res.receipts[entry] = r
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// checkLoad verifies every receipt, checks that no index was handed out twice, that every
// receipt's checkpoint is consistent with the final one and that every leaf is in the
// final tree, and that no append was answered with a 5xx other than 503 (pushback).
func checkLoad(t *testing.T, backend ledger.Ledger, entry ledger.Log, res loadResult) {
	ctx := t.Context()
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
	final, err := backend.Checkpoint(ctx)
	require.NoError(t, err)
	fcp, err := trust.VerifyCheckpoint(final)
	require.NoError(t, err)
	byIndex := map[uint64]ledger.Entry{}
	sizes := map[uint64]*ledger.Checkpoint{}
	for commit, r := range res.receipts {
		cp, err := trust.VerifyReceipt(r, commit[:])
		require.NoError(t, err, "receipt for index %d", r.Index)
		if other, dup := byIndex[r.Index]; dup {
			t.Fatalf("index %d handed out for two leaves: %x and %x", r.Index, other, commit)
		}
		byIndex[r.Index] = commit
		sizes[cp.Size] = cp
		require.LessOrEqual(t, cp.Size, fcp.Size)
	}
	for size, cp := range sizes {
		p, err := backend.ConsistencyProof(ctx, size, fcp.Size)
		require.NoError(t, err)
		require.NoError(t, ledger.VerifyConsistency(cp, fcp, p), "checkpoint of size %d against the final one", size)
	}
	for code, n := range res.statuses {
		if code >= 500 && code != http.StatusServiceUnavailable {
			t.Errorf("server answered %d appends with %d", n, code)
		}
	}
	t.Logf("%d receipts in %v: %.0f appends/s; %d appends failed; %d checkpoints; server statuses %v; final size %d",
		len(res.receipts), res.elapsed.Round(time.Millisecond), float64(len(res.receipts))/res.elapsed.Seconds(),
		len(res.failed), len(sizes), res.statuses, fcp.Size)
	if len(res.failed) > 0 {
		t.Logf("first failure: %v", res.failed[0])
	}
}

// TestLoad: 64 clients append signed entries through the server for 30 s, on each
// backend. No append fails, no receipt is lost or duplicated, and all verify.
func TestLoad(t *testing.T) {
	cfg := loadSettings(t)
	for name, newBackend := range loadBackends(t) {
		t.Run(name, func(t *testing.T) {
			backend, entry := newBackend(t)
			res := runLoad(t, backend, entry, cfg)
			checkLoad(t, backend, entry, res)
			require.Empty(t, res.failed, "appends failed")
			require.NotEmpty(t, res.receipts)
		})
	}
}

func loadBackends(t *testing.T) map[string]func(*testing.T) (ledger.Ledger, ledger.Log) {
	all := map[string]func(*testing.T) (ledger.Ledger, ledger.Log){
		"posix": func(t *testing.T) (ledger.Ledger, ledger.Log) { return posixlogtest.NewLog(t) },
		"trillian": func(t *testing.T) (ledger.Ledger, ledger.Log) {
			return trilliantest.NewLog(t, trilliantest.InProcess(t))
		},
		"trillian-process": func(t *testing.T) (ledger.Ledger, ledger.Log) {
			addr, _ := trilliantest.FromEnv(t)
			return trilliantest.NewLog(t, addr)
		},
	}
	pick := os.Getenv("EVIDCTL_LOAD_BACKENDS")
	if pick == "" {
		return all
	}
	out := map[string]func(*testing.T) (ledger.Ledger, ledger.Log){}
	for _, name := range strings.Split(pick, ",") {
		f, ok := all[name]
		if !ok {
			t.Fatalf("EVIDCTL_LOAD_BACKENDS: unknown backend %q", name)
		}
		out[name] = f
	}
	return out
}
