package custody_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/crypto/seal"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger"
)

var evidenceBytes = bytes.Repeat([]byte("disk image sector\n"), 4096)

// caseFile is a valid cross-border case: the lab acquires, accesses, hands over to the
// authority, which hands over to the prosecutor.
type caseFile struct {
	d       *testkit.Deployment
	b       *custody.Bundle
	payload []byte
}

func newCase(t *testing.T) *caseFile {
	t.Helper()
	d := testkit.New(t, "lab", "authority", "prosecutor", "defence")
	b, payload := d.Acquire(t, "lab", evidenceBytes)
	ctx := context.Background()
	_, err := d.Parties["lab"].Custodian.Access(ctx, b, "", custody.Details{Purpose: "triage", Tool: &custody.Tool{Name: "sleuthkit", Version: "4.12"}})
	require.NoError(t, err)
	d.Handover(t, b, "lab", "authority")
	d.Handover(t, b, "authority", "prosecutor")
	return &caseFile{d: d, b: b, payload: payload}
}

func (c *caseFile) verify(t *testing.T, b *custody.Bundle, opts ...custody.VerifyOption) *custody.Report {
	t.Helper()
	rep, err := custody.Verify(context.Background(), b, c.d.Policy, opts...)
	require.NoError(t, err)
	return rep
}

func (c *caseFile) party(name string) *testkit.Party { return c.d.Parties[name] }

// head returns the bundle's latest event predicate, to build forged successors.
func head(t *testing.T, b *custody.Bundle) (*custody.Event, string) {
	t.Helper()
	rec := b.Events[len(b.Events)-1]
	st, err := rec.Statement()
	require.NoError(t, err)
	return &st.Predicate, rec.CommitmentString()
}

// forge signs and logs an event as party p (with clock at) without custody checks.
func (c *caseFile) forge(t *testing.T, b *custody.Bundle, p *testkit.Party, at time.Time, ev *custody.Event) {
	t.Helper()
	cust, err := custody.NewCustodian(p.Signer, p.Actor, c.d.Logs[0], custody.WithClock(func() time.Time { return at }))
	require.NoError(t, err)
	_, err = cust.RecordUnchecked(context.Background(), b, ev)
	require.NoError(t, err)
}

// resized is a copy of the case with a forged access whose statement restates the
// item's size plus delta.
func (c *caseFile) resized(t *testing.T, delta int64) *custody.Bundle {
	t.Helper()
	b := c.b.Clone()
	ev := follow(t, b, custody.Access)
	ev.Item.Size += delta
	c.forge(t, b, c.party("prosecutor"), time.Now(), ev)
	return b
}

// inTransit is a copy of the case with the prosecutor's transfer to the defence open.
func (c *caseFile) inTransit(t *testing.T) *custody.Bundle {
	t.Helper()
	b := c.b.Clone()
	_, err := c.party("prosecutor").Custodian.Transfer(context.Background(), b, "", c.party("defence").Actor, custody.Details{Purpose: "disclosure to defence"})
	require.NoError(t, err)
	return b
}

func follow(t *testing.T, b *custody.Bundle, typ custody.EventType) *custody.Event {
	prev, commit := head(t, b)
	return &custody.Event{Type: typ, Item: prev.Item, Prev: commit, Purpose: "forged"}
}

func TestVerifyValidCase(t *testing.T) {
	c := newCase(t)
	rep := c.verify(t, c.b, custody.WithPayload("case.age", bytes.NewReader(c.payload)),
		custody.WithEvidence("image.dd", bytes.NewReader(evidenceBytes)))
	var buf bytes.Buffer
	require.NoError(t, rep.WriteText(&buf))
	require.True(t, rep.Valid, buf.String())
	require.Len(t, rep.Events, 6)
	require.Equal(t, "held", rep.Items[0].State)
	require.Contains(t, rep.Items[0].Custodian, "prosecutor")
}

func TestVerifyDecryptsWithIdentity(t *testing.T) {
	c := newCase(t)
	rep := c.verify(t, c.b, custody.WithPayload("case.age", bytes.NewReader(c.payload)),
		custody.WithIdentities(c.party("lab").Identity))
	require.True(t, rep.Valid, "%+v", rep.Failures)
	require.False(t, rep.Failed(custody.RulePlaintext, 0))
	_, err := custody.Verify(context.Background(), c.b, c.d.Policy, custody.WithPayload("case.age", bytes.NewReader(c.payload)),
		custody.WithIdentities(c.party("defence").Identity))
	require.ErrorIs(t, err, seal.ErrNoIdentity)
}

// TestTamperMatrix mutates a valid case in many ways; each mutation must be caught by
// the rule that names it, at the event it concerns.
func TestTamperMatrix(t *testing.T) {
	type mutation struct {
		name    string
		mutate  func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption)
		rule    custody.Rule
		eventAt int // 0: anywhere
	}
	payloadOpt := func(p []byte) []custody.VerifyOption {
		return []custody.VerifyOption{custody.WithPayload("case.age", bytes.NewReader(p))}
	}
	matrix := []mutation{
		{"flipped payload byte", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			p := bytes.Clone(c.payload)
			p[len(p)/2] ^= 0x01
			return c.b, payloadOpt(p)
		}, custody.RulePayload, 0},
		{"truncated payload", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			return c.b, payloadOpt(c.payload[:len(c.payload)-100])
		}, custody.RulePayload, 0},
		{"flipped payload byte with identity", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			p := bytes.Clone(c.payload)
			p[len(p)-20] ^= 0x80
			return c.b, append(payloadOpt(p), custody.WithIdentities(c.party("lab").Identity))
		}, custody.RulePlaintext, 0},
		{"wrong evidence file", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			return c.b, []custody.VerifyOption{custody.WithEvidence("image.dd", strings.NewReader("another disk"))}
		}, custody.RulePlaintext, 0},
		{"changed field inside a signed statement", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			env := *b.Events[1].Envelope
			env.Payload = bytes.Replace(env.Payload, []byte("triage"), []byte("triaga"), 1)
			b.Events[1] = custody.NewRecord(&env, b.Events[1].Proof)
			return b, nil
		}, custody.RuleSignature, 2},
		{"changed payload type", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			env := *b.Events[0].Envelope
			env.PayloadType = "application/json"
			b.Events[0] = custody.NewRecord(&env, b.Events[0].Proof)
			return b, nil
		}, custody.RuleStatement, 1},
		{"reordered events", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			b.Events[2], b.Events[3] = b.Events[3], b.Events[2]
			return b, nil
		}, custody.RuleOrder, 3},
		{"dropped middle event", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			b.Events = append(b.Events[:1], b.Events[2:]...)
			return b, nil
		}, custody.RuleChain, 2},
		{"duplicated event", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			b.Events = append(b.Events, b.Events[len(b.Events)-1])
			return b, nil
		}, custody.RuleDuplicate, 7},
		{"forked chain", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			st, err := b.Events[0].Statement()
			require.NoError(t, err)
			ev := &custody.Event{Type: custody.Access, Item: st.Predicate.Item, Prev: b.Events[0].CommitmentString(), Purpose: "second branch"}
			c.forge(t, b, c.party("lab"), st.Predicate.Time.Add(time.Hour), ev)
			return b, nil
		}, custody.RuleFork, 7},
		{"receive by someone other than the named recipient", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.inTransit(t)
			ev := follow(t, b, custody.Receive)
			ev.Transfer = ev.Prev
			c.forge(t, b, c.party("lab"), time.Now(), ev)
			return b, nil
		}, custody.RuleRecipient, 8},
		{"access by a non-custodian", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			c.forge(t, b, c.party("lab"), time.Now(), follow(t, b, custody.Access))
			return b, nil
		}, custody.RuleCustodian, 7},
		{"access by the sender while in transit", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.inTransit(t)
			c.forge(t, b, c.party("prosecutor"), time.Now(), follow(t, b, custody.Access))
			return b, nil
		}, custody.RuleCustodian, 8},
		{"receive citing another transfer", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.inTransit(t)
			ev := follow(t, b, custody.Receive)
			ev.Transfer = b.Events[2].CommitmentString()
			c.forge(t, b, c.party("defence"), time.Now(), ev)
			return b, nil
		}, custody.RuleTransfer, 8},
		{"backdated event", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			c.forge(t, b, c.party("prosecutor"), time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), follow(t, b, custody.Access))
			return b, nil
		}, custody.RuleTime, 7},
		{"signature by an untrusted key", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			outsider := testkit.NewParty(t, "mallory", "NL")
			c.forge(t, b, outsider, time.Now(), follow(t, b, custody.Note))
			return b, nil
		}, custody.RuleSignature, 7},
		{"actor named differently from the policy", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			p := *c.party("prosecutor")
			p.Actor.Name = "Chief Justice"
			c.forge(t, b, &p, time.Now(), follow(t, b, custody.Access))
			return b, nil
		}, custody.RuleActor, 7},
		{"changed digest in a later event", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			ev := follow(t, b, custody.Access)
			ev.Item.Digest = sha256Set(strings.Repeat("ab", 32))
			c.forge(t, b, c.party("prosecutor"), time.Now(), ev)
			return b, nil
		}, custody.RuleDigest, 7},
		{"changed size in a later event", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			return c.resized(t, 1), nil
		}, custody.RuleDigest, 7},
		{"decrypted payload of another size than the statement records", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			return c.resized(t, -1), append(payloadOpt(c.payload), custody.WithIdentities(c.party("lab").Identity))
		}, custody.RulePlaintext, 0},
		{"evidence with an item's digest under a forged size", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			evidence := []byte("a second disk")
			ev := &custody.Event{Type: custody.Acquire, ItemKey: custody.NewItemKey(), Purpose: "forged",
				Item: custody.Item{ID: "urn:uuid:forged-size", Size: int64(len(evidence)) + 1, Digest: digest.Set{digest.SHA256Bytes(evidence)}}}
			c.forge(t, b, c.party("prosecutor"), time.Now(), ev)
			return b, []custody.VerifyOption{custody.WithEvidence("second.dd", bytes.NewReader(evidence))}
		}, custody.RulePlaintext, 0},
		{"sealed payload swapped without reseal", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			ev := follow(t, b, custody.Access)
			s := *ev.Item.Sealed
			s.Digest = sha256Set(strings.Repeat("cd", 32))
			ev.Item.Sealed = &s
			c.forge(t, b, c.party("prosecutor"), time.Now(), ev)
			return b, nil
		}, custody.RuleSealed, 7},
		{"event after disposal", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			_, err := c.party("prosecutor").Custodian.Dispose(context.Background(), b, "", custody.Details{Purpose: "court order"})
			require.NoError(t, err)
			c.forge(t, b, c.party("prosecutor"), time.Now(), follow(t, b, custody.Access))
			return b, nil
		}, custody.RuleClosed, 8},
		{"receipt for another leaf", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			b.Events[1] = custody.NewRecord(b.Events[1].Envelope, b.Events[0].Proof)
			return b, nil
		}, custody.RuleInclusion, 2},
		{"truncated inclusion path", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			lines := strings.Split(b.Events[0].Proof, "\n")
			for i, l := range lines {
				if strings.HasPrefix(l, "index ") {
					lines = append(lines[:i+1], lines[i+2:]...)
					break
				}
			}
			b.Events[0] = custody.NewRecord(b.Events[0].Envelope, strings.Join(lines, "\n"))
			return b, nil
		}, custody.RuleInclusion, 1},
		{"checkpoint signed by an unknown key", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			other := testkit.New(t)
			c.d.Policy.Logs = other.Policy.Logs
			c.d.Policy.Logs[0].Origin = "evidence.test/log-1"
			return c.b, nil
		}, custody.RuleCheckpoint, 1},
		{"missing consistency proof", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			b.Consistency = b.Consistency[1:]
			return b, nil
		}, custody.RuleConsistency, 0},
		{"corrupted consistency proof", func(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
			b := c.b.Clone()
			k := b.Consistency[len(b.Consistency)-1]
			k.Proof = slices.Clone(k.Proof)
			k.Proof[0] = tlog.Hash{}
			b.Consistency[len(b.Consistency)-1] = k
			return b, nil
		}, custody.RuleConsistency, 0},
		{"two inconsistent checkpoints of one log", inconsistentCheckpoints, custody.RuleConsistency, 0},
	}
	for _, m := range matrix {
		t.Run(m.name, func(t *testing.T) {
			c := newCase(t)
			b, opts := m.mutate(t, c)
			rep := c.verify(t, b, opts...)
			var buf bytes.Buffer
			require.NoError(t, rep.WriteText(&buf))
			require.False(t, rep.Valid, "mutation went undetected:\n%s", buf.String())
			require.True(t, rep.Failed(m.rule, m.eventAt), "rule %s not reported at event %d:\n%s", m.rule, m.eventAt, buf.String())
		})
	}
}

// inconsistentCheckpoints forks the log: a copy of the log directory (same key) grows
// differently, and an event logged in the copy carries a checkpoint that is not an
// extension of the original's.
func inconsistentCheckpoints(t *testing.T, c *caseFile) (*custody.Bundle, []custody.VerifyOption) {
	b := c.b.Clone()
	fork := testkit.ForkLog(t, c.d.Logs[0])
	// The original grows by one unrelated entry; the fork by another.
	_, err := c.d.Logs[0].Append(context.Background(), bytes.Repeat([]byte{1}, ledger.EntrySize))
	require.NoError(t, err)
	p := *c.party("prosecutor")
	cust, err := custody.NewCustodian(p.Signer, p.Actor, fork, custody.WithClock(c.d.Clock()))
	require.NoError(t, err)
	_, err = cust.Access(context.Background(), b, "", custody.Details{Purpose: "on a forked log"})
	require.NoError(t, err)
	// Another event on the original log: its checkpoint has the fork's size or larger
	// but another history.
	_, err = c.party("prosecutor").Custodian.Access(context.Background(), b, "", custody.Details{Purpose: "on the original"})
	require.NoError(t, err)
	return b, nil
}

func TestBundleRoundTrip(t *testing.T) {
	c := newCase(t)
	data, err := json.Marshal(c.b)
	require.NoError(t, err)
	b, err := custody.ParseBundle(data)
	require.NoError(t, err)
	require.True(t, c.verify(t, b).Valid)
	again, err := json.Marshal(b)
	require.NoError(t, err)
	require.Equal(t, string(data), string(again))
}
