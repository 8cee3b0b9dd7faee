package ledger

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoTimestamps: the ledger does not have its checkpoints time-stamped (it has no
// RFC 3161 time-stamping authority).
var ErrNoTimestamps = errors.New("the log has no time-stamping authority")

// ErrNotLatest: a ledger was asked to time-stamp a checkpoint that is not its latest
// one. A ledger stamps only its own latest checkpoint (or one it stamped before), so
// that nobody can spend its TSA's tokens on other notes; read the checkpoint again.
var ErrNotLatest = errors.New("not the log's latest checkpoint")

// Timestamper is implemented by a ledger whose checkpoints an RFC 3161 time-stamping
// authority (TSA) stamps: one decorated by ledger/tsa, or the client of a ledger server
// that has a TSA (ledger/httplog). The receipts such a ledger returns carry their
// checkpoint's token; TimestampCheckpoint gives the token of a checkpoint read with
// Checkpoint, which is how a signer obtains trusted time for the checkpoint it cites
// before signing (its anchor: see docs/TRUST.md).
//
// Every Ledger made by [New] implements it: when its backend does not, the method fails
// with ErrNoTimestamps.
type Timestamper interface {
	// TimestampCheckpoint returns a DER RFC 3161 TimeStampToken over checkpoint, a
	// signed checkpoint note of this log as Checkpoint returned it: its message imprint
	// is SHA-256 of the note's body, without signature lines. It fails with
	// ErrNoTimestamps when the log has no TSA, and with ErrNotLatest for a checkpoint
	// that is neither the latest nor one stamped before.
	TimestampCheckpoint(ctx context.Context, checkpoint []byte) ([]byte, error)
}

// TimestampCheckpoint implements Timestamper: the backend's, through the same gate and
// error prefix as the other methods, or ErrNoTimestamps.
func (g *guarded) TimestampCheckpoint(ctx context.Context, checkpoint []byte) ([]byte, error) {
	t, err := run(&g.gate, func() ([]byte, error) {
		ts, ok := g.b.(Timestamper)
		if !ok {
			return nil, ErrNoTimestamps
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return ts.TimestampCheckpoint(ctx, checkpoint)
	})
	if err != nil {
		return nil, fmt.Errorf("time-stamping checkpoint of %s: %w", g.Origin(), err)
	}
	return t, nil
}

// TimestampCheckpoint asks l for the token over checkpoint when l is a [Timestamper],
// and fails with ErrNoTimestamps when it is not: for the types that embed a Ledger made
// by New (posixlog.Log, trillianlog.Log, httplog.Log) and forward the method.
func TimestampCheckpoint(ctx context.Context, l Ledger, checkpoint []byte) ([]byte, error) {
	ts, ok := l.(Timestamper)
	if !ok {
		return nil, ErrNoTimestamps
	}
	return ts.TimestampCheckpoint(ctx, checkpoint)
}
