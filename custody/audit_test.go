package custody_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/trillianlog"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

// auditCase is a hand-over on one embedded log, read back from its directory.
type auditCase struct {
	d   *testkit.Deployment
	b   *custody.Bundle
	log *testkit.Log
}

func newAuditCase(t *testing.T, names ...string) *auditCase {
	t.Helper()
	d := testkit.New(t, append([]string{"lab", "authority"}, names...)...)
	b, _ := d.Acquire(t, "lab", evidenceBytes)
	_, err := d.Parties["lab"].Custodian.Access(context.Background(), b, "", custody.Details{Purpose: "triage"})
	require.NoError(t, err)
	return &auditCase{d: d, b: b, log: d.Logs[0]}
}

// audit audits b against the log's directory, read as a copy of it would be.
func (ac *auditCase) audit(t *testing.T, b *custody.Bundle) *custody.AuditReport {
	t.Helper()
	r, err := posixlog.NewReader(ac.log.Dir)
	require.NoError(t, err)
	rep, err := custody.Audit(context.Background(), b, ac.d.Policy, r)
	require.NoError(t, err)
	return rep
}

func (ac *auditCase) index(t *testing.T, b *custody.Bundle, event int) uint64 {
	t.Helper()
	rc, err := b.Events[event-1].Receipt()
	require.NoError(t, err)
	return rc.Index
}

func text(t *testing.T, rep *custody.AuditReport) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, rep.WriteText(&buf))
	return buf.String()
}

// TestAuditHonestBundle: a bundle that shows every event of its item is complete as of
// the log's latest checkpoint, and so is the log as a whole.
func TestAuditHonestBundle(t *testing.T) {
	ac := newAuditCase(t)
	ac.d.Handover(t, ac.b, "lab", "authority")
	_, err := ac.d.Parties["authority"].Custodian.Note(context.Background(), ac.b, "", "received sealed", custody.Details{})
	require.NoError(t, err)
	rep := ac.audit(t, ac.b)
	out := text(t, rep)
	require.True(t, rep.Complete, out)
	require.Empty(t, rep.Findings)
	require.Equal(t, custody.SourceLog, rep.Checkpoint.Source)
	require.Equal(t, ac.index(t, ac.b, 5)+1, rep.Checkpoint.Size)
	require.Equal(t, []custody.AuditItem{{ID: rep.Items[0].ID, Events: 5, Keyed: true, LastEvent: 4, Head: ac.b.Events[3].CommitmentString()}}, rep.Items)
	require.Contains(t, out, "complete as of checkpoint 5 of evidence.test/log-1, not cosigned by any witness")

	r, err := posixlog.NewReader(ac.log.Dir)
	require.NoError(t, err)
	all, err := custody.AuditAll(context.Background(), ac.d.Policy, r)
	require.NoError(t, err)
	require.True(t, all.Complete)
	require.Contains(t, text(t, all), "no duplicate tag as of checkpoint 5")
}

// TestAuditCutBundle: a bundle whose trailing events were cut (an access that copied
// the evidence, a disposal) is reported incomplete, naming each hidden event's index.
func TestAuditCutBundle(t *testing.T) {
	ac := newAuditCase(t)
	ac.d.Handover(t, ac.b, "lab", "authority")
	auth := ac.d.Parties["authority"].Custodian
	_, err := auth.Access(context.Background(), ac.b, "", custody.Details{Purpose: "copied to a USB stick"})
	require.NoError(t, err)
	_, err = auth.Note(context.Background(), ac.b, "", "stick lost", custody.Details{})
	require.NoError(t, err)
	_, err = auth.Dispose(context.Background(), ac.b, "", custody.Details{Purpose: "destroyed"})
	require.NoError(t, err)
	require.True(t, ac.audit(t, ac.b).Complete)

	cut := &custody.Bundle{Events: ac.b.Events[:4], Consistency: ac.b.Consistency, Anchors: ac.b.Anchors}
	rep, err := custody.Verify(context.Background(), cut, ac.d.Policy)
	require.NoError(t, err)
	require.True(t, rep.Valid, "the cut bundle verifies: only an audit shows what it hides")

	audit := ac.audit(t, cut)
	out := text(t, audit)
	require.False(t, audit.Complete, out)
	require.Len(t, audit.Findings, 2, out)
	access, dispose := audit.Findings[0], audit.Findings[1]
	require.Equal(t, custody.FindingHidden, access.Kind)
	require.Equal(t, 4, access.Event, "it follows the bundle's last event, the receive")
	require.Equal(t, []custody.AuditEntry{{Index: ac.index(t, ac.b, 5), Commitment: ac.b.Events[4].CommitmentString()}}, access.Entries)
	require.Equal(t, custody.FindingHidden, dispose.Kind)
	require.Equal(t, []custody.AuditEntry{{Index: ac.index(t, ac.b, 7), Commitment: ac.b.Events[6].CommitmentString()}}, dispose.Entries,
		"the hidden disposal follows the hidden access (the note between them cannot be found)")
	require.Contains(t, out, "INCOMPLETE: 2 findings as of checkpoint 7 of evidence.test/log-1")
}

// TestAuditForgedDoubleTransfer: a log that accepted a second successor anyway (its
// operator wrote it past the tag index) is caught: each copy of the bundle shows a
// branch it does not contain, and the whole-log audit lists the duplicate tag.
func TestAuditForgedDoubleTransfer(t *testing.T) {
	ac := newAuditCase(t, "rogue")
	ctx := context.Background()
	toRogue := ac.b.Clone()
	ac.d.Handover(t, ac.b, "lab", "authority")

	// The same transfer by the lab to another recipient, logged elsewhere first to get
	// its entry, then written into the log past its index.
	elsewhere := ac.d.AddLog(t, "evidence.test/elsewhere")
	lab := ac.d.Parties["lab"]
	c, err := custody.NewCustodian(lab.Signer, lab.Actor, elsewhere, custody.WithClock(ac.d.Clock()))
	require.NoError(t, err)
	_, err = c.Transfer(ctx, toRogue, "", ac.d.Parties["rogue"].Actor, custody.Details{Purpose: "to the rogue"})
	require.NoError(t, err)
	leaves, err := toRogue.Leaves()
	require.NoError(t, err)
	require.NoError(t, ac.log.Close())
	posixlogtest.Forge(t, ac.log.Dir, ac.log.KeyFile, leaves[2])
	forgedAt := ac.index(t, ac.b, 4) + 1

	rep := ac.audit(t, ac.b)
	require.False(t, rep.Complete, text(t, rep))
	require.Len(t, rep.Findings, 1, text(t, rep))
	f := rep.Findings[0]
	require.Equal(t, custody.FindingBranch, f.Kind)
	require.Equal(t, 3, f.Event, "the branch shares the tag of the bundle's transfer")
	require.Equal(t, custody.Transfer, f.Type)
	require.Equal(t, []custody.AuditEntry{{Index: forgedAt, Commitment: toRogue.Events[2].CommitmentString()}}, f.Entries)

	// The rogue's copy sees the other branch: the transfer to the authority and the
	// authority's receive that follows it.
	rep = ac.audit(t, toRogue)
	require.Len(t, rep.Findings, 2, text(t, rep))
	require.Equal(t, custody.AuditEntry{Index: ac.index(t, ac.b, 3), Commitment: ac.b.Events[2].CommitmentString()}, rep.Findings[0].Entries[0])
	require.Equal(t, custody.AuditEntry{Index: ac.index(t, ac.b, 4), Commitment: ac.b.Events[3].CommitmentString()}, rep.Findings[1].Entries[0])
	for _, f := range rep.Findings {
		require.Equal(t, custody.FindingBranch, f.Kind)
	}

	r, err := posixlog.NewReader(ac.log.Dir)
	require.NoError(t, err)
	all, err := custody.AuditAll(ctx, ac.d.Policy, r)
	require.NoError(t, err)
	require.Len(t, all.Findings, 1, text(t, all))
	require.Equal(t, custody.FindingDuplicate, all.Findings[0].Kind)
	require.Equal(t, []uint64{ac.index(t, ac.b, 3), forgedAt}, []uint64{all.Findings[0].Entries[0].Index, all.Findings[0].Entries[1].Index})
	require.Contains(t, text(t, all), "DUPLICATE TAGS: 1 as of checkpoint")
}

// TestAuditSplitView: a copy of the log that grew another way (same key, a split view)
// does not hold the bundle's last entry where its receipt puts it.
func TestAuditSplitView(t *testing.T) {
	ac := newAuditCase(t)
	fork := testkit.ForkLog(t, ac.log)
	_, err := fork.Append(context.Background(), bytes.Repeat([]byte{7}, ledger.EntrySize))
	require.NoError(t, err)
	_, err = ac.d.Parties["lab"].Custodian.Access(context.Background(), ac.b, "", custody.Details{Purpose: "second look"})
	require.NoError(t, err)

	r, err := posixlog.NewReader(fork.Dir())
	require.NoError(t, err)
	rep, err := custody.Audit(context.Background(), ac.b, ac.d.Policy, r)
	require.NoError(t, err)
	require.False(t, rep.Complete)
	require.Len(t, rep.Findings, 1, text(t, rep))
	require.Equal(t, custody.FindingMissing, rep.Findings[0].Kind)
	require.Equal(t, 3, rep.Findings[0].Event)
}

// TestAuditRefuses: an audit that cannot run says why: a log no checkpoint of which
// the policy trusts, a log whose entries were altered.
func TestAuditRefuses(t *testing.T) {
	ac := newAuditCase(t)
	r, err := posixlog.NewReader(ac.log.Dir)
	require.NoError(t, err)
	_, err = custody.Audit(context.Background(), ac.b, &custody.Policy{}, r)
	require.ErrorIs(t, err, custody.ErrNoCheckpoint)
	_, err = custody.AuditAll(context.Background(), &custody.Policy{}, r)
	require.ErrorIs(t, err, custody.ErrNoCheckpoint)
	_, err = custody.AuditAll(context.Background(), ac.d.Policy, leavesOnly{r})
	require.Error(t, err, "a whole-log audit needs the log's checkpoint")

	// A policy that asks for a witness nobody asked: no checkpoint is accepted, and the
	// error says why.
	_, wkey, err := note.GenerateKey(rand.Reader, "witness.test/w1")
	require.NoError(t, err)
	witnessed := &custody.Policy{}
	l := ac.d.Policy.Logs[0]
	l.Witnesses, l.Quorum = []string{wkey}, 1
	require.NoError(t, witnessed.AddLog(l))
	_, err = custody.Audit(context.Background(), ac.b, witnessed, r)
	require.ErrorIs(t, err, custody.ErrNoCheckpoint)
	require.ErrorIs(t, err, ledger.ErrQuorum)

	require.NoError(t, ac.log.Close())
	var bundles []string
	require.NoError(t, filepath.WalkDir(filepath.Join(ac.log.Dir, "tile", "entries"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			bundles = append(bundles, p)
		}
		return err
	}))
	require.NotEmpty(t, bundles)
	data, err := os.ReadFile(bundles[len(bundles)-1])
	require.NoError(t, err)
	data[len(data)-1] ^= 1
	require.NoError(t, os.WriteFile(bundles[len(bundles)-1], data, 0o644))
	_, err = custody.Audit(context.Background(), ac.b, ac.d.Policy, r)
	require.ErrorIs(t, err, ledger.ErrRootMismatch)
}

// leavesOnly is a log that gives its leaves but no checkpoint.
type leavesOnly struct{ ledger.LeafReader }

// TestAuditCheckpointFromReceipts: a log that gives no checkpoint (a Trillian tree read
// without the personality's key) is audited up to the newest of the bundle's receipts.
func TestAuditCheckpointFromReceipts(t *testing.T) {
	l, entry := trilliantest.NewLog(t, trilliantest.InProcess(t))
	ps := newParties(t, entry, direct(l))
	b := ps.acquire(t)
	_, err := ps.lab.Custodian.Transfer(context.Background(), b, "", ps.a.Actor, custody.Details{Purpose: "to A"})
	require.NoError(t, err)
	r, err := trillianlog.OpenReader(context.Background(), l.Endpoint().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	rep, err := custody.Audit(context.Background(), b, ps.policy, r)
	require.NoError(t, err)
	require.True(t, rep.Complete, text(t, rep))
	require.Equal(t, custody.SourceBundle, rep.Checkpoint.Source)
	require.Contains(t, text(t, rep), "from the bundle's receipts")

	// Keyed with the personality, the log's own checkpoint is used.
	rep, err = custody.Audit(context.Background(), b, ps.policy, l)
	require.NoError(t, err)
	require.True(t, rep.Complete)
	require.Equal(t, custody.SourceLog, rep.Checkpoint.Source)
}

// TestAuditUnkeyedItem: an item opened before entries had tags (a bundle of then) cannot
// be audited, and the report says so rather than calling it complete, or failing.
func TestAuditUnkeyedItem(t *testing.T) {
	b, pol, _, l := legacyBundle(t)
	rep, err := custody.Audit(context.Background(), b, pol, l)
	require.NoError(t, err)
	require.False(t, rep.Complete)
	require.Len(t, rep.Findings, 1, text(t, rep))
	require.Equal(t, custody.FindingUnkeyed, rep.Findings[0].Kind)
	require.Equal(t, "urn:uuid:4f1e0c1a-legacy-disk-1", rep.Findings[0].Item)
}

// TestAuditTextGolden pins the text of a report with every kind of line, escaped for
// the terminal.
func TestAuditTextGolden(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	rep := &custody.AuditReport{Scope: custody.ScopeBundle, Log: "evidence.test/log-1",
		Checkpoint: custody.AuditCheckpoint{Size: 42, Source: custody.SourceLog, Cosignatures: []custody.AuditCosignature{
			{Witness: "witness-a", Key: "witness-a+0badf00d", Time: at}, {Witness: "w-b\x1b[2J", Key: "w-b+01234567", Time: at.Add(time.Second)}}},
		Items: []custody.AuditItem{{ID: "urn:uuid:1\u202egnp.exe", Events: 4, Keyed: true, LastEvent: 4, Head: "sha256:" + hexRepeat("ab")}},
		Findings: []custody.Finding{
			{Kind: custody.FindingBranch, Item: "urn:uuid:1", Event: 3, Type: custody.Transfer, Tag: hexRepeat("9f"),
				Entries: []custody.AuditEntry{{Index: 17, Commitment: "sha256:" + hexRepeat("cd")}}, Detail: "another successor"},
			{Kind: custody.FindingHidden, Item: "urn:uuid:1", Tag: hexRepeat("01"),
				Entries: []custody.AuditEntry{{Index: 20, Commitment: "sha256:" + hexRepeat("ef")}}, Detail: "an event after the entry at index 17, found above"},
		},
		Notes: []string{"a note\nwith a newline"},
	}
	got := text(t, rep)
	for _, bad := range []string{"\x1b", "\u202e", "a note\nwith"} {
		require.NotContains(t, got, bad)
	}
	path := filepath.Join("testdata", "audit.golden.txt")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run 'go test -run TestAuditTextGolden -update ./custody/' to write it")
	require.Equal(t, string(want), got)
	require.True(t, strings.HasSuffix(got, "INCOMPLETE: 2 findings as of checkpoint 42 of evidence.test/log-1\n"))
}

// TestAuditJSONSchema: audit reports, complete or not, of a bundle or of a whole log,
// validate against docs/schema/audit.schema.json, which is not vacuous.
func TestAuditJSONSchema(t *testing.T) {
	path, err := filepath.Abs(filepath.Join("..", "docs", "schema", "audit.schema.json"))
	require.NoError(t, err)
	schema, err := jsonschema.NewCompiler().Compile(path)
	require.NoError(t, err)
	validate := func(rep *custody.AuditReport) error {
		var buf bytes.Buffer
		require.NoError(t, rep.WriteJSON(&buf))
		v, err := jsonschema.UnmarshalJSON(&buf)
		require.NoError(t, err)
		return schema.Validate(v)
	}
	ac := newAuditCase(t)
	ac.d.Handover(t, ac.b, "lab", "authority")
	cut := &custody.Bundle{Events: ac.b.Events[:2], Consistency: ac.b.Consistency}
	r, err := posixlog.NewReader(ac.log.Dir)
	require.NoError(t, err)
	all, err := custody.AuditAll(context.Background(), ac.d.Policy, r)
	require.NoError(t, err)
	for name, rep := range map[string]*custody.AuditReport{"complete": ac.audit(t, ac.b), "cut": ac.audit(t, cut), "all": all} {
		require.NoError(t, validate(rep), name)
	}
	bad := ac.audit(t, cut)
	require.NotEmpty(t, bad.Findings)
	bad.Findings[0].Kind = "stolen"
	require.Error(t, validate(bad))
	var doc map[string]any
	var buf bytes.Buffer
	require.NoError(t, ac.audit(t, cut).WriteJSON(&buf))
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	require.Equal(t, false, doc["complete"])
}
