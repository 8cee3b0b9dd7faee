package cosign

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
)

// TestRecorderKeepsTheFork: a witness that refused a fork and then, as the log retries
// from another old size, answers "not the old size I last cosigned" has still said the
// log forked; only a cosignature clears it.
func TestRecorderKeepsTheFork(t *testing.T) {
	var step atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch step.Load() {
		case 0: // a fork: same size, another root
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte("2\n"))
		case 1: // a stale old size
			w.Header().Set("Content-Type", "text/x.tlog.size")
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte("2\n"))
		default:
			_, _ = w.Write([]byte("— w1 AAAA\n"))
		}
	}))
	rec, postOnce := recordWitness(t, srv)
	post := func() string {
		postOnce()
		return rec.Answers()[0].Answer
	}
	require.Contains(t, post(), "the log has forked")
	step.Store(1)
	require.Contains(t, post(), "the log has forked", "a stale-size answer after a fork does not hide it")
	step.Store(2)
	require.Equal(t, "cosigned", post())
	step.Store(1)
	require.Contains(t, post(), "not the old size it was sent", "after a cosignature, a stale size is just that")
}

// recordWitness is a Recorder for the witness w1 served by srv, and a function that
// posts one add-checkpoint request to it through the Recorder.
func recordWitness(t *testing.T, srv *httptest.Server) (*Recorder, func()) {
	t.Helper()
	t.Cleanup(srv.Close)
	p, err := ledger.ParseWitnessPolicy([]byte("witness w1 " + testWitnessKey + " " + srv.URL + "\nquorum w1\n"))
	require.NoError(t, err)
	rec, err := NewRecorder(nil, p)
	require.NoError(t, err)
	c := &http.Client{Transport: rec}
	return rec, func() {
		resp, err := c.Post(srv.URL+"/add-checkpoint", "text/plain", strings.NewReader("x"))
		require.NoError(t, err)
		resp.Body.Close()
	}
}

// testWitnessKey is a cosignature/v1 verifier key named w1.
const testWitnessKey = "w1+af943e53+BPZ99uck0Rs26MRLbr1MFq+xTghs+91l1aXM1tpD0COe"

// TestRecorderRefusedSince: a witness counts as refusing once it answers, after the
// mark, anything but a cosignature; a request to prove consistency from another size is
// not an answer yet, and a cosignature clears the refusal.
func TestRecorderRefusedSince(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusNotFound)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch code := int(status.Load()); code {
		case http.StatusOK:
			_, _ = w.Write([]byte("— w1 AAAA\n"))
		case http.StatusConflict:
			w.Header().Set("Content-Type", "text/x.tlog.size")
			w.WriteHeader(code)
			_, _ = w.Write([]byte("2\n"))
		default:
			w.WriteHeader(code)
		}
	}))
	rec, post := recordWitness(t, srv)
	post()
	mark := rec.Mark()
	require.Empty(t, rec.RefusedSince(mark), "an answer before the mark does not count")
	status.Store(http.StatusConflict)
	post()
	require.Empty(t, rec.RefusedSince(mark), "a stale size is no answer yet")
	status.Store(http.StatusNotFound)
	post()
	require.Equal(t, []string{"w1"}, rec.RefusedSince(mark))
	status.Store(http.StatusOK)
	post()
	require.Empty(t, rec.RefusedSince(mark), "cosigned since")
}

// TestRecorderSettledAnswers: a stale size is a step, not an answer. A log that reports
// the answers while it is asking again (Tessera asks every witness from the published
// size, so a witness that cosigned an unpublished checkpoint answers each attempt with a
// stale size first) waits for what the witness says next; a stale size nobody follows up
// is reported as it is once the wait is over.
func TestRecorderSettledAnswers(t *testing.T) {
	var stale atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stale.Load() {
			w.Header().Set("Content-Type", "text/x.tlog.size")
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte("4\n"))
			return
		}
		_, _ = w.Write([]byte("— w1 AAAA\n"))
	}))
	rec, post := recordWitness(t, srv)
	post()
	stale.Store(true)
	post()
	require.Contains(t, rec.Answers()[0].Answer, "not the old size it was sent")

	t.Run("the retry's cosignature", func(t *testing.T) {
		stale.Store(false)
		go func() {
			time.Sleep(50 * time.Millisecond)
			post()
		}()
		start := time.Now()
		a := rec.SettledAnswers(t.Context(), time.Minute)
		require.Less(t, time.Since(start), 30*time.Second)
		require.True(t, a[0].Cosigned, "%+v", a[0])
		require.Equal(t, "cosigned", a[0].Answer)
	})
	t.Run("no retry", func(t *testing.T) {
		stale.Store(true)
		post()
		start := time.Now()
		a := rec.SettledAnswers(t.Context(), 100*time.Millisecond)
		require.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
		require.False(t, a[0].Cosigned)
		require.Contains(t, a[0].Answer, "not the old size it was sent")
	})
	t.Run("nothing pending", func(t *testing.T) {
		stale.Store(false)
		post()
		start := time.Now()
		require.True(t, rec.SettledAnswers(t.Context(), time.Minute)[0].Cosigned)
		require.Less(t, time.Since(start), 30*time.Second)
	})
}
