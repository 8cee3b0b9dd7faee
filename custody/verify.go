package custody

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"time"

	"filippo.io/age"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/tsa"
)

// VerifyOption adds evidence to check beyond the bundle itself.
type VerifyOption func(*verifyConfig)

type namedReader struct {
	name string
	r    io.Reader
}

type verifyConfig struct {
	payloads   []namedReader
	evidence   []namedReader
	identities []age.Identity
}

// WithPayload checks a sealed payload (an age file) against the ciphertext digest of
// the item it belongs to. Name is how the report refers to it.
func WithPayload(name string, r io.Reader) VerifyOption {
	return func(c *verifyConfig) { c.payloads = append(c.payloads, namedReader{name, r}) }
}

// WithIdentities decrypts the payloads given with [WithPayload] and checks their
// plaintext against the item digest. No plaintext is written anywhere.
func WithIdentities(ids ...age.Identity) VerifyOption {
	return func(c *verifyConfig) { c.identities = append(c.identities, ids...) }
}

// WithEvidence checks plaintext evidence (the original file) against the item's digest
// and recorded size. It is read one byte past the largest item size the chain records
// and no further: a longer file fails [RulePlaintext] ("more than N bytes") without being
// read to its end.
func WithEvidence(name string, r io.Reader) VerifyOption {
	return func(c *verifyConfig) { c.evidence = append(c.evidence, namedReader{name, r}) }
}

// Verify answers the court's questions about a bundle under a trust policy: integrity,
// authenticity, continuity and existence in time. It returns a [Report] whose Valid
// field is the verdict and which names, for each event, every rule checked. An error
// means the verification could not run (an unreadable payload, no matching identity);
// a bundle that fails a rule is not an error. When identities were given and none of
// them opens a payload that the chain records, the error wraps [seal.ErrNoIdentity]
// (a payload that is not the recorded one fails [RulePayload] whatever the keys).
//
// Each payload is read once: its ciphertext is hashed, decrypted and its plaintext
// hashed in one pass, with SHA-256 and only the other algorithms the items record. It is
// read one byte past the longest sealed payload the chain records and no further: a
// longer one fails [RulePayload] ("more than N bytes") without being read to its end.
func Verify(ctx context.Context, b *Bundle, p *Policy, opts ...VerifyOption) (*Report, error) {
	if b == nil || p == nil {
		return nil, argError("verify", "b", "a bundle and a policy are required")
	}
	var cfg verifyConfig
	for _, o := range opts {
		o(&cfg)
	}
	v := newVerifier(b, p)
	all := map[string]bool{}
	for _, r := range b.Events {
		all[r.CommitmentString()] = true
	}
	v.chain = newChainState(all)
	rep := &Report{}
	v.prepare(ctx, b)
	defer v.stop()
	for i, rec := range b.Events {
		if err := v.await(ctx, i); err != nil {
			return nil, err
		}
		rep.Events = append(rep.Events, v.event(ctx, i, rec))
	}
	rep.Checks = append(rep.Checks, v.consistency(b.Consistency)...)
	payloadChecks, err := v.payloads(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rep.Checks = append(rep.Checks, payloadChecks...)
	scope, warns := v.scope()
	rep.Checks = append(rep.Checks, scope...)
	rep.Warnings = append(v.warnings, warns...)
	rep.Warnings = append(rep.Warnings, unkeyedWarnings(b)...)
	rep.Warnings = append(rep.Warnings, timeWarnings(rep.Events)...)
	rep.Items = v.items()
	rep.finish()
	return rep, nil
}

// unkeyedWarnings warns, at its opening event, of each item opened without an itemKey:
// a bundle from before log entries had successor tags. Its receipts prove its events'
// 32-byte commitments, as ledgers logged them then, so it still verifies; but nothing
// in the log links its events, so no audit can show a double transfer or an event left
// out. No ledger logs a 32-byte leaf any more, so no new event of it can verify: a
// keyless item is one from before the transition, frozen.
func unkeyedWarnings(b *Bundle) []Warning {
	var out []Warning
	for i, r := range b.Events {
		st, err := r.Statement()
		if err != nil || st.Predicate.Prev != "" || st.Predicate.ItemKey != nil {
			continue
		}
		out = append(out, Warning{Event: i + 1, Kind: WarnUnkeyedItem, Subject: "item " + st.Predicate.Item.ID,
			Detail: "the item was opened without an itemKey, before log entries had successor tags: its events verify, but its completeness cannot be audited (no log shows a second successor or an event left out of this bundle)"})
	}
	return out
}

type verifier struct {
	cases    map[string]bool // the cases events name
	warnings []Warning
	// payloadChecked and plaintextChecked are the items whose sealed payload and
	// plaintext were checked.
	payloadChecked, plaintextChecked map[string]bool
	unopened                         map[string]bool // items whose payload no identity given opens
	policy                           *Policy
	trust                            *ledger.Trust
	chain                            *chainState
	checkpoints                      map[string][]*ledger.Checkpoint
	lastIndex                        map[string]uint64

	tsa      *tsa.Verifier // the policy's TSAs; nil when it lists none
	tsaErr   error         // why the policy's TSAs cannot be used
	anchors  map[string]*AnchorCheckpoint
	proofs   map[consistencyKey][]tlog.Hash
	verified map[[32]byte]*noteCheck // by SHA-256 of the note (verifyCheckpoint)
	pipe     *pipeline               // what prepare checks in parallel; nil when it does not
	mu       sync.Mutex              // guards verified: prepare's workers share it
}

func newVerifier(b *Bundle, p *Policy) *verifier {
	v := &verifier{cases: map[string]bool{}, payloadChecked: map[string]bool{}, plaintextChecked: map[string]bool{}, unopened: map[string]bool{}, policy: p,
		trust: p.LedgerTrust(), checkpoints: map[string][]*ledger.Checkpoint{}, lastIndex: map[string]uint64{},
		anchors: map[string]*AnchorCheckpoint{}, proofs: map[consistencyKey][]tlog.Hash{}, verified: map[[32]byte]*noteCheck{}}
	v.tsa, v.tsaErr = p.tsaVerifier()
	for i := range b.Anchors {
		v.anchors[b.Anchors[i].key()] = &b.Anchors[i]
	}
	for _, k := range b.Consistency {
		key := consistencyKey{k.Origin, k.OldSize, k.NewSize}
		if _, dup := v.proofs[key]; !dup {
			v.proofs[key] = k.Proof
		}
	}
	return v
}

func (v *verifier) event(ctx context.Context, i int, rec *Record) EventReport {
	// An event has 16-18 checks, a few more before byRule merges those of one rule:
	// room for them at once (with 16, most grew the slice: 25 MB more per 10,000 events).
	er := EventReport{Index: i + 1, Commitment: rec.CommitmentString(), Checks: make([]Check, 0, 24)}
	st, err := rec.Statement()
	if err != nil {
		er.fail(RuleStatement, "a custody statement", err.Error(), "the payload is not a valid custody statement")
		checks, _, _ := v.inclusion(rec, &er)
		er.Checks = append(er.Checks, checks...)
		return er
	}
	ev := &st.Predicate
	er.describe(ev)
	er.pass(RuleStatement)
	if ev.Case != "" {
		v.cases[ev.Case] = true
	}
	inclusion, cp, rc := v.inclusion(rec, &er)
	tt := v.timing(ev, cp, rc)
	er.Interval = &tt.TimeInterval
	er.Checks = append(er.Checks, v.signature(ctx, er.Index, rec, ev, tt)...)
	er.Checks = append(er.Checks, v.counterparty(er.Index, ev, tt)...)
	er.Checks = append(er.Checks, inclusion...)
	er.Checks = append(er.Checks, tt.checks...)
	timeFails, chainTime := v.timeRule(ev, tt)
	er.Checks = append(er.Checks, timeFails...)
	if len(timeFails) == 0 {
		er.Checks = append(er.Checks, Check{Rule: RuleTime, Status: StatusOK, OK: true, Detail: tt.Warning})
	}
	er.Checks = append(er.Checks, v.chainChecks(rec.CommitmentString(), ev, chainTime)...)
	er.Checks = byRule(er.Checks)
	return er
}

// chainChecks replays ev, counting as dated at (see timeRule), on the chain: a failed
// check per violation, a passed one per other rule checked, and the rules that apply to
// the event but could not be checked.
func (v *verifier) chainChecks(commit string, ev *Event, at time.Time) []Check {
	checked, skipped, why := v.chain.rulesChecked(commit, ev)
	vs := v.chain.applyAt(commit, ev, at)
	var out []Check
	for _, x := range vs {
		out = append(out, Check{Rule: x.Rule, Status: StatusFailed, Expected: x.Expected, Found: x.Found, Detail: x.Detail})
	}
	for _, r := range checked {
		if !slices.ContainsFunc(vs, func(x Violation) bool { return x.Rule == r }) {
			out = append(out, passed(r))
		}
	}
	for _, r := range skipped {
		out = append(out, notChecked(r, why))
	}
	return out
}

// byRule orders an event's checks as the rules are listed, and drops the passes of a
// rule that also failed (a rule checked twice, as order is by the log and the chain).
// An event has a dozen checks or so: lists, not maps, each rule's place looked up once,
// and the checks kept and sorted in place (cs is the caller's to give up), for a
// verification of many events allocates little else per event.
func byRule(cs []Check) []Check {
	var failedBuf [8]Rule
	failed := failedBuf[:0]
	for _, c := range cs {
		if c.Failed() && !slices.Contains(failed, c.Rule) {
			failed = append(failed, c.Rule)
		}
	}
	var atBuf [32]int
	at := atBuf[:0]
	kept := cs[:0]
	for _, c := range cs {
		if c.Result() == StatusOK && (slices.Contains(failed, c.Rule) || slices.ContainsFunc(kept, func(k Check) bool { return k.Rule == c.Rule })) {
			continue
		}
		kept = append(kept, c)
		at = append(at, c.Rule.index())
	}
	// A stable insertion sort by rule place: a dozen elements, mostly in order already.
	for i := 1; i < len(kept); i++ {
		for j := i; j > 0 && at[j] < at[j-1]; j-- {
			at[j], at[j-1] = at[j-1], at[j]
			kept[j], kept[j-1] = kept[j-1], kept[j]
		}
	}
	if len(kept) == 0 {
		return nil
	}
	clear(cs[len(kept):])
	return kept
}

func (v *verifier) signature(ctx context.Context, i int, rec *Record, ev *Event, tt *trustedTime) []Check {
	signer, ver, err := v.policy.verifierFor(&ev.Actor, tt.at())
	if err != nil {
		return []Check{{Rule: RuleSignature, Status: StatusFailed, Expected: "a signature by a key the policy trusts", Found: err.Error(),
			Detail: "the signing key is not trusted for " + ev.Actor.String()}, notChecked(RuleActor, "the signing key is not trusted"),
			notChecked(RuleKey, "the signing key is not trusted")}
	}
	accepted, err := v.envelopeSignature(ctx, i-1, rec, signer, ver)
	if err != nil || !slices.Contains(accepted, ev.Actor.KeyID) {
		found := "no valid signature by key " + shortKey(ev.Actor.KeyID)
		if err != nil {
			found = err.Error()
		}
		return []Check{{Rule: RuleSignature, Status: StatusFailed, Expected: "a valid signature by key " + shortKey(ev.Actor.KeyID), Found: found,
			Detail: "the envelope's signature does not verify: the statement was altered or signed by another key"},
			notChecked(RuleActor, "the signature does not verify"), notChecked(RuleKey, "the signature does not verify")}
	}
	v.warnings = append(v.warnings, scriptWarnings(i, "actor", ev.Actor.Party)...)
	checks := []Check{passed(RuleSignature), signer.lifecycle(tt)}
	if err := signer.matches(&ev.Actor.Party); err != nil {
		return append(checks, Check{Rule: RuleActor, Status: StatusFailed, Expected: Actor{Party: signer.Party, KeyID: ev.Actor.KeyID}.String(),
			Found: ev.Actor.String(), Detail: err.Error()})
	}
	v.warnings = append(v.warnings, claimWarnings(i, "actor", ev.Actor.Party, signer.Party)...)
	return append(checks, passed(RuleActor))
}

// counterparty checks the party an event names as counterparty (a transfer's
// recipient, a receive's sender, a return's owner) against the policy's entry for its
// key: a transfer cannot name a trusted key under someone else's name.
func (v *verifier) counterparty(i int, ev *Event, tt *trustedTime) []Check {
	cp := ev.Counterparty
	if cp == nil {
		return nil
	}
	v.warnings = append(v.warnings, scriptWarnings(i, "counterparty", cp.Party)...)
	entry := v.policy.signerForKey(cp.KeyID)
	if entry == nil && cp.Certificate != "" {
		entry, _, _ = v.policy.verifierFor(cp, tt.at())
	}
	if entry == nil {
		v.warnings = append(v.warnings, Warning{Event: i, Kind: WarnUncheckedClaim, Subject: "counterparty " + cp.Name,
			Detail: fmt.Sprintf("the counterparty %s is not checked: the policy does not know key %s", cp.Party, shortKey(cp.KeyID))})
		return []Check{notChecked(RuleCounterparty, "the policy does not know the counterparty's key")}
	}
	if err := entry.matches(&cp.Party); err != nil {
		return []Check{{Rule: RuleCounterparty, Status: StatusFailed, Expected: Actor{Party: entry.Party, KeyID: cp.KeyID}.String(),
			Found: cp.String(), Detail: "the counterparty named is not who the policy trusts its key for: " + err.Error()}}
	}
	v.warnings = append(v.warnings, claimWarnings(i, "counterparty", cp.Party, entry.Party)...)
	return []Check{passed(RuleCounterparty)}
}

// inclusion checks the record's receipt, and returns its verified checkpoint (nil when
// it does not verify).
func (v *verifier) inclusion(rec *Record, er *EventReport) ([]Check, *ledger.Checkpoint, *ledger.Receipt) {
	r := v.receipt(er.Index-1, rec)
	switch {
	case r.readErr != nil:
		return []Check{{Rule: RuleInclusion, Status: StatusFailed, Expected: "a c2sp.org/tlog-proof@v1 receipt", Found: r.readErr.Error(), Detail: "the receipt cannot be read"},
			notChecked(RuleCheckpoint, "the receipt cannot be read"), notChecked(RuleOrder, "the receipt cannot be read")}, nil, nil
	case r.leafErr != nil:
		why := "the event's log entry cannot be computed from the bundle: " + r.leafErr.Error()
		return []Check{notChecked(RuleInclusion, why), notChecked(RuleCheckpoint, why), notChecked(RuleOrder, why)}, nil, nil
	}
	rc, cp, err := r.rc, r.cp, r.verifyErr
	if err != nil {
		rule, other := RuleCheckpoint, RuleInclusion
		if errors.Is(err, ledger.ErrLeafMismatch) || errors.Is(err, ledger.ErrMalformed) {
			rule, other = RuleInclusion, RuleCheckpoint
		}
		return []Check{{Rule: rule, Status: StatusFailed, Found: err.Error(), Detail: "the receipt does not prove this envelope is in a trusted log"},
			notChecked(other, "the receipt does not verify"), notChecked(RuleOrder, "the receipt does not verify")}, nil, nil
	}
	er.Log, er.LogIndex = cp.Origin, rc.Index
	if len(cp.Cosigners) > 0 {
		er.Cosigners = slices.Sorted(slices.Values(cp.Cosigners))
	}
	v.checkpoints[cp.Origin] = append(v.checkpoints[cp.Origin], cp)
	checks := []Check{passed(RuleCheckpoint), passed(RuleInclusion)}
	if last, ok := v.lastIndex[cp.Origin]; ok && rc.Index <= last {
		checks = append(checks, Check{Rule: RuleOrder, Status: StatusFailed, Expected: fmt.Sprintf("log index after %d", last),
			Found: fmt.Sprintf("index %d", rc.Index), Detail: "events of one log appear out of log order"})
	} else {
		checks = append(checks, passed(RuleOrder))
	}
	v.lastIndex[cp.Origin] = rc.Index
	return checks, cp, rc
}

// leaf is the log leaf of rec that its receipt must prove, recomputed from the bundle as
// the chain stands before rec: its entry, tag || commitment, with the item key of the
// item's opening statement and the custody head of the replayed chain (tags.go).
func (v *verifier) leaf(rec *Record) ([]byte, error) {
	st, err := rec.Statement()
	if err != nil {
		return nil, fmt.Errorf("the statement cannot be read: %w", err)
	}
	return v.chain.entryOf(rec.Commitment(), &st.Predicate)
}

// consistency checks that, per log, every checkpoint the receipts cite extends the
// previous one, using the bundle's consistency proofs.
func (v *verifier) consistency(list []Consistency) []Check {
	proofs := make(map[consistencyKey][]tlog.Hash, len(list))
	for _, k := range list {
		key := consistencyKey{k.Origin, k.OldSize, k.NewSize}
		if _, dup := proofs[key]; !dup {
			proofs[key] = k.Proof
		}
	}
	var checks []Check
	for _, origin := range slices.Sorted(maps.Keys(v.checkpoints)) {
		cps := slices.Clone(v.checkpoints[origin])
		slices.SortStableFunc(cps, func(a, b *ledger.Checkpoint) int { return cmp.Compare(a.Size, b.Size) })
		ok := true
		for i := 1; i < len(cps); i++ {
			if c := checkPair(origin, cps[i-1], cps[i], proofs); c != nil {
				checks, ok = append(checks, *c), false
			}
		}
		if ok {
			checks = append(checks, Check{Rule: RuleConsistency, Status: StatusOK, OK: true, Detail: fmt.Sprintf("log %s: %d %s consistent", origin, len(cps), plural(len(cps), "checkpoint", "checkpoints"))})
		}
	}
	return checks
}

// consistencyKey finds a bundle's consistency proof: the first for a log and sizes.
type consistencyKey struct {
	origin           string
	oldSize, newSize uint64
}

func checkPair(origin string, older, newer *ledger.Checkpoint, proofs map[consistencyKey][]tlog.Hash) *Check {
	if older.Size == newer.Size {
		if older.Hash != newer.Hash {
			return &Check{Rule: RuleConsistency, Expected: older.Hash.String(), Found: newer.Hash.String(),
				Detail: fmt.Sprintf("log %s: two checkpoints of size %d with different roots (a split view)", origin, older.Size)}
		}
		return nil
	}
	proof, ok := proofs[consistencyKey{origin, older.Size, newer.Size}]
	if !ok {
		return &Check{Rule: RuleConsistency, Expected: fmt.Sprintf("a consistency proof from size %d to %d", older.Size, newer.Size),
			Found: "none in the bundle", Detail: fmt.Sprintf("log %s: checkpoints cannot be shown consistent", origin)}
	}
	if err := ledger.VerifyConsistency(older, newer, proof); err != nil {
		return &Check{Rule: RuleConsistency, Found: err.Error(),
			Detail: fmt.Sprintf("log %s: checkpoint %d is not consistent with checkpoint %d", origin, newer.Size, older.Size)}
	}
	return nil
}

func (v *verifier) payloads(ctx context.Context, cfg verifyConfig) ([]Check, error) {
	var checks []Check
	for _, p := range cfg.payloads {
		cs, err := v.payload(ctx, p, cfg.identities)
		if err != nil {
			return nil, err
		}
		checks = append(checks, cs...)
	}
	for _, e := range cfg.evidence {
		c, err := v.evidence(e)
		if err != nil {
			return nil, err
		}
		checks = append(checks, c)
	}
	return append(checks, v.uncovered(cfg)...), nil
}

// evidence matches a plaintext file to the chain's items. It is read one byte past the
// largest item the chain records and no further: a longer file is none of them.
func (v *verifier) evidence(e namedReader) (Check, error) {
	var largest int64
	for _, id := range v.chain.order {
		largest = max(largest, v.chain.items[id].item.Size)
	}
	capped := capReader(e.r, largest)
	largest = capped.N - 1 // as capReader clamps a hostile size
	set, n, err := digest.Reader(capped, v.recordedAlgorithms()...)
	if err != nil {
		return Check{}, fmt.Errorf("reading evidence %s: %w", e.name, err)
	}
	if capped.N > 0 {
		return v.matchPlaintext(e.name, set, n), nil
	}
	c := Check{Rule: RulePlaintext, Status: StatusFailed, Subject: e.name, Found: fmt.Sprintf("more than %d bytes (not read further)", largest),
		Expected: fmt.Sprintf("one of %d items, of at most %d bytes", len(v.chain.order), largest),
		Detail:   "the evidence is longer than any item the chain records: another file"}
	switch len(v.chain.order) {
	case 0:
		c.Expected, c.Detail = "", "the chain records no item"
	case 1:
		st := v.chain.items[v.chain.order[0]]
		v.plaintextChecked[st.id] = true
		c.Expected = fmt.Sprintf("%s (%d bytes)", st.digest.SHA256(), st.item.Size)
		c.Detail = "the evidence is longer than item " + st.id + ": another file"
	}
	return c, nil
}

// uncovered are the payload and plaintext checks not made, item by item, and why.
func (v *verifier) uncovered(cfg verifyConfig) []Check {
	var out []Check
	for _, id := range v.chain.order {
		st := v.chain.items[id]
		if st.sealed != nil && !v.payloadChecked[id] {
			why := "no payload given"
			if len(cfg.payloads) > 0 {
				why = "no payload given for this item"
			}
			for _, r := range []Rule{RulePayload, RuleHeader} {
				c := notChecked(r, why)
				c.Subject = id
				out = append(out, c)
			}
		}
		if v.plaintextChecked[id] {
			continue
		}
		var why string
		switch {
		case st.sealed == nil:
			why = "no evidence given"
		case len(cfg.payloads) == 0:
			why = "no payload given"
		case len(cfg.identities) == 0:
			why = "no identity given to decrypt the payload"
		case v.unopened[id]:
			why = "no identity given opens the payload"
		default:
			why = "no payload or evidence given for this item"
		}
		c := notChecked(RulePlaintext, why)
		c.Subject = id
		out = append(out, c)
	}
	return out
}

// payload matches one sealed payload to the chain, decrypting it when ids are given.
func (v *verifier) payload(ctx context.Context, p namedReader, ids []age.Identity) ([]Check, error) {
	sealed := v.chain.sealedItems()
	pr, err := readPayload(ctx, p.r, nil, ids, recordedAlgorithms(sealed...), longestSealed(sealed))
	if err != nil {
		return nil, fmt.Errorf("payload %s: %w", p.name, err)
	}
	res := matchPayload(sealed, nil, pr)
	if pr.noIdentity != nil && res.payload == nil {
		// The payload the chain records, but no identity opens it: the plaintext
		// check cannot run. (Another file is a failed payload check whatever the keys.)
		return nil, fmt.Errorf("payload %s: %w", p.name, pr.noIdentity)
	}
	if res.item != nil {
		v.payloadChecked[res.item.id] = true
	}
	if res.item != nil && pr.decrypted {
		v.plaintextChecked[res.item.id] = true
	}
	if res.item != nil && pr.noIdentity != nil {
		v.unopened[res.item.id] = true
	}
	return res.checks(p.name, pr.decrypted), nil
}

// recordedAlgorithms are the digest algorithms beyond SHA-256 that the bundle's items
// record: evidence is hashed with these and no others.
func (v *verifier) recordedAlgorithms() []digest.Algorithm {
	items := make([]*itemState, 0, len(v.chain.order))
	for _, id := range v.chain.order {
		items = append(items, v.chain.items[id])
	}
	return recordedAlgorithms(items...)
}

func (v *verifier) matchPlaintext(name string, set digest.Set, size int64) Check {
	var last *itemState
	for _, id := range v.chain.order {
		st := v.chain.items[id]
		if st.digest.SHA256().Equal(set.SHA256()) {
			v.plaintextChecked[id] = true
			return plaintextCheck(name, st, set, size)
		}
		last = st
	}
	if len(v.chain.order) == 1 {
		v.plaintextChecked[last.id] = true
		return plaintextCheck(name, last, set, size)
	}
	return Check{Rule: RulePlaintext, Status: StatusFailed, Subject: name, Found: set.SHA256().String(), Expected: "the digest of one of the bundle's items",
		Detail: "the evidence matches no item"}
}

func plaintextCheck(name string, st *itemState, set digest.Set, size int64) Check {
	if v := plaintextViolation(st, set, size); v != nil {
		return v.check(name)
	}
	return Check{Rule: RulePlaintext, Status: StatusOK, OK: true, Subject: name, Detail: "matches the digest of item " + st.id}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
