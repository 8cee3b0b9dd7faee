package tsa

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/evidctl/evidctl/ledger"
)

// Decorator returns the ledger.Decorator by which c time-stamps a log's checkpoints,
// for any backend (ledger.New with ledger.WithDecorator; posixlog and trillianlog take
// it as an option):
//
//   - every receipt the log returns carries its checkpoint's token as its extra data
//     ([Client.Attach]: one TSA request per checkpoint, shared by all the appends under
//     it);
//   - the log implements ledger.Timestamper: TimestampCheckpoint returns the token of
//     the log's latest checkpoint, the one a signer cites before signing (its anchor),
//     or of a checkpoint c stamped before. It refuses any other note
//     (ledger.ErrNotLatest), so that a server exposing it spends at most one token per
//     checkpoint of its own log.
//
// When the leaves are logged but no token can be had, AppendBatch fails and still
// returns the receipts, without tokens (ledger.New passes them on): they prove
// inclusion, and Attach may stamp them later. A backend that is a
// ledger.AuthenticatedAppender stays one, its receipts stamped too.
func Decorator(c *Client) ledger.Decorator {
	return func(b ledger.Backend) ledger.Backend {
		s := &stampedBackend{Backend: b, client: c}
		if a, ok := b.(ledger.AuthenticatedAppender); ok {
			return &stampedSignedBackend{s, a}
		}
		return s
	}
}

type stampedBackend struct {
	ledger.Backend
	client *Client
}

var (
	_ ledger.Timestamper           = (*stampedBackend)(nil)
	_ ledger.AuthenticatedAppender = (*stampedSignedBackend)(nil)
)

// AppendBatch implements ledger.Backend: the backend's receipts, stamped.
func (s *stampedBackend) AppendBatch(ctx context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	rs, err := s.Backend.AppendBatch(ctx, leaves)
	if stampErr := s.client.Attach(ctx, rs...); stampErr != nil {
		return rs, errors.Join(err, fmt.Errorf("time-stamping the receipts' checkpoints: %w", stampErr))
	}
	return rs, err
}

// TimestampCheckpoint implements ledger.Timestamper.
func (s *stampedBackend) TimestampCheckpoint(ctx context.Context, checkpoint []byte) ([]byte, error) {
	return s.client.tokenOfLatest(ctx, checkpoint, s.Backend.Checkpoint)
}

// tokenOfLatest is the token over checkpoint, which must be the log's latest (read with
// latest) or one stamped before (ledger.ErrNotLatest otherwise).
func (c *Client) tokenOfLatest(ctx context.Context, checkpoint []byte, latest func(context.Context) ([]byte, error)) ([]byte, error) {
	key, err := Imprint(checkpoint)
	if err != nil {
		return nil, err
	}
	if t, ok := c.cache.get(key); ok {
		return bytes.Clone(t), nil
	}
	cp, err := latest(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the latest checkpoint: %w", err)
	}
	if have, err := Imprint(cp); err != nil || have != key {
		return nil, ledger.ErrNotLatest
	}
	return c.Token(ctx, checkpoint)
}

// stampOne stamps the receipt of one append that succeeded.
func (s *stampedBackend) stampOne(ctx context.Context, r *ledger.Receipt, err error) (*ledger.Receipt, error) {
	if err != nil {
		return r, err
	}
	if err := s.client.Attach(ctx, r); err != nil {
		return r, fmt.Errorf("time-stamping the receipt's checkpoint: %w", err)
	}
	return r, nil
}

type stampedSignedBackend struct {
	*stampedBackend
	signed ledger.AuthenticatedAppender
}

// AppendSigned implements ledger.AuthenticatedAppender: the backend's receipt, stamped.
func (s *stampedSignedBackend) AppendSigned(ctx context.Context, entry []byte, signer ledger.EntrySigner) (*ledger.Receipt, error) {
	r, err := s.signed.AppendSigned(ctx, entry, signer)
	return s.stampOne(ctx, r, err)
}
