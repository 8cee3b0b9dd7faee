package custody

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/evidctl/evidctl/crypto/digest"
)

// Rule names a verification rule. Every failure in a [Report] and every [Violation]
// names one; [Rule.Meaning] says what it establishes.
type Rule string

// The rules Verify checks; rules lists what each means.
const (
	RuleStatement    Rule = "statement"
	RuleSignature    Rule = "signature"
	RuleActor        Rule = "actor"
	RuleInclusion    Rule = "inclusion"
	RuleCheckpoint   Rule = "checkpoint"
	RuleConsistency  Rule = "consistency"
	RuleDuplicate    Rule = "duplicate"
	RuleOrder        Rule = "order"
	RuleChain        Rule = "chain"
	RuleFork         Rule = "fork"
	RuleCustodian    Rule = "custodian"
	RuleRecipient    Rule = "recipient"
	RuleTransfer     Rule = "transfer"
	RuleTime         Rule = "time"
	RuleAnchor       Rule = "anchor"
	RuleKey          Rule = "key"
	RuleDigest       Rule = "digest"
	RuleSealed       Rule = "sealed"
	RuleClosed       Rule = "closed"
	RuleParent       Rule = "parent"
	RulePayload      Rule = "payload"
	RuleHeader       Rule = "header"
	RulePlaintext    Rule = "plaintext"
	RuleCounterparty Rule = "counterparty"
	RuleCase         Rule = "case"
	RuleEvidence     Rule = "evidence"
)

// rules is every rule with its meaning, in the order reports list them: the one place
// a rule's meaning is written.
var rules = []ruleMeaning{
	{RuleStatement, "the signed payload is a well-formed custody statement"},
	{RuleSignature, "the statement is signed by a key the trust policy accepts"},
	{RuleActor, "the person named in the statement is the one the policy trusts that key for"},
	{RuleCounterparty, "the party a statement names as counterparty (a transfer's recipient) is the one the policy trusts that key for"},
	{RuleInclusion, "the log receipt proves the statement was entered in the log"},
	{RuleCheckpoint, "the receipt's checkpoint is signed by a trusted log (and witnesses, if required)"},
	{RuleConsistency, "every checkpoint of a log extends the earlier ones: the log was not rewritten"},
	{RuleDuplicate, "no statement appears twice"},
	{RuleOrder, "statements appear after those they cite, in log order"},
	{RuleChain, "each statement cites the item's previous one: none is missing"},
	{RuleFork, "no two statements cite the same previous one"},
	{RuleCustodian, "only the item's current custodian acts on it"},
	{RuleRecipient, "only the recipient named in a transfer receives it"},
	{RuleTransfer, "a receive cites the open transfer it accepts"},
	{RuleTime, "the claimed time lies within the event's trusted interval (give or take the policy's skew), and times never go backwards along an item's chain"},
	{RuleAnchor, "the checkpoint the statement cites as read before signing is a trusted checkpoint of its log, which the receipt's checkpoint extends"},
	{RuleKey, "the signing key was within its validity, and not revoked, over the whole of the event's trusted interval"},
	{RuleDigest, "the item's content digest and size never change"},
	{RuleSealed, "the sealed copy changes only by a recorded re-seal"},
	{RuleClosed, "nothing but notes follows a return or a disposal"},
	{RuleParent, "a derived item cites the current state of what it was derived from"},
	{RulePayload, "the sealed file given is the one the chain records, byte for byte"},
	{RuleHeader, "the sealed file is encrypted to exactly the recipients the statement declares: as many, of the same types"},
	{RulePlaintext, "the evidence given (or decrypted) has the item's digest and size"},
	{RuleCase, "every event of the bundle belongs to one case (checked when the policy asks)"},
	{RuleEvidence, "no evidence is taken into custody twice under two item ids (checked when the policy asks)"},
}

type ruleMeaning struct {
	rule    Rule
	meaning string
}

// Meaning says what the rule establishes, for a reader of a report or of a refusal:
// RuleCustodian's is "only the item's current custodian acts on it". It is "" for a
// name that is no rule.
func (r Rule) Meaning() string {
	for _, m := range rules {
		if m.rule == r {
			return m.meaning
		}
	}
	return ""
}

// index is the rule's place in the order reports list rules.
func (r Rule) index() int {
	return slices.IndexFunc(rules, func(m ruleMeaning) bool { return m.rule == r })
}

// itemState is what replaying an item's chain establishes.
type itemState struct {
	id        string
	item      Item       // as the latest event stated it
	digest    digest.Set // as the first event stated it
	sealed    *Sealed
	head      string // commitment of the latest event
	custodian Actor
	pending   *pendingTransfer
	closedBy  EventType
	last      time.Time
	events    int

	// key tags the item's log entries; custodyHead is the commitment of its latest
	// event that is not a note, which the next such event's tag names (tags.go).
	key         *ItemKey
	custodyHead string
}

type pendingTransfer struct {
	commitment string
	to         Actor
}

// chainState replays events in bundle order and reports the rules they break.
type chainState struct {
	items    map[string]*itemState
	order    []string          // item ids, first seen first
	consumed map[string]string // prev → the commitment that cited it
	applied  map[string]bool   // commitments already applied
	all      map[string]bool   // every commitment in the bundle
}

func newChainState(all map[string]bool) *chainState {
	return &chainState{ // sized for every event: no rehashing while a long bundle replays
		items:    map[string]*itemState{},
		consumed: make(map[string]string, len(all)),
		applied:  make(map[string]bool, len(all)),
		all:      all,
	}
}

// replay builds the state of a bundle without checking signatures or receipts: what
// operations need to make the next event. Unparseable statements are errors.
func replay(b *Bundle) (*chainState, error) {
	all := make(map[string]bool, len(b.Events))
	for _, r := range b.Events {
		all[r.CommitmentString()] = true
	}
	cs := newChainState(all)
	for i, r := range b.Events {
		st, err := r.Statement()
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", i+1, err)
		}
		cs.apply(r.CommitmentString(), &st.Predicate)
	}
	return cs, nil
}

// rulesChecked are the chain rules that applying ev (as commitment commit) checks,
// and why the others that apply to an event of its type are not checked. Call it
// before apply.
func (cs *chainState) rulesChecked(commit string, ev *Event) (checked []Rule, skipped []Rule, why string) {
	applies := []Rule{RuleChain}
	switch {
	case ev.Prev == "" && ev.Type == Derive:
		applies = append(applies, RuleParent, RuleCustodian)
	case ev.Prev == "":
	default:
		applies = append(applies, RuleFork, RuleTime, RuleClosed, RuleDigest, RuleSealed)
		switch ev.Type {
		case Note:
		case Receive:
			applies = append(applies, RuleTransfer, RuleRecipient)
		default:
			applies = append(applies, RuleCustodian)
		}
	}
	switch {
	case cs.applied[commit]:
		return []Rule{RuleDuplicate}, applies, "the envelope already appears earlier in the bundle"
	case ev.Prev != "" && cs.items[ev.Item.ID] == nil:
		return []Rule{RuleDuplicate, RuleChain}, applies[1:], "the item has no earlier event in the bundle"
	}
	return append([]Rule{RuleDuplicate}, applies...), nil, ""
}

// apply adds one event, signed by ev.Actor, and returns the rules it breaks. It
// applies the event even when it breaks rules, so that later events are judged
// against the chain as the bundle presents it.
func (cs *chainState) apply(commit string, ev *Event) []Violation {
	return cs.applyAt(commit, ev, ev.Time)
}

// applyAt is apply for an event that counts as dated at along its chain: its claimed
// time, unless the verifier's trusted time refuted it (see verifier.timeRule).
func (cs *chainState) applyAt(commit string, ev *Event, at time.Time) []Violation {
	var vs []Violation
	if cs.applied[commit] {
		return []Violation{{Rule: RuleDuplicate, Detail: "this envelope already appears earlier in the bundle", Found: commit}}
	}
	cs.applied[commit] = true
	if ev.Prev == "" {
		vs = cs.open(commit, ev, at)
	} else {
		vs = cs.follow(commit, ev, at)
	}
	return vs
}

// open starts a new item's chain: acquire, disclose, preserve, derive.
func (cs *chainState) open(commit string, ev *Event, at time.Time) []Violation {
	var vs []Violation
	if old, ok := cs.items[ev.Item.ID]; ok {
		vs = append(vs, Violation{Rule: RuleChain, Detail: fmt.Sprintf("%s opens item %s, which already has a chain", article(ev.Type), ev.Item.ID),
			Expected: "prev " + old.head, Found: "no prev"})
	}
	if ev.Type == Derive {
		vs = append(vs, cs.checkParents(ev)...)
	}
	st := &itemState{id: ev.Item.ID, item: ev.Item, digest: ev.Item.Digest, sealed: ev.Item.Sealed,
		head: commit, custodian: ev.Actor, last: at, events: 1}
	st.key, st.custodyHead = ev.ItemKey, commit
	if _, ok := cs.items[ev.Item.ID]; !ok {
		cs.order = append(cs.order, ev.Item.ID)
	}
	cs.items[ev.Item.ID] = st
	return vs
}

func (cs *chainState) checkParents(ev *Event) []Violation {
	var vs []Violation
	for _, p := range ev.Parents {
		ps, ok := cs.items[p.ID]
		switch {
		case !ok:
			vs = append(vs, Violation{Rule: RuleParent, Detail: fmt.Sprintf("parent item %s does not appear before this derivation", p.ID), Found: p.Event})
			continue
		case ps.head != p.Event:
			vs = append(vs, Violation{Rule: RuleParent, Detail: fmt.Sprintf("parent item %s is cited at an event that is not its current one", p.ID), Expected: ps.head, Found: p.Event})
		case p.Digest.Match(ps.digest) != nil:
			vs = append(vs, Violation{Rule: RuleParent, Detail: fmt.Sprintf("parent item %s is cited with another digest", p.ID), Expected: ps.digest.String(), Found: p.Digest.String()})
		}
		vs = append(vs, cs.custodyOf(ps, ev)...)
	}
	return vs
}

// follow continues an item's chain.
func (cs *chainState) follow(commit string, ev *Event, at time.Time) []Violation {
	st, ok := cs.items[ev.Item.ID]
	if !ok {
		return []Violation{cs.missing(ev, "no earlier event for item "+ev.Item.ID)}
	}
	var vs []Violation
	if by, forked := cs.consumed[ev.Prev]; forked {
		vs = append(vs, Violation{Rule: RuleFork, Detail: "two events cite the same previous event", Expected: "one successor of " + ev.Prev, Found: "also " + by})
	} else if ev.Prev != st.head {
		vs = append(vs, cs.missing(ev, fmt.Sprintf("prev is not item %s's latest event", st.id)))
		vs[len(vs)-1].Expected = st.head
	}
	cs.consumed[ev.Prev] = commit
	if ev.Time.Before(st.last) {
		vs = append(vs, Violation{Rule: RuleTime, Detail: "the event is dated before its predecessor",
			Expected: "at or after " + st.last.UTC().Format(time.RFC3339Nano), Found: ev.Time.UTC().Format(time.RFC3339Nano)})
	}
	if st.closedBy != "" && ev.Type != Note {
		vs = append(vs, Violation{Rule: RuleClosed, Detail: fmt.Sprintf("%s after the item's %s", article(ev.Type), st.closedBy), Expected: "only notes", Found: string(ev.Type)})
	}
	if ev.Item.Digest.Match(st.digest) != nil {
		vs = append(vs, Violation{Rule: RuleDigest, Detail: "the item's plaintext digest changed", Expected: st.digest.String(), Found: ev.Item.Digest.String()})
	}
	if ev.Item.Size != st.item.Size {
		vs = append(vs, Violation{Rule: RuleDigest, Detail: "the item's plaintext size changed",
			Expected: fmt.Sprintf("%d bytes", st.item.Size), Found: fmt.Sprintf("%d bytes", ev.Item.Size)})
	}
	vs = append(vs, cs.checkSealed(st, ev)...)
	vs = append(vs, cs.custodyRules(st, commit, ev)...)
	st.head, st.events, st.item = commit, st.events+1, ev.Item
	if ev.Type != Note {
		st.custodyHead = commit
	}
	if at.After(st.last) {
		st.last = at
	}
	return vs
}

// sealedItems are the items that have a sealed payload, in the order they entered custody.
func (cs *chainState) sealedItems() []*itemState {
	var out []*itemState
	for _, id := range cs.order {
		if st := cs.items[id]; st.sealed != nil {
			out = append(out, st)
		}
	}
	return out
}

func (cs *chainState) missing(ev *Event, detail string) Violation {
	if cs.all[ev.Prev] && !cs.applied[ev.Prev] {
		return Violation{Rule: RuleOrder, Detail: "prev appears later in the bundle than the event citing it", Found: ev.Prev}
	}
	if !cs.all[ev.Prev] {
		detail += "; the cited event is missing from the bundle"
	}
	return Violation{Rule: RuleChain, Detail: detail, Found: ev.Prev}
}

func (cs *chainState) checkSealed(st *itemState, ev *Event) []Violation {
	changes := ev.Type == Reseal || (ev.Type == Disclose && st.sealed == nil)
	switch {
	case changes && ev.Item.Sealed == nil:
		return []Violation{{Rule: RuleSealed, Detail: fmt.Sprintf("%s without a sealed payload", article(ev.Type))}}
	case changes:
		st.sealed = ev.Item.Sealed
	case !sameSealed(st.sealed, ev.Item.Sealed):
		return []Violation{{Rule: RuleSealed, Detail: fmt.Sprintf("the sealed payload changed in %s (only a reseal may change it)", article(ev.Type)),
			Expected: sealedString(st.sealed), Found: sealedString(ev.Item.Sealed)}}
	}
	return nil
}

// custodyRules checks who may act and moves custody.
func (cs *chainState) custodyRules(st *itemState, commit string, ev *Event) []Violation {
	switch ev.Type {
	case Note:
		return nil
	case Receive:
		return cs.receive(st, ev)
	}
	vs := cs.custodyOf(st, ev)
	switch ev.Type {
	case Transfer:
		st.pending = &pendingTransfer{commitment: commit, to: *ev.Counterparty}
	case Return, Dispose:
		st.closedBy = ev.Type
	}
	return vs
}

func (cs *chainState) custodyOf(st *itemState, ev *Event) []Violation {
	if st.pending != nil {
		return []Violation{{Rule: RuleCustodian, Detail: fmt.Sprintf("%s while item %s is in transit; only the recipient's receive may follow", article(ev.Type), st.id),
			Expected: "receive by " + st.pending.to.String(), Found: string(ev.Type) + " by " + ev.Actor.String()}}
	}
	if st.custodian.KeyID != ev.Actor.KeyID {
		return []Violation{{Rule: RuleCustodian, Detail: fmt.Sprintf("%s by someone who is not item %s's custodian", article(ev.Type), st.id),
			Expected: st.custodian.String(), Found: ev.Actor.String()}}
	}
	return nil
}

func (cs *chainState) receive(st *itemState, ev *Event) []Violation {
	if st.pending == nil {
		return []Violation{{Rule: RuleTransfer, Detail: fmt.Sprintf("a receive of item %s with no open transfer", st.id), Found: ev.Transfer}}
	}
	var vs []Violation
	if ev.Transfer != st.pending.commitment {
		vs = append(vs, Violation{Rule: RuleTransfer, Detail: "the receive cites another transfer than the open one", Expected: st.pending.commitment, Found: ev.Transfer})
	}
	if ev.Actor.KeyID != st.pending.to.KeyID {
		vs = append(vs, Violation{Rule: RuleRecipient, Detail: "received by someone other than the transfer's named recipient",
			Expected: st.pending.to.String(), Found: ev.Actor.String()})
		return vs
	}
	st.custodian, st.pending = ev.Actor, nil
	return vs
}

func sameSealed(a, b *Sealed) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Size == b.Size && a.Digest.Equal(b.Digest) && slices.Equal(a.Recipients, b.Recipients)
}

func sealedString(s *Sealed) string {
	if s == nil {
		return "no sealed payload"
	}
	return s.Digest.String()
}

// article is "a transfer", "an access".
func article(t EventType) string {
	if strings.ContainsRune("aeiou", rune(t[0])) {
		return "an " + string(t)
	}
	return "a " + string(t)
}
