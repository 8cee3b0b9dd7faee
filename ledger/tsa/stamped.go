package tsa

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/evidctl/evidctl/ledger"
)

// Attach sets, on each receipt, its checkpoint's token (from Token: one request per
// checkpoint) as the receipt's extra data, the one C2SP tlog-proof "extra" line. Nil
// receipts are skipped. A receipt that already carries extra data is left alone and
// reported (ErrExtraTaken); the others are still stamped. The errors are joined.
func (c *Client) Attach(ctx context.Context, receipts ...*ledger.Receipt) error {
	tokens := make(map[[32]byte][]byte) // per checkpoint body, even with no cache
	var errs []error
	for i, r := range receipts {
		if r == nil {
			continue
		}
		if len(r.Extra) > 0 {
			errs = append(errs, fmt.Errorf("stamping receipt %d (log index %d): %w", i, r.Index, ErrExtraTaken))
			continue
		}
		key, err := Imprint(r.Checkpoint)
		if err != nil {
			errs = append(errs, fmt.Errorf("stamping receipt %d (log index %d): %w", i, r.Index, err))
			continue
		}
		t, ok := tokens[key]
		if !ok {
			if t, err = c.Token(ctx, r.Checkpoint); err != nil {
				errs = append(errs, fmt.Errorf("stamping receipt %d (log index %d): %w", i, r.Index, err))
				continue
			}
			tokens[key] = t
		}
		r.Extra = [][]byte{bytes.Clone(t)}
	}
	return errors.Join(errs...)
}

// VerifyReceipt verifies the token a receipt carries (its extra data) over the receipt's
// checkpoint: [Verifier.Verify] of r.Extra[0] and r.Checkpoint, or ErrNoToken. The
// receipt itself (checkpoint signatures, inclusion) is verified by ledger.Trust.
func (v *Verifier) VerifyReceipt(r *ledger.Receipt) (*Timestamp, error) {
	if len(r.Extra) == 0 {
		return nil, fmt.Errorf("receipt for log index %d: %w", r.Index, ErrNoToken)
	}
	return v.Verify(r.Extra[0], r.Checkpoint)
}
