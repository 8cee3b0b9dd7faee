package ledger_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
)

// memLog is an in-memory RFC 6962 tree built with sumdb/tlog, signed like a real log.
type memLog struct {
	origin string
	signer note.Signer
	vkey   string
	stored []tlog.Hash
	n      int64
	data   [][]byte // the leaves, by index
}

func newMemLog(tb testing.TB, origin string) *memLog {
	tb.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	require.NoError(tb, err)
	s, err := note.NewSigner(skey)
	require.NoError(tb, err)
	return &memLog{origin: origin, signer: s, vkey: vkey}
}

func (m *memLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m.stored[x]
	}
	return out, nil
}

func leafOf(i int) []byte {
	h := sha256.Sum256(fmt.Appendf(nil, "leaf %d", i))
	return h[:]
}

// grow appends leaves leafOf(n)... until the tree has size leaves.
func (m *memLog) grow(tb testing.TB, size int) {
	for int(m.n) < size {
		m.add(tb, leafOf(int(m.n)))
	}
}

// add appends leaf.
func (m *memLog) add(tb testing.TB, leaf []byte) {
	hs, err := tlog.StoredHashes(m.n, leaf, m)
	require.NoError(tb, err)
	m.stored = append(m.stored, hs...)
	m.data = append(m.data, leaf)
	m.n++
}

func (m *memLog) entry() ledger.Log { return ledger.Log{Origin: m.origin, VerifierKey: m.vkey} }

func (m *memLog) trust() *ledger.Trust { return &ledger.Trust{Logs: []ledger.Log{m.entry()}} }

// body is the checkpoint text of the tree of size leaves.
func (m *memLog) body(tb testing.TB, origin string, size int) string {
	root, err := tlog.TreeHash(int64(size), m)
	require.NoError(tb, err)
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
}

// checkpoint signs the tree of size leaves with the log key and any extra signers.
func (m *memLog) checkpoint(tb testing.TB, size int, extra ...note.Signer) []byte {
	msg, err := note.Sign(&note.Note{Text: m.body(tb, m.origin, size)}, append([]note.Signer{m.signer}, extra...)...)
	require.NoError(tb, err)
	return msg
}

func (m *memLog) receipt(tb testing.TB, index, size int, extra ...note.Signer) *ledger.Receipt {
	p, err := tlog.ProveRecord(int64(size), int64(index), m)
	require.NoError(tb, err)
	return &ledger.Receipt{Index: uint64(index), Proof: p, Checkpoint: m.checkpoint(tb, size, extra...)}
}

func (m *memLog) verified(tb testing.TB, size int) *ledger.Checkpoint {
	cp, err := m.trust().VerifyCheckpoint(m.checkpoint(tb, size))
	require.NoError(tb, err)
	return cp
}

// newWitness returns a cosignature/v1 signer and its verifier key.
func newWitness(tb testing.TB, name string) (note.Signer, string) {
	tb.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	require.NoError(tb, err)
	s, err := fnote.NewSignerForCosignatureV1(skey)
	require.NoError(tb, err)
	cvkey, err := fnote.VKeyToCosignatureV1(vkey)
	require.NoError(tb, err)
	return s, cvkey
}

func mustText(tb testing.TB, r *ledger.Receipt) []byte {
	b, err := r.MarshalText()
	require.NoError(tb, err)
	return b
}
