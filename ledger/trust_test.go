package ledger_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
)

func TestVerifyReceiptRejects(t *testing.T) {
	m := newMemLog(t, "example.org/log")
	m.grow(t, 13)
	other := newMemLog(t, "example.org/other")
	impostor := newMemLog(t, "example.org/log") // same origin, another key
	impostor.grow(t, 13)
	trust := &ledger.Trust{Logs: []ledger.Log{m.entry(), other.entry()}}
	good := m.receipt(t, 6, 13)
	_, err := trust.VerifyReceipt(good, leafOf(6))
	require.NoError(t, err)

	edit := func(f func(r *ledger.Receipt)) *ledger.Receipt {
		r := *good
		r.Proof = append([]tlog.Hash(nil), good.Proof...)
		r.Checkpoint = bytes.Clone(good.Checkpoint)
		f(&r)
		return &r
	}
	signedAs := func(signer note.Signer, body string) []byte {
		msg, err := note.Sign(&note.Note{Text: body}, signer)
		require.NoError(t, err)
		return msg
	}
	cases := []struct {
		name string
		r    *ledger.Receipt
		leaf []byte
		want error
	}{
		{"proof for another leaf", good, leafOf(7), ledger.ErrLeafMismatch},
		{"wrong index", edit(func(r *ledger.Receipt) { r.Index = 7 }), leafOf(6), ledger.ErrLeafMismatch},
		{"altered path hash", edit(func(r *ledger.Receipt) { r.Proof[1][0] ^= 1 }), leafOf(6), ledger.ErrLeafMismatch},
		{"truncated path", edit(func(r *ledger.Receipt) { r.Proof = r.Proof[:len(r.Proof)-1] }), leafOf(6), ledger.ErrMalformed},
		{"extended path", edit(func(r *ledger.Receipt) { r.Proof = append(r.Proof, tlog.Hash{}) }), leafOf(6), ledger.ErrMalformed},
		{"index beyond tree", edit(func(r *ledger.Receipt) { r.Index = 13 }), leafOf(6), ledger.ErrMalformed},
		{"altered checkpoint root", edit(func(r *ledger.Receipt) {
			i := bytes.Index(r.Checkpoint, []byte("\n13\n")) + 4
			r.Checkpoint[i] ^= 1
		}), leafOf(6), ledger.ErrBadSignature},
		{"altered checkpoint size", edit(func(r *ledger.Receipt) {
			r.Checkpoint = bytes.Replace(r.Checkpoint, []byte("\n13\n"), []byte("\n14\n"), 1)
		}), leafOf(6), ledger.ErrBadSignature},
		{"unknown key", edit(func(r *ledger.Receipt) { r.Checkpoint = impostor.checkpoint(t, 13) }), leafOf(6), ledger.ErrUnknownLog},
		{"unknown origin", edit(func(r *ledger.Receipt) {
			r.Checkpoint = signedAs(newMemLog(t, "example.org/stranger").signer, m.body(t, "example.org/stranger", 13))
		}), leafOf(6), ledger.ErrUnknownLog},
		{"wrong origin", edit(func(r *ledger.Receipt) {
			r.Checkpoint = signedAs(m.signer, m.body(t, "example.org/elsewhere", 13))
		}), leafOf(6), ledger.ErrWrongOrigin},
		{"origin of another trusted log", edit(func(r *ledger.Receipt) {
			r.Checkpoint = signedAs(m.signer, m.body(t, "example.org/other", 13))
		}), leafOf(6), ledger.ErrWrongOrigin},
		{"not a note", edit(func(r *ledger.Receipt) { r.Checkpoint = []byte("hello\n") }), leafOf(6), ledger.ErrMalformed},
		{"nil receipt", nil, leafOf(6), ledger.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := trust.VerifyReceipt(tc.r, tc.leaf)
			require.ErrorIs(t, err, tc.want)
			for _, s := range []error{ledger.ErrMalformed, ledger.ErrUnknownLog, ledger.ErrWrongOrigin, ledger.ErrBadSignature, ledger.ErrLeafMismatch, ledger.ErrInconsistent, ledger.ErrQuorum} {
				if s != tc.want {
					require.NotErrorIs(t, err, s, "exactly one sentinel")
				}
			}
		})
	}
}

func TestVerifyReceiptErrorsNameEvidence(t *testing.T) {
	m := newMemLog(t, "example.org/log")
	m.grow(t, 4)
	_, err := m.trust().VerifyReceipt(m.receipt(t, 2, 4), leafOf(3))
	require.ErrorIs(t, err, ledger.ErrLeafMismatch)
	for _, want := range []string{"index 2", `"example.org/log"`, "size 4"} {
		require.Contains(t, err.Error(), want)
	}
}

func TestWitnessQuorum(t *testing.T) {
	m := newMemLog(t, "example.org/log")
	m.grow(t, 3)
	w1, k1 := newWitness(t, "witness1.example")
	w2, k2 := newWitness(t, "witness2.example")
	_, k3 := newWitness(t, "witness3.example")
	stranger, _ := newWitness(t, "stranger.example")
	entry := m.entry()
	entry.Witnesses, entry.Quorum = []string{k1, k2, k3}, 2
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}

	cp, err := trust.VerifyReceipt(m.receipt(t, 1, 3, w1, w2), leafOf(1))
	require.NoError(t, err)
	require.Equal(t, []string{"witness1.example", "witness2.example"}, cp.Cosigners)

	_, err = trust.VerifyReceipt(m.receipt(t, 1, 3, w1, stranger), leafOf(1))
	require.ErrorIs(t, err, ledger.ErrQuorum, "a witness outside the policy does not count")
	_, err = trust.VerifyCheckpoint(m.checkpoint(t, 3))
	require.ErrorIs(t, err, ledger.ErrQuorum)

	// A cosignature moved onto another checkpoint does not verify.
	sig := func(msg []byte, name string) string {
		for _, l := range strings.Split(string(msg), "\n") {
			if strings.HasPrefix(l, "— "+name+" ") {
				return l + "\n"
			}
		}
		t.Fatalf("no signature by %s", name)
		return ""
	}
	m.grow(t, 4)
	forged := append(m.checkpoint(t, 4, w1), sig(m.checkpoint(t, 3, w2), "witness2.example")...)
	_, err = trust.VerifyCheckpoint(forged)
	require.ErrorIs(t, err, ledger.ErrBadSignature)

	// A witness alone is not the log.
	onlyWitness, err := note.Sign(&note.Note{Text: m.body(t, m.origin, 4)}, w1, w2)
	require.NoError(t, err)
	_, err = trust.VerifyCheckpoint(onlyWitness)
	require.ErrorIs(t, err, ledger.ErrUnknownLog)
}

func TestTrustPolicyErrors(t *testing.T) {
	m := newMemLog(t, "example.org/log")
	m.grow(t, 1)
	_, k1 := newWitness(t, "witness1.example")
	for name, e := range map[string]ledger.Log{
		"quorum above witnesses": {Origin: m.origin, VerifierKey: m.vkey, Witnesses: []string{k1}, Quorum: 2},
		"negative quorum":        {Origin: m.origin, VerifierKey: m.vkey, Quorum: -1},
		"witness listed twice":   {Origin: m.origin, VerifierKey: m.vkey, Witnesses: []string{k1, k1}, Quorum: 1},
		"bad witness key":        {Origin: m.origin, VerifierKey: m.vkey, Witnesses: []string{"nope"}},
		"bad log key":            {Origin: m.origin, VerifierKey: "nope"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := (&ledger.Trust{Logs: []ledger.Log{e}}).VerifyCheckpoint(m.checkpoint(t, 1))
			require.Error(t, err)
			require.Contains(t, err.Error(), "trust policy")
		})
	}
	_, err := (&ledger.Trust{}).VerifyCheckpoint(m.checkpoint(t, 1))
	require.ErrorIs(t, err, ledger.ErrUnknownLog, "the zero Trust accepts nothing")
}

// TestWitnessIsNotTheLog: the log's own Ed25519 key cannot be one of its witnesses,
// whether given as is, in its cosignature/v1 form (another key hash for the same key),
// under another name, or in a witness policy.
func TestWitnessIsNotTheLog(t *testing.T) {
	m := newMemLog(t, "example.org/log")
	m.grow(t, 1)
	cosig := func(vkey string) string {
		k, err := fnote.VKeyToCosignatureV1(vkey)
		require.NoError(t, err)
		return k
	}
	renamed := renameKey(t, m.vkey, "witness.example")
	policy := func(vkey string) *ledger.WitnessPolicy {
		p, err := ledger.ParseWitnessPolicy([]byte("witness me " + vkey + "\nquorum me\n"))
		require.NoError(t, err)
		return p
	}
	for name, e := range map[string]ledger.Log{
		"as is":                          {Witnesses: []string{m.vkey}, Quorum: 1},
		"cosignature form":               {Witnesses: []string{cosig(m.vkey)}, Quorum: 1},
		"another name":                   {Witnesses: []string{renamed}, Quorum: 1},
		"another name, cosignature form": {Witnesses: []string{cosig(renamed)}, Quorum: 1},
		"in a witness policy":            {WitnessPolicy: policy(cosig(renamed))},
	} {
		t.Run(name, func(t *testing.T) {
			e.Origin, e.VerifierKey = m.origin, m.vkey
			trust := &ledger.Trust{Logs: []ledger.Log{e}}
			require.ErrorContains(t, trust.Validate(), "has the log's own key")
			_, err := trust.VerifyCheckpoint(m.checkpoint(t, 1))
			require.ErrorContains(t, err, "has the log's own key")
		})
	}
	_, other := newWitness(t, "witness.example")
	require.NoError(t, (&ledger.Trust{Logs: []ledger.Log{{Origin: m.origin, VerifierKey: m.vkey, Witnesses: []string{other}, Quorum: 1}}}).Validate())
}

// renameKey returns the Ed25519 note verifier key vkey under another name.
func renameKey(t *testing.T, vkey, name string) string {
	parts := strings.SplitN(vkey, "+", 3)
	require.Len(t, parts, 3)
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	require.NoError(t, err)
	h := sha256.Sum256(append([]byte(name+"\n"), raw...))
	out := fmt.Sprintf("%s+%08x+%s", name, binary.BigEndian.Uint32(h[:4]), parts[2])
	_, err = note.NewVerifier(out)
	require.NoError(t, err)
	return out
}

func TestVerifyConsistency(t *testing.T) {
	m := newMemLog(t, "example.org/log")
	m.grow(t, 20)
	prove := func(old, new int) []tlog.Hash {
		if old == 0 || old == new {
			return nil
		}
		p, err := tlog.ProveTree(int64(new), int64(old), m)
		require.NoError(t, err)
		return p
	}
	for _, sizes := range [][2]int{{1, 20}, {7, 13}, {8, 16}, {13, 13}, {0, 5}} {
		require.NoError(t, ledger.VerifyConsistency(m.verified(t, sizes[0]), m.verified(t, sizes[1]), prove(sizes[0], sizes[1])), "%v", sizes)
	}

	// fork shares the first 6 leaves, then diverges: a split view.
	fork := newMemLog(t, "example.org/log")
	fork.signer, fork.vkey = m.signer, m.vkey
	fork.grow(t, 6)
	hs, err := tlog.StoredHashes(6, []byte("rewritten history"), fork)
	require.NoError(t, err)
	fork.stored, fork.n = append(fork.stored, hs...), 7
	fork.grow(t, 13)
	forked := fork.verified(t, 13)
	p, err := tlog.ProveTree(13, 7, fork)
	require.NoError(t, err)
	err = ledger.VerifyConsistency(m.verified(t, 7), forked, p)
	require.ErrorIs(t, err, ledger.ErrInconsistent)
	require.Contains(t, err.Error(), "13 leaves")

	require.ErrorIs(t, ledger.VerifyConsistency(m.verified(t, 13), forked, nil), ledger.ErrInconsistent, "two roots for one size")
	require.ErrorIs(t, ledger.VerifyConsistency(m.verified(t, 13), m.verified(t, 7), prove(7, 13)), ledger.ErrInconsistent, "older is larger")
	require.ErrorIs(t, ledger.VerifyConsistency(m.verified(t, 7), m.verified(t, 13), prove(7, 13)[1:]), ledger.ErrInconsistent, "truncated proof")

	other := newMemLog(t, "example.org/other")
	other.grow(t, 13)
	require.ErrorIs(t, ledger.VerifyConsistency(m.verified(t, 7), other.verified(t, 13), prove(7, 13)), ledger.ErrWrongOrigin)
	require.ErrorIs(t, ledger.VerifyConsistency(nil, m.verified(t, 7), nil), ledger.ErrMalformed)
}
