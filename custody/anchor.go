package custody

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/tsa"
)

// Anchor is the checkpoint of its log that a signer read just before signing an event,
// as the event's statement cites it. The statement commits to the exact signed note,
// cosignatures included, and to the RFC 3161 token over it: so the trusted times these
// carry prove that the event was signed after them, the lower bound of its trusted
// interval (docs/TRUST.md). The bundle carries the note and the token
// ([AnchorCheckpoint]), and a consistency proof from it to the checkpoint of the event's
// receipt.
type Anchor struct {
	Origin     string    `json:"origin"`
	Size       uint64    `json:"size"`
	Hash       tlog.Hash `json:"rootHash"`        // RFC 6962 root hash, base64
	Checkpoint string    `json:"checkpoint"`      // "sha256:<hex>" of the signed note, signature lines included
	Token      string    `json:"token,omitempty"` // "sha256:<hex>" of the DER RFC 3161 token over it, when the log has a TSA
}

// Validate checks the anchor's fields.
func (a *Anchor) Validate() error {
	switch {
	case a.Origin == "":
		return errors.New("anchor: origin is empty")
	case !isCommitment(a.Checkpoint):
		return fmt.Errorf("anchor: checkpoint %q is not sha256:<64 hex>", a.Checkpoint)
	case a.Token != "" && !isCommitment(a.Token):
		return fmt.Errorf("anchor: token %q is not sha256:<64 hex>", a.Token)
	}
	return nil
}

// AnchorCheckpoint is an anchor as a bundle carries it: the signed checkpoint note,
// verbatim, and the RFC 3161 token over it, if the log has a TSA.
type AnchorCheckpoint struct {
	Checkpoint string `json:"checkpoint"`      // the signed note (C2SP tlog-checkpoint)
	Token      []byte `json:"token,omitempty"` // DER TimeStampToken, base64 in JSON
}

// validate checks the syntax of a bundle's anchor: a signed note, a token of sane size.
func (ac *AnchorCheckpoint) validate() error {
	if _, err := ledger.ReadHeadUnverified([]byte(ac.Checkpoint)); err != nil {
		return err
	}
	if len(ac.Token) > tsa.MaxTokenSize {
		return fmt.Errorf("time-stamp token of %d bytes, more than %d", len(ac.Token), tsa.MaxTokenSize)
	}
	return nil
}

// key identifies the checkpoint and token as a statement's anchor cites them.
func (ac *AnchorCheckpoint) key() string {
	k := digest.SHA256Bytes([]byte(ac.Checkpoint)).String()
	if len(ac.Token) > 0 {
		k += " " + digest.SHA256Bytes(ac.Token).String()
	}
	return k
}

// key is what a statement's anchor cites, as [AnchorCheckpoint.key] computes it.
func (a *Anchor) key() string {
	if a.Token == "" {
		return a.Checkpoint
	}
	return a.Checkpoint + " " + a.Token
}

// maxAnchorAttempts bounds how often a custodian reads the checkpoint again when the log
// moved on between reading it and having it time-stamped.
const maxAnchorAttempts = 3

// fetchAnchor reads the latest checkpoint of the custodian's ledger, with the token of
// its TSA when it has one (ledger.Timestamper): the anchor the next statement cites.
func (c *Custodian) fetchAnchor(ctx context.Context) (*Anchor, *AnchorCheckpoint, error) {
	for attempt := 1; ; attempt++ {
		note, err := c.ledger.Checkpoint(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the log's checkpoint before signing: %w", err)
		}
		head, err := ledger.ReadHeadUnverified(note)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the log's checkpoint before signing: %w", err)
		}
		if head.Origin != c.ledger.Origin() {
			return nil, nil, fmt.Errorf("the log %s returned a checkpoint of %q", c.ledger.Origin(), head.Origin)
		}
		token, err := c.anchorToken(ctx, note)
		if errors.Is(err, ledger.ErrNotLatest) && attempt < maxAnchorAttempts {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		a := &Anchor{Origin: head.Origin, Size: head.Size, Hash: head.Hash, Checkpoint: digest.SHA256Bytes(note).String()}
		if token != nil {
			a.Token = digest.SHA256Bytes(token).String()
		}
		return a, &AnchorCheckpoint{Checkpoint: string(note), Token: token}, nil
	}
}

// anchorToken is the token of the custodian's ledger over note, checked (but not
// trusted: the verifier's policy decides that); nil when the ledger has no TSA.
func (c *Custodian) anchorToken(ctx context.Context, note []byte) ([]byte, error) {
	token, err := ledger.TimestampCheckpoint(ctx, c.ledger, note)
	if errors.Is(err, ledger.ErrNoTimestamps) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("time-stamping the log's checkpoint before signing: %w", err)
	}
	if _, err := tsa.Inspect(token, note); err != nil {
		return nil, fmt.Errorf("the log's time-stamp token over its checkpoint: %w", err)
	}
	return token, nil
}

// keepAnchor adds an anchor's checkpoint and token to the bundle, unless it holds them.
func (b *Bundle) keepAnchor(ac *AnchorCheckpoint) {
	if !slices.ContainsFunc(b.Anchors, func(o AnchorCheckpoint) bool {
		return o.Checkpoint == ac.Checkpoint && bytes.Equal(o.Token, ac.Token)
	}) {
		b.Anchors = append(b.Anchors, *ac)
	}
}

// addProof adds to the bundle, unless it holds one, the proof that the tree of size leaves
// of the log extends the tree of old leaves (none is needed from 0 or between equal sizes).
func (c *Custodian) addProof(ctx context.Context, b *Bundle, origin string, old, size uint64) error {
	if old == 0 || old >= size {
		return nil
	}
	if slices.ContainsFunc(b.Consistency, func(k Consistency) bool { return k.Origin == origin && k.OldSize == old && k.NewSize == size }) {
		return nil
	}
	proof, err := c.ledger.ConsistencyProof(ctx, old, size)
	if err != nil {
		return fmt.Errorf("consistency proof %d→%d from log %s: %w", old, size, origin, err)
	}
	b.Consistency = append(b.Consistency, Consistency{Origin: origin, OldSize: old, NewSize: size, Proof: proof})
	return nil
}
