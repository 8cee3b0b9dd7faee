// Package witnesstest runs real witnesses (ledger/witness) in-process on loopback for
// tests, and builds the witness policies that name them:
//
//	w1 := witnesstest.Start(t, "w1", entry) // entry: the ledger.Log it accepts
//	w2 := witnesstest.Start(t, "w2", entry)
//	policy := witnesstest.Policy(2, w1, w2) // "witness w1 VKEY URL" ... "quorum ..."
//	w2.Stop()                               // a witness that is down
//
// It also has Tree, an in-memory signed log whose history can be forked, to drive a
// witness directly.
package witnesstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/witness"
)

// Witness is a witness serving on 127.0.0.1 until Stop or the end of the test.
type Witness struct {
	Name        string // its name in policies, and its key's name
	Dir         string // its state directory
	URL         string // its submission prefix, http://127.0.0.1:PORT
	VerifierKey string // its cosignature/v1 verifier key

	mu   sync.Mutex
	addr string
	stop func()
}

// Start initialises a witness named name in a temporary directory, adds each log, and
// serves it on a fresh loopback port. The test's cleanup stops it.
func Start(t testing.TB, name string, logs ...ledger.Log) *Witness {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "witness")
	vkey, err := witness.Init(dir, name)
	require.NoError(t, err)
	w := &Witness{Name: name, Dir: dir, VerifierKey: vkey, addr: "127.0.0.1:0"}
	for _, l := range logs {
		w.AddLog(t, l)
	}
	w.Restart(t)
	t.Cleanup(w.Stop)
	return w
}

// AddLog makes the witness accept l.
func (w *Witness) AddLog(t testing.TB, l ledger.Log) {
	t.Helper()
	require.NoError(t, witness.AddLog(w.Dir, l.Origin, l.VerifierKey))
}

// Stop stops serving: the witness is down, and its port refuses connections. It may be
// called more than once.
func (w *Witness) Stop() {
	w.mu.Lock()
	stop := w.stop
	w.stop = nil
	w.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// Restart serves the witness again from its state, on the port it had (the first call
// picks one). It stops a running server first.
func (w *Witness) Restart(t testing.TB) {
	t.Helper()
	w.Stop()
	s, err := witness.Open(context.Background(), w.Dir)
	require.NoError(t, err)
	w.mu.Lock()
	defer w.mu.Unlock()
	ln, err := net.Listen("tcp", w.addr)
	require.NoError(t, err, "listening on %s", w.addr)
	w.addr = ln.Addr().String()
	w.URL = "http://" + w.addr
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	w.stop = func() {
		cancel()
		err := errors.Join(<-done, s.Close())
		if err != nil {
			t.Errorf("stopping witness %s: %v", w.Name, err)
		}
	}
}

// PolicyLine is the witness's line in a witness policy: "witness NAME VKEY URL".
func (w *Witness) PolicyLine() string {
	return fmt.Sprintf("witness %s %s %s", w.Name, w.VerifierKey, w.URL)
}

// Policy is the witness policy text that asks for k of the witnesses' cosignatures
// ("quorum none" for k = 0).
func Policy(k int, ws ...*Witness) []byte {
	var b strings.Builder
	names := make([]string, len(ws))
	for i, w := range ws {
		b.WriteString(w.PolicyLine() + "\n")
		names[i] = w.Name
	}
	if k == 0 {
		b.WriteString("quorum none\n")
	} else {
		fmt.Fprintf(&b, "group witnesses %d %s\nquorum witnesses\n", k, strings.Join(names, " "))
	}
	return []byte(b.String())
}

// ParsedPolicy is Policy, parsed.
func ParsedPolicy(t testing.TB, k int, ws ...*Witness) *ledger.WitnessPolicy {
	t.Helper()
	p, err := ledger.ParseWitnessPolicy(Policy(k, ws...))
	require.NoError(t, err)
	return p
}
