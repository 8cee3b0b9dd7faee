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

// Wrap returns a ledger.Ledger that appends to l and stamps every receipt it returns
// with its checkpoint's token, from c ([Client.Attach]): one TSA request per checkpoint,
// not per leaf, shared by all appends under it. It is a ledger.Timestamper, as
// [Decorator] makes a log one. The other methods are l's. When l is a
// ledger.AuthenticatedAppender, so is the result, stamping its receipts too.
//
// When the leaves are logged but the token cannot be had, Append and AppendBatch return
// the error and the receipts without tokens: they are valid proofs of inclusion, and
// Attach may stamp them later.
func Wrap(l ledger.Ledger, c *Client) ledger.Ledger {
	s := &stamped{Ledger: l, client: c}
	if a, ok := l.(ledger.AuthenticatedAppender); ok {
		return &stampedSigned{stamped: s, signed: a}
	}
	return s
}

type stamped struct {
	ledger.Ledger
	client *Client
}

var (
	_ ledger.Ledger      = (*stamped)(nil)
	_ ledger.Timestamper = (*stamped)(nil)
)

// TimestampCheckpoint implements ledger.Timestamper, as [Decorator]'s does.
func (s *stamped) TimestampCheckpoint(ctx context.Context, checkpoint []byte) ([]byte, error) {
	return s.client.tokenOfLatest(ctx, checkpoint, s.Ledger.Checkpoint)
}

func (s *stamped) Append(ctx context.Context, leaf []byte) (*ledger.Receipt, error) {
	r, err := s.Ledger.Append(ctx, leaf)
	return s.stamp(ctx, r, err)
}

// stamp attaches the token to the receipt of an append that succeeded.
func (s *stamped) stamp(ctx context.Context, r *ledger.Receipt, err error) (*ledger.Receipt, error) {
	if err != nil {
		return r, err
	}
	return r, s.client.Attach(ctx, r)
}

func (s *stamped) AppendBatch(ctx context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	rs, err := s.Ledger.AppendBatch(ctx, leaves)
	if stampErr := s.client.Attach(ctx, rs...); stampErr != nil {
		return rs, errors.Join(err, stampErr)
	}
	return rs, err
}

type stampedSigned struct {
	*stamped
	signed ledger.AuthenticatedAppender
}

var _ ledger.AuthenticatedAppender = (*stampedSigned)(nil)

// AppendSigned implements ledger.AuthenticatedAppender: l's receipt, stamped.
func (s *stampedSigned) AppendSigned(ctx context.Context, entry []byte, signer ledger.EntrySigner) (*ledger.Receipt, error) {
	r, err := s.signed.AppendSigned(ctx, entry, signer)
	return s.stamp(ctx, r, err)
}
