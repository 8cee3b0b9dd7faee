package cosign_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/internal/cosign"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

// gatewayBackend is a ledger.Backend that signs its own checkpoints, as trillianlog
// does, and has them cosigned through a Gateway before it hands out a receipt; ledger.New
// gives it the checks every ledger has.
type gatewayBackend struct {
	tree *witnesstest.Tree
	gw   *cosign.Gateway
	mu   sync.Mutex // one append at a time grows the tree
	// logged maps a leaf's key (an entry's tag, a legacy leaf itself) to the leaf logged
	// with it and its index: the single-successor rule every ledger keeps.
	logged map[[32]byte]loggedLeaf
}

type loggedLeaf struct {
	leaf  []byte
	index uint64
}

func newGatewayLedger(tree *witnesstest.Tree, gw *cosign.Gateway) ledger.Ledger {
	return ledger.New(&gatewayBackend{tree: tree, gw: gw, logged: map[[32]byte]loggedLeaf{}})
}

func (l *gatewayBackend) Origin() string { return l.tree.Entry().Origin }

func (l *gatewayBackend) AppendBatch(ctx context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	out := make([]*ledger.Receipt, len(leaves))
	l.mu.Lock()
	idx := make([]uint64, len(leaves))
	errs := make([]error, len(leaves))
	for i, leaf := range leaves {
		key := [32]byte(leaf[:32])
		if k, ok := l.logged[key]; ok {
			idx[i], errs[i] = k.index, ledger.Successor(leaf, k.leaf, k.index)
			continue
		}
		var err error
		if idx[i], err = l.tree.AppendLeaf(leaf); err != nil {
			l.mu.Unlock()
			return out, err
		}
		l.logged[key] = loggedLeaf{leaf: append([]byte(nil), leaf...), index: idx[i]}
	}
	cp, err := l.tree.Sign(l.tree.Size())
	l.mu.Unlock()
	if err != nil {
		return out, err
	}
	cosigned, err := l.gw.Cosign(ctx, cp)
	if err != nil {
		return out, err
	}
	head, err := ledger.ReadHeadUnverified(cosigned)
	if err != nil {
		return out, err
	}
	var failed error
	for i := range leaves {
		if errs[i] != nil {
			failed = cmp.Or(failed, fmt.Errorf("leaf %d of %d: %w", i+1, len(leaves), errs[i]))
			continue
		}
		p, err := l.tree.Inclusion(idx[i], head.Size)
		if err != nil {
			return out, err
		}
		out[i] = &ledger.Receipt{Index: idx[i], Proof: p, Checkpoint: cosigned}
	}
	return out, failed
}

func (l *gatewayBackend) Checkpoint(ctx context.Context) ([]byte, error) {
	cp, err := l.tree.Sign(l.tree.Size())
	if err != nil {
		return nil, err
	}
	return l.gw.Cosign(ctx, cp)
}

func (l *gatewayBackend) InclusionProof(_ context.Context, index, size uint64) ([]tlog.Hash, error) {
	if size > l.tree.Size() {
		return nil, fmt.Errorf("size %d beyond the log", size)
	}
	return l.tree.Inclusion(index, size)
}

func (l *gatewayBackend) ConsistencyProof(ctx context.Context, oldSize, newSize uint64) ([]tlog.Hash, error) {
	if newSize > l.tree.Size() {
		return nil, fmt.Errorf("size %d beyond the log", newSize)
	}
	return l.tree.Prove(ctx, oldSize, newSize)
}

func (l *gatewayBackend) Close(context.Context) error { return l.gw.Close() }

// setup is a log (a Tree), n witnesses that accept it, and its entry requiring k of them.
type setup struct {
	tree      *witnesstest.Tree
	witnesses []*witnesstest.Witness
	entry     ledger.Log
}

func newSetup(t testing.TB, n, k int) *setup {
	t.Helper()
	s := &setup{tree: witnesstest.NewTree(t, "log.example/"+strings.ReplaceAll(t.Name(), "/", "-"))}
	for i := range n {
		s.witnesses = append(s.witnesses, witnesstest.Start(t, fmt.Sprintf("w%d", i+1), s.tree.Entry()))
	}
	s.entry = s.tree.Entry()
	s.entry.WitnessPolicy = witnesstest.ParsedPolicy(t, k, s.witnesses...)
	return s
}

func (s *setup) gateway(t testing.TB, client *http.Client, opts ...cosign.Option) *cosign.Gateway {
	t.Helper()
	g, err := cosign.New(s.entry, client, s.tree.Prove, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, g.Close()) })
	return g
}

func (s *setup) trust() *ledger.Trust { return &ledger.Trust{Logs: []ledger.Log{s.entry}} }

func TestGatewayConformance(t *testing.T) {
	ledgertest.Run(t, func(t *testing.T) (ledger.Ledger, ledger.Log) {
		s := newSetup(t, 2, 2)
		l := newGatewayLedger(s.tree, s.gateway(t, nil))
		t.Cleanup(func() { require.NoError(t, l.Close()) })
		return l, s.entry
	})
}

func TestGatewayQuorum(t *testing.T) {
	s := newSetup(t, 3, 2)
	g := s.gateway(t, nil, cosign.WithTimeout(2*time.Second))
	s.witnesses[2].Stop()
	s.tree.Grow(t, "a", 4)
	cp, err := g.Cosign(t.Context(), s.tree.Checkpoint(t, 4))
	require.NoError(t, err, "2 of 3 with one witness down")
	got, err := s.trust().VerifyCheckpoint(cp)
	require.NoError(t, err)
	require.Equal(t, uint64(4), got.Size)

	s.witnesses[1].Stop()
	s.tree.Grow(t, "a", 6)
	start := time.Now()
	cp, err = g.Cosign(t.Context(), s.tree.Checkpoint(t, 6))
	require.Nil(t, cp, "never an uncosigned checkpoint")
	require.ErrorIs(t, err, ledger.ErrQuorum)
	require.Less(t, time.Since(start), 3*time.Second)
	var ce *ledger.CosigningError
	require.True(t, errors.As(err, &ce))
	require.Equal(t, uint64(6), ce.Size)
	require.True(t, ce.Answers[0].Cosigned)
	for _, a := range ce.Answers[1:] {
		require.Contains(t, a.Answer, "unreachable", "%+v", a)
	}
	require.Contains(t, err.Error(), `witness "w3" at http://127.0.0.1:`)
	require.Contains(t, err.Error(), "hint: start the witnesses")
}

// countingTransport counts requests per host.
type countingTransport struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n[req.URL.Host]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (c *countingTransport) take(host string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n[host]
	c.n[host] = 0
	return n
}

// TestGatewayCatchesUp: a witness ahead of what the gateway knows answers 409 with its
// size; the gateway proves consistency from there, and remembers the size next time.
func TestGatewayCatchesUp(t *testing.T) {
	s := newSetup(t, 1, 1)
	w := s.witnesses[0]
	s.tree.Grow(t, "a", 5)
	other := s.gateway(t, nil) // another personality of the same log
	_, err := other.Cosign(t.Context(), s.tree.Checkpoint(t, 5))
	require.NoError(t, err)

	ct := &countingTransport{n: map[string]int{}}
	g := s.gateway(t, &http.Client{Transport: ct})
	host := strings.TrimPrefix(w.URL, "http://")
	s.tree.Grow(t, "a", 9)
	_, err = g.Cosign(t.Context(), s.tree.Checkpoint(t, 9))
	require.NoError(t, err)
	require.Equal(t, 2, ct.take(host), "old 0, 409 size 5, then a proof from 5")
	s.tree.Grow(t, "a", 12)
	cp, err := g.Cosign(t.Context(), s.tree.Checkpoint(t, 12))
	require.NoError(t, err)
	require.Equal(t, 1, ct.take(host), "the gateway remembers size 9")
	got, err := s.trust().VerifyCheckpoint(cp)
	require.NoError(t, err)
	require.Equal(t, uint64(12), got.Size)
}

// TestGatewayFork: witnesses that cosigned one history refuse the other, and say so.
func TestGatewayFork(t *testing.T) {
	s := newSetup(t, 2, 1)
	s.tree.Grow(t, "a", 3)
	fork := s.tree.Fork()
	s.tree.Grow(t, "a", 9)
	fork.Grow(t, "fork", 12)
	_, err := s.gateway(t, nil).Cosign(t.Context(), s.tree.Checkpoint(t, 9))
	require.NoError(t, err)

	g, err := cosign.New(s.entry, nil, fork.Prove)
	require.NoError(t, err)
	defer g.Close()
	// In this order: the gateway goes on submitting the largest checkpoint it was given,
	// so once 12 was tried, 9 is never sent alone again.
	for _, c := range []struct {
		size uint64
		want string
	}{
		{9, "cosigned another root for this size: the log has forked (409)"},
		{12, "consistency proof from its last cosigned checkpoint does not verify"},
	} {
		size, want := c.size, c.want
		_, err = g.Cosign(t.Context(), fork.Checkpoint(t, size))
		require.ErrorIs(t, err, ledger.ErrQuorum, "size %d", size)
		require.Contains(t, err.Error(), want, "size %d", size)
		require.Contains(t, err.Error(), "hint: a witness has cosigned another history of this log")
	}
}

// TestGatewayHeld: a checkpoint the gateway already covers is answered from what it holds.
func TestGatewayHeld(t *testing.T) {
	s := newSetup(t, 1, 1)
	g := s.gateway(t, nil)
	s.tree.Grow(t, "a", 3)
	fork := s.tree.Fork()
	fork.Grow(t, "fork", 9)
	s.tree.Grow(t, "a", 9)
	nine, err := g.Cosign(t.Context(), s.tree.Checkpoint(t, 9))
	require.NoError(t, err)
	got, err := g.Cosign(t.Context(), s.tree.Checkpoint(t, 5))
	require.NoError(t, err)
	require.Equal(t, nine, got, "a larger cosigned checkpoint covers size 5")
	_, err = g.Cosign(t.Context(), fork.Checkpoint(t, 9))
	require.ErrorIs(t, err, ledger.ErrInconsistent, "the log itself signed two roots for size 9")

	_, err = g.Cosign(t.Context(), []byte("not a checkpoint"))
	require.ErrorIs(t, err, ledger.ErrMalformed)
	impostor := witnesstest.NewTree(t, s.entry.Origin)
	_, err = g.Cosign(t.Context(), impostor.Checkpoint(t, 0))
	require.ErrorIs(t, err, ledger.ErrUnknownLog, "only the log's own checkpoints are sent")
}

// TestGatewayHostileWitness: a witness that answers 200 with garbage, or without end,
// gets no say and no memory.
func TestGatewayHostileWitness(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"garbage": func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "— w1 AAAA\n") },
		"endless": func(w http.ResponseWriter, _ *http.Request) {
			for range 1 << 12 {
				if _, err := w.Write(make([]byte, 1024)); err != nil {
					return
				}
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			s := newSetup(t, 1, 1)
			s.witnesses[0].URL = srv.URL
			s.entry.WitnessPolicy = witnesstest.ParsedPolicy(t, 1, s.witnesses...)
			g := s.gateway(t, nil)
			_, err := g.Cosign(t.Context(), s.tree.Checkpoint(t, 0))
			require.ErrorIs(t, err, ledger.ErrQuorum)
		})
	}
}

// TestGatewayConcurrent: many checkpoints at once, one update at a time per witness;
// every caller gets a cosigned checkpoint covering its own.
func TestGatewayConcurrent(t *testing.T) {
	s := newSetup(t, 2, 2)
	l := newGatewayLedger(s.tree, s.gateway(t, nil))
	var wg sync.WaitGroup
	var failed atomic.Value
	for i := range 16 {
		wg.Go(func() {
			leaf := ledgertest.Leaf(fmt.Sprint(i))
			r, err := l.Append(t.Context(), leaf)
			if err == nil {
				_, err = s.trust().VerifyReceipt(r, leaf)
			}
			if err != nil {
				failed.Store(err)
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
}

func TestNewGatewayErrors(t *testing.T) {
	s := newSetup(t, 1, 1)
	noURL := s.tree.Entry()
	var err error
	noURL.WitnessPolicy, err = ledger.ParseWitnessPolicy([]byte("witness w1 " + s.witnesses[0].VerifierKey + "\nquorum w1\n"))
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		log   ledger.Log
		prove cosign.ConsistencyProof
		opts  []cosign.Option
		want  string
	}{
		"no policy":    {s.tree.Entry(), s.tree.Prove, nil, "no witness policy"},
		"no URL":       {noURL, s.tree.Prove, nil, "has no URL"},
		"no prover":    {s.entry, nil, nil, "no consistency proof"},
		"zero timeout": {s.entry, s.tree.Prove, []cosign.Option{cosign.WithTimeout(0)}, "timeout"},
	} {
		_, err := cosign.New(tc.log, nil, tc.prove, tc.opts...)
		require.ErrorContains(t, err, tc.want, name)
	}
}
