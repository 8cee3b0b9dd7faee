package httplog

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httpapi"
)

// closeTimeout bounds how long Close waits for requests in flight.
const closeTimeout = 30 * time.Second

// Checkpoint implements [ledger.Ledger]: the server's latest checkpoint, unverified (verify
// it with a [ledger.Trust]); it fails if the checkpoint names another log.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.gate.Done()
	cp, err := l.do(ctx, http.MethodGet, httpapi.CheckpointPath, "", nil)
	if err != nil {
		return nil, fmt.Errorf("reading checkpoint of %s: %w", l.origin, err)
	}
	head, err := ledger.ReadHeadUnverified(cp)
	if err != nil {
		return nil, fmt.Errorf("the server's checkpoint: %w", err)
	}
	if head.Origin != l.origin {
		return nil, fmt.Errorf("the server's checkpoint is of log %q, not %q: %w", head.Origin, l.origin, ledger.ErrWrongOrigin)
	}
	return cp, nil
}

// InclusionProof implements [ledger.Ledger].
func (l *Log) InclusionProof(ctx context.Context, index, treeSize uint64) ([]tlog.Hash, error) {
	if err := ledger.CheckInclusionArgs(index, treeSize); err != nil {
		return nil, err
	}
	return l.proof(ctx, httpapi.InclusionQuery(index, treeSize))
}

// ConsistencyProof implements [ledger.Ledger].
func (l *Log) ConsistencyProof(ctx context.Context, oldSize, newSize uint64) ([]tlog.Hash, error) {
	if err := ledger.CheckConsistencyArgs(oldSize, newSize); err != nil {
		return nil, err
	}
	return l.proof(ctx, httpapi.ConsistencyQuery(oldSize, newSize))
}

// proof fetches a proof: one base64 hash per line.
func (l *Log) proof(ctx context.Context, path string) ([]tlog.Hash, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.gate.Done()
	body, err := l.do(ctx, http.MethodGet, path, "", nil)
	if err != nil {
		return nil, fmt.Errorf("fetching %s from %s: %w", path, l.origin, err)
	}
	out, err := httpapi.ParseProof(body)
	if err != nil {
		return nil, fmt.Errorf("fetching %s from %s: %w", path, l.origin, err)
	}
	return out, nil
}

// Close implements [ledger.Ledger]: it waits (at most 30 s) for requests in flight, then
// releases idle connections.
func (l *Log) Close() error {
	if !l.gate.Close() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if err := l.gate.Wait(ctx); err != nil {
		return fmt.Errorf("closing %s: requests still in flight after 30 s", l.base)
	}
	l.cfg.client.CloseIdleConnections()
	return nil
}

// enter registers a request in flight, unless the log is closed.
func (l *Log) enter() error { return l.gate.Enter(l.origin) }
