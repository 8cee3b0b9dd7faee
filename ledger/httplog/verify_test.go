package httplog_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httplog"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/server"
)

// forks makes logs of one origin and one key: each call of newLog opens a fresh copy of
// one empty log, so that logs of one forks that are appended different entries are a
// fork — one operator showing different histories to different clients.
func forks(t *testing.T, origin string) (newLog func() *posixlog.Log, entry ledger.Log) {
	t.Helper()
	empty, key := filepath.Join(t.TempDir(), "log"), filepath.Join(t.TempDir(), "log.key")
	vkey, err := posixlog.Init(empty, key, origin)
	require.NoError(t, err)
	return func() *posixlog.Log {
		dir := filepath.Join(t.TempDir(), "log")
		require.NoError(t, os.CopyFS(dir, os.DirFS(empty)))
		l, err := posixlog.Open(t.Context(), dir, key)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, l.Close()) })
		return l
	}, ledger.Log{Origin: origin, VerifierKey: vkey}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// handlerOf serves l for allowed signers.
func handlerOf(t *testing.T, l ledger.Ledger, allow ...*sign.Signer) http.Handler {
	t.Helper()
	var vs []*sign.Verifier
	for _, s := range allow {
		vs = append(vs, s.Verifier())
	}
	h, err := server.New(l, vs, server.WithLogger(discardLogger()))
	require.NoError(t, err)
	return h
}

// switchable serves with whichever handler it was last set to.
type switchable struct{ h atomic.Pointer[http.Handler] }

func (s *switchable) set(h http.Handler)                               { s.h.Store(&h) }
func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) { (*s.h.Load()).ServeHTTP(w, r) }

func appendLeaves(t *testing.T, l ledger.Ledger, names ...string) {
	t.Helper()
	var leaves [][]byte
	for _, n := range names {
		leaves = append(leaves, ledgertest.Leaf(n))
	}
	_, err := l.AppendBatch(t.Context(), leaves)
	require.NoError(t, err)
}

// TestManInTheMiddle: a man-in-the-middle that answers appends with receipts of its own
// log (same origin, its own key), or impersonates the server entirely, is caught before
// anything is returned; without verification (the Unsafe opt-out) it is not.
func TestManInTheMiddle(t *testing.T) {
	s := ledgertest.NewSigner(t)
	origin := ledgertest.Origin(t, "evidctl.test/mitm/")
	newReal, entry := forks(t, origin)
	newFake, _ := forks(t, origin) // the same origin, the attacker's key
	real, fake := newReal(), newFake()
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
	realH, fakeH := handlerOf(t, real, s), handlerOf(t, fake, s)

	// Reads pass through to the real server; appends are answered by the attacker's log.
	mitm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			fakeH.ServeHTTP(w, r)
			return
		}
		realH.ServeHTTP(w, r)
	}))
	defer mitm.Close()
	leaf := ledgertest.Leaf(`{"mitm":1}`)

	l, err := httplog.Open(t.Context(), mitm.URL, httplog.WithTrust(trust))
	require.NoError(t, err, "the checkpoint read through the proxy is the real one")
	defer l.Close()
	r, err := l.AppendSigned(t.Context(), leaf, s)
	require.ErrorIs(t, err, ledger.ErrUnknownLog, "a receipt signed by the attacker's key")
	require.ErrorContains(t, err, "man-in-the-middle")
	require.Nil(t, r)

	unsafe, err := httplog.Open(t.Context(), mitm.URL, httplog.WithoutCheckpointVerificationUnsafe())
	require.NoError(t, err)
	defer unsafe.Close()
	r, err = unsafe.AppendSigned(t.Context(), leaf, s)
	require.NoError(t, err, "unverified, the attacker's receipt is taken")
	_, err = trust.VerifyReceipt(r, leaf)
	require.ErrorIs(t, err, ledger.ErrUnknownLog)

	// An impersonator answering everything is refused at Open, and so is a server of a
	// log the trust policy does not name.
	impostor := httptest.NewServer(fakeH)
	defer impostor.Close()
	_, err = httplog.Open(t.Context(), impostor.URL, httplog.WithTrust(trust))
	require.ErrorIs(t, err, ledger.ErrUnknownLog)
	newOther, _ := forks(t, origin+"-other")
	otherSrv := httptest.NewServer(handlerOf(t, newOther(), s))
	defer otherSrv.Close()
	_, err = httplog.Open(t.Context(), otherSrv.URL, httplog.WithTrust(trust))
	require.ErrorIs(t, err, ledger.ErrUnknownLog)
}

// TestForkedLog: a server with the log's real key that shows the client a checkpoint
// inconsistent with one it verified before — another history of the same log — is
// caught, whether the checkpoint comes from Checkpoint, in a receipt, or at Open against
// a checkpoint the client already knows (a bundle's).
func TestForkedLog(t *testing.T) {
	s := ledgertest.NewSigner(t)
	origin := ledgertest.Origin(t, "evidctl.test/fork/")
	newLog, entry := forks(t, origin)
	one, two := newLog(), newLog()
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
	appendLeaves(t, one, "a", "b", "c")      // history one: a b c
	appendLeaves(t, two, "a", "b", "d", "e") // history two: a b d e (same key, same origin)
	knownOne, err := one.Checkpoint(t.Context())
	require.NoError(t, err)

	for name, tc := range map[string]struct {
		serve func(*switchable) // what the server shows after Open saw history one
		check func(*testing.T, *httplog.Log) error
	}{
		"Checkpoint": {
			serve: func(sw *switchable) { sw.set(handlerOf(t, two, s)) },
			check: func(t *testing.T, l *httplog.Log) error { _, err := l.Checkpoint(t.Context()); return err },
		},
		"SameSizeOtherRoot": {
			serve: func(sw *switchable) {
				three := newLog()
				appendLeaves(t, three, "a", "b", "x") // size 3, as history one
				sw.set(handlerOf(t, three, s))
			},
			check: func(t *testing.T, l *httplog.Log) error { _, err := l.Checkpoint(t.Context()); return err },
		},
		"Receipt": {
			serve: func(sw *switchable) { sw.set(handlerOf(t, two, s)) },
			check: func(t *testing.T, l *httplog.Log) error {
				leaf := ledgertest.Leaf(`{"fork":1}`)
				r, err := l.AppendSigned(t.Context(), leaf, s)
				require.Nil(t, r)
				return err
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			sw := &switchable{}
			sw.set(handlerOf(t, one, s))
			srv := httptest.NewServer(sw)
			defer srv.Close()
			l, err := httplog.Open(t.Context(), srv.URL, httplog.WithTrust(trust))
			require.NoError(t, err)
			defer l.Close()
			tc.serve(sw)
			err = tc.check(t, l)
			require.ErrorIs(t, err, ledger.ErrInconsistent)
			require.ErrorContains(t, err, "forked")
		})
	}

	t.Run("KnownCheckpoint", func(t *testing.T) {
		srv := httptest.NewServer(handlerOf(t, two, s))
		defer srv.Close()
		_, err := httplog.Open(t.Context(), srv.URL, httplog.WithTrust(trust), httplog.WithKnownCheckpoint(knownOne))
		require.ErrorIs(t, err, ledger.ErrInconsistent)
		l, err := httplog.Open(t.Context(), srv.URL, httplog.WithTrust(trust))
		require.NoError(t, err, "without the known checkpoint, history two is all this client has seen")
		require.NoError(t, l.Close())
	})

	t.Run("Consistent", func(t *testing.T) {
		sw := &switchable{}
		sw.set(handlerOf(t, one, s))
		srv := httptest.NewServer(sw)
		defer srv.Close()
		l, err := httplog.Open(t.Context(), srv.URL, httplog.WithTrust(trust), httplog.WithKnownCheckpoint(knownOne))
		require.NoError(t, err)
		defer l.Close()
		appendLeaves(t, one, "f", "g")
		leaf := ledgertest.Leaf(`{"fork":2}`)
		r, err := l.AppendSigned(t.Context(), leaf, s)
		require.NoError(t, err, "a grown, consistent log")
		_, err = trust.VerifyReceipt(r, leaf)
		require.NoError(t, err)
		_, err = l.Checkpoint(t.Context())
		require.NoError(t, err)
	})
}

// TestTrustOptions: Open needs a trust policy or the Unsafe opt-out, and refuses
// contradictory options, before any request.
func TestTrustOptions(t *testing.T) {
	for name, tc := range map[string]struct {
		opts []httplog.Option
		want string
	}{
		"None":              {nil, "WithTrust"},
		"Both":              {[]httplog.Option{httplog.WithTrust(&ledger.Trust{}), httplog.WithoutCheckpointVerificationUnsafe()}, "both"},
		"NilTrust":          {[]httplog.Option{httplog.WithTrust(nil)}, "nil trust"},
		"KnownWithoutTrust": {[]httplog.Option{httplog.WithoutCheckpointVerificationUnsafe(), httplog.WithKnownCheckpoint([]byte("x"))}, "needs WithTrust"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := httplog.Open(t.Context(), "http://127.0.0.1:1", tc.opts...)
			require.ErrorContains(t, err, tc.want)
			if name == "None" {
				require.ErrorIs(t, err, httplog.ErrNoTrust)
			}
		})
	}
}
