package witnesstest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger"
)

// Cosigner is a witness reduced to its signature: it adds a C2SP tlog-cosignature/v1
// (Ed25519) to whatever checkpoint it is given, dated by a clock the test controls, with
// no server, no state and no consistency check. Tests of trusted time use it to give
// checkpoints the cosignature timestamps they need (1990, 2099, before and after a
// revocation); witness behaviour itself is tested with [Start].
//
//	clock := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
//	w := witnesstest.NewCosigner(t, "w1", func() time.Time { return clock })
//	l := posixlog.Open(ctx, dir, key, posixlog.WithDecorator(w.Decorator()))
//	policy: ledger.Log{..., Witnesses: []string{w.VerifierKey}, Quorum: 1}
type Cosigner struct {
	Name        string // its name, and its key's name
	VerifierKey string // its cosignature/v1 verifier key, for policies

	key  ed25519.PrivateKey
	hash uint32
	now  func() time.Time

	mu    sync.Mutex
	notes map[string][]byte // checkpoint body → the cosigned note handed out
}

// NewCosigner returns a cosigner named name with a fresh key, dating its cosignatures
// by now.
func NewCosigner(t testing.TB, name string, now func() time.Time) *Cosigner {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	plain, err := note.NewEd25519VerifierKey(name, pub)
	require.NoError(t, err)
	vkey, err := fnote.VKeyToCosignatureV1(plain)
	require.NoError(t, err)
	_, rest, _ := strings.Cut(vkey, "+")
	hash16, _, _ := strings.Cut(rest, "+")
	hash, err := strconv.ParseUint(hash16, 16, 32)
	require.NoError(t, err)
	return &Cosigner{Name: name, VerifierKey: vkey, key: key, hash: uint32(hash), now: now, notes: map[string][]byte{}}
}

// Cosign returns checkpoint with this witness's cosignature added, dated now. Its other
// signatures are kept, unverified; an earlier cosignature of this witness is replaced.
func (c *Cosigner) Cosign(checkpoint []byte) ([]byte, error) {
	_, err := note.Open(checkpoint, note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		return nil, fmt.Errorf("cosigning: not a signed note: %w", ledger.ErrMalformed)
	}
	n := unverified.Note
	return note.Sign(&note.Note{Text: n.Text, Sigs: n.UnverifiedSigs}, signerFunc{c})
}

// cosigned is Cosign, once per checkpoint body: every later request for the same
// checkpoint gets the same bytes, as a log that publishes a cosigned checkpoint serves
// it until the next.
func (c *Cosigner) cosigned(checkpoint []byte) ([]byte, error) {
	h, err := ledger.ReadHeadUnverified(checkpoint)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%s\n%d\n%s", h.Origin, h.Size, h.Hash)
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.notes[key]; ok {
		return n, nil
	}
	n, err := c.Cosign(checkpoint)
	if err != nil {
		return nil, err
	}
	c.notes[key] = n
	return n, nil
}

// Decorator cosigns every checkpoint the backend hands out (its receipts' and its
// latest), each checkpoint once, at the time of its first request.
func (c *Cosigner) Decorator() ledger.Decorator {
	return func(b ledger.Backend) ledger.Backend { return &cosigningBackend{Backend: b, c: c} }
}

type signerFunc struct{ c *Cosigner }

func (s signerFunc) Name() string    { return s.c.Name }
func (s signerFunc) KeyHash() uint32 { return s.c.hash }

// Sign makes a cosignature/v1 signature: the 8-byte big-endian timestamp, then the
// Ed25519 signature of "cosignature/v1\ntime T\n" followed by the note text.
func (s signerFunc) Sign(msg []byte) ([]byte, error) {
	t := s.c.now().Unix()
	if t < 0 {
		return nil, fmt.Errorf("cosigning: time %d is before 1970", t)
	}
	signed := append(fmt.Appendf(nil, "cosignature/v1\ntime %d\n", t), msg...)
	sig := binary.BigEndian.AppendUint64(nil, uint64(t))
	return append(sig, ed25519.Sign(s.c.key, signed)...), nil
}

type cosigningBackend struct {
	ledger.Backend
	c *Cosigner
}

func (b *cosigningBackend) AppendBatch(ctx context.Context, leaves [][]byte) ([]*ledger.Receipt, error) {
	rs, err := b.Backend.AppendBatch(ctx, leaves)
	for _, r := range rs {
		if r == nil {
			continue
		}
		cp, cerr := b.c.cosigned(r.Checkpoint)
		if cerr != nil {
			return rs, errors.Join(err, cerr)
		}
		r.Checkpoint = cp
	}
	return rs, err
}

func (b *cosigningBackend) Checkpoint(ctx context.Context) ([]byte, error) {
	cp, err := b.Backend.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	return b.c.cosigned(cp)
}
