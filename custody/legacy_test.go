package custody_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"iter"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/memtree"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger"
)

// The legacy bundle (testdata/legacy): an item opened without an itemKey, before log
// entries had successor tags, its events logged as bare 32-byte commitments as ledgers
// logged them then. No ledger logs such a leaf any more and no custodian opens such an
// item, so legacyBundle builds one by hand, with a log of its own; the files were
// written by TestLegacyBundleGenerate under -update and are kept as they are, so that a
// change of the verifier that would reject the bundles of then fails here. Bundles like
// it must verify offline for as long as a court may be shown one.

var legacyDir = filepath.Join("testdata", "legacy")

// legacyLog is a log as ledgers were before entries had tags: it logs any leaf, 32-byte
// commitments included, in an RFC 6962 tree in memory, and signs a checkpoint after
// each append.
type legacyLog struct {
	tree   *memtree.Tree
	leaves [][]byte
}

func newLegacyLog(t *testing.T, origin string) *legacyLog {
	tree, err := memtree.New(origin)
	require.NoError(t, err)
	return &legacyLog{tree: tree}
}

// append logs leaf and returns its receipt under a checkpoint of the new size.
func (l *legacyLog) append(t *testing.T, leaf []byte) *ledger.Receipt {
	index, err := l.tree.Append(leaf)
	require.NoError(t, err)
	l.leaves = append(l.leaves, leaf)
	cp, err := l.tree.Checkpoint(index + 1)
	require.NoError(t, err)
	p, err := l.tree.Inclusion(index, index+1)
	require.NoError(t, err)
	return &ledger.Receipt{Index: index, Proof: p, Checkpoint: cp}
}

// ReadLeaves implements ledger.LeafReader, for audits.
func (l *legacyLog) ReadLeaves(_ context.Context, start, end uint64) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for _, leaf := range l.leaves[start:end] {
			if !yield(leaf, nil) {
				return
			}
		}
	}
}

// consistency is the bundle's proof that the tree of newSize extends that of oldSize.
func (l *legacyLog) consistency(t *testing.T, oldSize, newSize int64) custody.Consistency {
	p, err := l.tree.Consistency(uint64(oldSize), uint64(newSize))
	require.NoError(t, err)
	return custody.Consistency{Origin: l.tree.Origin(), OldSize: uint64(oldSize), NewSize: uint64(newSize), Proof: p}
}

// logEvent signs ev with p's key and logs leaf (the commitment alone when leaf is nil)
// to l, as a client of then did, and adds the record to b.
func logEvent(t *testing.T, b *custody.Bundle, l *legacyLog, p *testkit.Party, ev *custody.Event, leaf func(commitment [32]byte) []byte) *custody.Record {
	ev.Actor = p.Actor
	payload, err := custody.NewStatement(ev).Marshal()
	require.NoError(t, err)
	env, err := sign.SignEnvelope(context.Background(), custody.PayloadType, payload, p.Signer)
	require.NoError(t, err)
	c := env.Commitment()
	r := l.append(t, leaf(c))
	text, err := r.MarshalText()
	require.NoError(t, err)
	rec := custody.NewRecord(env, string(text))
	if size := int64(r.Index) + 1; size > 1 {
		b.Consistency = append(b.Consistency, l.consistency(t, size-1, size))
	}
	b.Events = append(b.Events, rec)
	return rec
}

// bare is the leaf of an event of a keyless item as ledgers logged it: the commitment.
func bare(c [32]byte) []byte { return c[:] }

// legacyParties are the lab that acquired the item and the officer it went to.
type legacyParties struct{ lab, officer *testkit.Party }

// legacyBundle builds a bundle from before log entries had tags: the lab acquires an
// item without an itemKey, accesses it and transfers it to the officer, who receives
// it; each event logged as its 32-byte commitment. It returns the bundle, the policy
// that trusts its log and both parties, the parties, and the log.
func legacyBundle(t *testing.T) (*custody.Bundle, *custody.Policy, legacyParties, *legacyLog) {
	ps := legacyParties{lab: testkit.NewParty(t, "lab", "FR"), officer: testkit.NewParty(t, "officer", "DE")}
	l := newLegacyLog(t, "evidence.test/legacy-log")
	pol := &custody.Policy{}
	require.NoError(t, pol.AddLog(custody.TrustedLog{Origin: l.tree.Origin(), Key: l.tree.VerifierKey()}))
	require.NoError(t, pol.AddSigner(ps.lab.TrustedSigner()))
	require.NoError(t, pol.AddSigner(ps.officer.TrustedSigner()))

	at := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	item := custody.Item{ID: "urn:uuid:4f1e0c1a-legacy-disk-1", Description: "disk image acquired before tags",
		MediaType: "application/octet-stream", Size: 4, Digest: sha256Set(hexRepeat("4c"))}
	b := &custody.Bundle{}
	acq := logEvent(t, b, l, ps.lab, &custody.Event{Type: custody.Acquire, Item: item, Time: at, Purpose: "acquisition"}, bare)
	acc := logEvent(t, b, l, ps.lab, &custody.Event{Type: custody.Access, Item: item, Prev: acq.CommitmentString(),
		Time: at.Add(time.Hour), Purpose: "triage"}, bare)
	tr := logEvent(t, b, l, ps.lab, &custody.Event{Type: custody.Transfer, Item: item, Prev: acc.CommitmentString(),
		Time: at.Add(2 * time.Hour), Counterparty: &ps.officer.Actor, Purpose: "hand-off"}, bare)
	logEvent(t, b, l, ps.officer, &custody.Event{Type: custody.Receive, Item: item, Prev: tr.CommitmentString(),
		Transfer: tr.CommitmentString(), Time: at.Add(3 * time.Hour), Purpose: "hand-off"}, bare)
	return b, pol, ps, l
}

// TestLegacyBundleGenerate rewrites testdata/legacy under -update (only for a deliberate
// change of the formats: the files stand for the bundles made before entries had tags).
func TestLegacyBundleGenerate(t *testing.T) {
	if !*update {
		t.Skip("rewrites testdata/legacy only with -update")
	}
	b, pol, _, _ := legacyBundle(t)
	require.NoError(t, os.MkdirAll(legacyDir, 0o755))
	require.NoError(t, b.WriteFile(filepath.Join(legacyDir, "bundle.custody.json")))
	require.NoError(t, pol.WriteFile(filepath.Join(legacyDir, "policy.json")))
}

// readLegacy reads the committed legacy bundle and its policy.
func readLegacy(t *testing.T) (*custody.Bundle, *custody.Policy) {
	b, err := custody.ReadBundle(filepath.Join(legacyDir, "bundle.custody.json"))
	require.NoError(t, err)
	pol, err := custody.ReadPolicy(filepath.Join(legacyDir, "policy.json"))
	require.NoError(t, err)
	return b, pol
}

// TestLegacyBundleVerifies: the committed bundle from before entries had tags verifies
// offline, its receipts proving the 32-byte commitments; the report warns that the
// item's completeness cannot be audited.
func TestLegacyBundleVerifies(t *testing.T) {
	b, pol := readLegacy(t)
	leaves, err := b.Leaves()
	require.NoError(t, err)
	for i, l := range leaves {
		require.Len(t, l, ledger.LeafSize, "event %d was logged as its commitment", i+1)
		require.Equal(t, b.Events[i].Commitment(), [32]byte(l))
	}
	rep, err := custody.Verify(context.Background(), b, pol)
	require.NoError(t, err)
	require.True(t, rep.Valid, "%v", rep.Failures)
	var unkeyed []custody.Warning
	for _, w := range rep.Warnings {
		if w.Kind == custody.WarnUnkeyedItem {
			unkeyed = append(unkeyed, w)
		}
	}
	require.Len(t, unkeyed, 1, "%v", rep.Warnings)
	require.Equal(t, 1, unkeyed[0].Event)
	require.Contains(t, unkeyed[0].Subject, "urn:uuid:4f1e0c1a-legacy-disk-1")
	require.Contains(t, unkeyed[0].Detail, "completeness cannot be audited")

	// The same bundle freshly built verifies alike: the generator still makes what the
	// committed files hold.
	fresh, fpol, _, _ := legacyBundle(t)
	rep, err = custody.Verify(context.Background(), fresh, fpol)
	require.NoError(t, err)
	require.True(t, rep.Valid, "%v", rep.Failures)
}

// TestLegacyItemCannotContinue: no custodian continues an item opened without an
// itemKey: the event is refused before anything is signed or logged, with an error
// that says why, and the bundle is left as it was (and still verifies).
func TestLegacyItemCannotContinue(t *testing.T) {
	b, pol := readLegacy(t)
	before, err := json.Marshal(b)
	require.NoError(t, err)
	ctx := context.Background()
	d := testkit.New(t, "officer")
	officer := d.Parties["officer"]
	size := logSize(t, d.Logs[0])
	for name, op := range map[string]func() error{
		"Access": func() error {
			_, err := officer.Custodian.Access(ctx, b, "", custody.Details{Purpose: "examination"})
			return err
		},
		"Transfer": func() error {
			_, err := officer.Custodian.Transfer(ctx, b, "", testkit.NewParty(t, "court", "FR").Actor, custody.Details{Purpose: "trial"})
			return err
		},
		"Note": func() error {
			_, err := officer.Custodian.Note(ctx, b, "", "still here", custody.Details{})
			return err
		},
	} {
		err := op()
		require.ErrorIs(t, err, custody.ErrUnkeyedItem, name)
		require.ErrorContains(t, err, "before log entries had successor tags", name)
		require.ErrorContains(t, err, "cannot be continued", name)
		require.ErrorContains(t, err, "still verifies", name)
	}
	require.Equal(t, size, logSize(t, d.Logs[0]), "something was logged")
	after, err := json.Marshal(b)
	require.NoError(t, err)
	require.JSONEq(t, string(before), string(after), "the bundle changed")
	rep, err := custody.Verify(ctx, b, pol)
	require.NoError(t, err)
	require.True(t, rep.Valid)
}

// logSize is the size of l's latest checkpoint.
func logSize(t *testing.T, l ledger.Ledger) uint64 {
	cp, err := l.Checkpoint(context.Background())
	require.NoError(t, err)
	h, err := ledger.ReadHeadUnverified(cp)
	require.NoError(t, err)
	return h.Size
}

// TestForgedKeylessBundle: now that no ledger logs a 32-byte leaf, what a custom client
// can log for an item without an itemKey is a 64-byte entry, with any tag it likes; its
// receipt proves that entry, not the commitment the verifier asks of a keyless item, so
// none of these bundles verifies VALID: a keyless item cannot be opened anew (and so
// escape the single-successor rule), nor an old one continued.
func TestForgedKeylessBundle(t *testing.T) {
	ctx := context.Background()
	d := testkit.New(t, "lab", "officer")
	lab, officer := d.Parties["lab"], d.Parties["officer"]
	log := d.Logs[0]
	// logged is what a custom client does: it signs the event and appends an entry of
	// its choice to a current ledger (through a server, signed with its key). The ledger may refuse
	// it as a second successor: that is a failure of the forgery too.
	logged := func(t *testing.T, b *custody.Bundle, p *testkit.Party, ev *custody.Event, leaf func([32]byte) []byte) (*custody.Record, error) {
		ev.Actor = p.Actor
		payload, err := custody.NewStatement(ev).Marshal()
		require.NoError(t, err)
		env, err := sign.SignEnvelope(ctx, custody.PayloadType, payload, p.Signer)
		require.NoError(t, err)
		r, err := log.Append(ctx, leaf(env.Commitment()))
		if err != nil {
			return nil, err
		}
		text, err := r.MarshalText()
		require.NoError(t, err)
		rec := custody.NewRecord(env, string(text))
		b.Events = append(b.Events, rec)
		return rec, nil
	}
	randomTag := func(c [32]byte) []byte { e := ledger.NewEntry([32]byte(ledgertestRandom(t)), c); return e[:] }
	zeroTag := func(c [32]byte) []byte { e := ledger.NewEntry([32]byte{}, c); return e[:] }
	commitmentTag := func(c [32]byte) []byte { e := ledger.NewEntry(c, c); return e[:] }
	openingTagOfKey := func(id string) func([32]byte) []byte {
		k := custody.NewItemKey() // a key the statement does not carry
		return func(c [32]byte) []byte { e := ledger.NewEntry(k.OpeningTag(id), c); return e[:] }
	}
	_, err := log.Append(ctx, make([]byte, ledger.LeafSize))
	require.ErrorIs(t, err, ledger.ErrMalformed, "the ledger logs a bare commitment")

	item := custody.Item{ID: "urn:uuid:forged-keyless", Size: 4, Digest: sha256Set(hexRepeat("5d"))}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for name, leaf := range map[string]func([32]byte) []byte{
		"RandomTag":     randomTag,
		"ZeroTag":       zeroTag,
		"CommitmentTag": commitmentTag,
		"OpeningTag":    openingTagOfKey(item.ID),
	} {
		t.Run(name, func(t *testing.T) {
			// A keyless acquisition, then the double transfer it was meant to allow.
			b := &custody.Bundle{}
			acq, err := logged(t, b, lab, &custody.Event{Type: custody.Acquire, Item: item, Time: at}, leaf)
			require.NoError(t, err)
			for _, to := range []*testkit.Party{officer, testkit.NewParty(t, "other", "BR")} {
				tr, err := logged(t, b, lab, &custody.Event{Type: custody.Transfer, Item: item, Prev: acq.CommitmentString(), Time: at.Add(time.Minute),
					Counterparty: &to.Actor, Purpose: "hand-off to " + to.Actor.Name}, leaf)
				if errors.Is(err, ledger.ErrConflict) {
					continue // the ledger refused the second successor itself
				}
				require.NoError(t, err)
				one := &custody.Bundle{Events: []*custody.Record{acq, tr}}
				rep, err := custody.Verify(ctx, one, d.Policy)
				require.NoError(t, err)
				require.False(t, rep.Valid, "a keyless item logged as entries verified")
				require.True(t, rep.Failed(custody.RuleInclusion, 1), "the acquisition's receipt proves an entry, not its commitment: %v", rep.Failures)
				require.True(t, rep.Failed(custody.RuleInclusion, 2), "%v", rep.Failures)
			}
		})
	}

	t.Run("OldItemContinued", func(t *testing.T) {
		// An old keyless bundle, continued by its custodian with an entry on a current
		// ledger: the old events verify, the new one does not.
		b, pol, ps, _ := legacyBundle(t)
		require.NoError(t, pol.AddLog(d.Policy.Logs[0]))
		last := b.Events[len(b.Events)-1]
		_, err := logged(t, b, ps.officer, &custody.Event{Type: custody.Transfer, Item: custody.Item{ID: "urn:uuid:4f1e0c1a-legacy-disk-1",
			Description: "disk image acquired before tags", MediaType: "application/octet-stream", Size: 4, Digest: sha256Set(hexRepeat("4c"))},
			Prev: last.CommitmentString(), Time: time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC),
			Counterparty: &officer.Actor, Purpose: "second hand-off"}, randomTag)
		require.NoError(t, err)
		rep, err := custody.Verify(ctx, b, pol)
		require.NoError(t, err)
		require.False(t, rep.Valid)
		require.True(t, rep.Failed(custody.RuleInclusion, 5), "%v", rep.Failures)
		for i := 1; i <= 4; i++ {
			require.False(t, rep.Failed(custody.RuleInclusion, i), "old event %d", i)
		}
	})
}

// ledgertestRandom returns 32 random bytes.
func ledgertestRandom(t *testing.T) []byte {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}
