package httplog

import (
	"context"
	"fmt"
	"net/http"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httpapi"
)

// Checkpoint implements [ledger.Backend]: the server's latest checkpoint, verified as
// [WithTrust] says (unverified with [WithoutCheckpointVerificationUnsafe]); it fails if the
// checkpoint names another log.
func (c *client) Checkpoint(ctx context.Context) ([]byte, error) {
	cp, err := c.do(ctx, http.MethodGet, httpapi.CheckpointPath, "", nil)
	if err != nil {
		return nil, err
	}
	head, err := ledger.ReadHeadUnverified(cp)
	if err != nil {
		return nil, fmt.Errorf("the server's checkpoint: %w", err)
	}
	if head.Origin != c.origin {
		return nil, fmt.Errorf("the server's checkpoint is of log %q, not %q: %w", head.Origin, c.origin, ledger.ErrWrongOrigin)
	}
	if c.verify != nil {
		if _, err := c.verify.accept(ctx, c, cp); err != nil {
			return nil, err
		}
	}
	return cp, nil
}

// InclusionProof implements [ledger.Backend]; the server checks the tree size.
func (c *client) InclusionProof(ctx context.Context, index, treeSize uint64) ([]tlog.Hash, error) {
	return c.proof(ctx, httpapi.InclusionQuery(index, treeSize))
}

// ConsistencyProof implements [ledger.Backend]; the server checks the tree size.
func (c *client) ConsistencyProof(ctx context.Context, oldSize, newSize uint64) ([]tlog.Hash, error) {
	return c.proof(ctx, httpapi.ConsistencyQuery(oldSize, newSize))
}

// proof fetches a proof.
func (c *client) proof(ctx context.Context, path string) ([]tlog.Hash, error) {
	body, err := c.do(ctx, http.MethodGet, path, "", nil)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", path, err)
	}
	out, err := httpapi.ParseProof(body)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", path, err)
	}
	return out, nil
}

// Close implements [ledger.Backend]: it releases idle connections.
func (c *client) Close(context.Context) error {
	c.cfg.client.CloseIdleConnections()
	return nil
}
