package httplog_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httplog"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

// TestAppendEnvelope appends signed envelopes concurrently through the server to each
// backend; every receipt proves the envelope's commitment.
func TestAppendEnvelope(t *testing.T) {
	backends := map[string]ledgertest.Factory{
		"posix":    posixlogtest.Factory(),
		"trillian": trilliantest.Factory(trilliantest.InProcess(t)),
	}
	for name, newBackend := range backends {
		t.Run(name, func(t *testing.T) {
			backend, entry := newBackend(t)
			s := ledgertest.NewSigner(t)
			l := serve(t, backend, []*sign.Verifier{s.Verifier()})
			trust := &ledger.Trust{Logs: []ledger.Log{entry}}
			var wg sync.WaitGroup
			errs := make([]error, 16)
			for i := range errs {
				wg.Go(func() {
					env, c := ledgertest.Envelope(t, fmt.Sprintf(`{"event":%d}`, i), s)
					r, err := l.AppendEnvelope(t.Context(), env)
					if err == nil {
						_, err = trust.VerifyReceipt(r, c[:])
					}
					errs[i] = err
				})
			}
			wg.Wait()
			for i, err := range errs {
				require.NoError(t, err, "envelope %d", i)
			}

			// The same envelope again: a receipt that proves it (Trillian returns the
			// existing entry; Tessera logs it again).
			env, c := ledgertest.Envelope(t, `{"event":0}`, s)
			r, err := l.AppendEnvelope(t.Context(), env)
			require.NoError(t, err)
			_, err = trust.VerifyReceipt(r, c[:])
			require.NoError(t, err)

			_, err = l.Append(t.Context(), ledgertest.Leaf("bare"))
			require.ErrorIs(t, err, httplog.ErrEnvelopeRequired)
			require.ErrorContains(t, err, "AppendEnvelope")
		})
	}
}
