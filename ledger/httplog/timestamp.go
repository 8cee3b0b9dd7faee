package httplog

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httpapi"
)

var (
	_ ledger.Timestamper = (*Log)(nil)
	_ ledger.Timestamper = (*client)(nil)
)

// TimestampCheckpoint implements [ledger.Timestamper]: it posts checkpoint to the
// server's time-stamp endpoint (docs/HTTP-API.md) and returns the RFC 3161 token the
// server's TSA issued over it. It fails with ledger.ErrNoTimestamps when the server has
// no TSA (404), and ledger.ErrNotLatest when checkpoint is no longer its latest (409).
// The token is returned as the server sent it: verify it (ledger/tsa) before relying on it.
func (l *Log) TimestampCheckpoint(ctx context.Context, checkpoint []byte) ([]byte, error) {
	return ledger.TimestampCheckpoint(ctx, l.Ledger, checkpoint)
}

// TimestampCheckpoint implements [ledger.Timestamper] for ledger.New.
func (c *client) TimestampCheckpoint(ctx context.Context, checkpoint []byte) ([]byte, error) {
	token, err := c.do(ctx, http.MethodPost, httpapi.TimestampPath, httpapi.CheckpointType, checkpoint)
	var serr *StatusError
	switch {
	case errors.As(err, &serr) && serr.Code == http.StatusNotFound:
		return nil, fmt.Errorf("%w: %w", ledger.ErrNoTimestamps, serr)
	case errors.As(err, &serr) && serr.Code == http.StatusConflict:
		return nil, fmt.Errorf("%w: %w", ledger.ErrNotLatest, serr)
	case err != nil:
		return nil, err
	case len(token) == 0:
		return nil, fmt.Errorf("the server answered an empty time-stamp token: %w", ledger.ErrMalformed)
	}
	return token, nil
}
