package custody

import (
	"encoding/hex"
	"fmt"
	"maps"
	"slices"

	"github.com/evidctl/evidctl/ledger"
)

// bundleAudit is what an audit of one bundle looks for in the log, and what it found.
type bundleAudit struct {
	items    []*auditItem
	events   []auditEvent // per bundle event
	want     map[[ledger.TagSize]byte]*probe
	done     map[uint64]bool  // log indexes already judged
	seen     map[int][]uint64 // bundle event (1-based) → log indexes holding its own entry
	findings []Finding
}

// auditItem is one item of the bundle as the audit follows it.
type auditItem struct {
	id       string
	key      *ItemKey // nil for an item opened before entries had tags
	events   int
	last     int // the bundle event (1-based) of its custody head: its last event that is not a note
	lastType EventType
	head     [ledger.LeafSize]byte // the custody head's commitment
}

// auditEvent is one event of the bundle and its log entry.
type auditEvent struct {
	item   *auditItem
	typ    EventType
	commit [ledger.LeafSize]byte
	tag    [ledger.TagSize]byte
	keyed  bool
}

// probe is what an entry with one tag means when the log holds it.
type probe struct {
	item *auditItem
	// The bundle's own events with this tag and their commitments: the same commitment
	// is the event itself, another is a branch.
	events  []int
	commits [][ledger.LeafSize]byte
	// Or the successor tag of a custody head: every entry with it is a finding of kind
	// kind, following the bundle's event after (or, when after is 0, the log's entry at
	// afterIndex, found earlier).
	next       bool
	kind       FindingKind
	after      int
	afterIndex uint64
}

// newBundleAudit replays the bundle, computing each event's entry as the verifier does.
func newBundleAudit(b *Bundle) (*bundleAudit, error) {
	a := &bundleAudit{want: map[[ledger.TagSize]byte]*probe{}, done: map[uint64]bool{}, seen: map[int][]uint64{}}
	cs := newChainState(nil)
	byID := map[string]*auditItem{}
	for i, rec := range b.Events {
		st, err := rec.Statement()
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", i+1, err)
		}
		ev := &st.Predicate
		leaf, err := cs.entryOf(rec.Commitment(), ev)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", i+1, err)
		}
		cs.apply(rec.CommitmentString(), ev)
		it := byID[ev.Item.ID]
		if it == nil || ev.Prev == "" {
			it = &auditItem{id: ev.Item.ID, key: cs.items[ev.Item.ID].key}
			byID[it.id] = it
			a.items = append(a.items, it)
		}
		it.events++
		ae := auditEvent{item: it, typ: ev.Type, commit: rec.Commitment(), keyed: len(leaf) == ledger.EntrySize}
		if ae.keyed {
			ae.tag = ledger.Entry(leaf).Tag()
		}
		if ev.Type != Note {
			it.last, it.lastType, it.head = i+1, ev.Type, ae.commit
		}
		a.events = append(a.events, ae)
	}
	for _, it := range a.items {
		if it.key == nil {
			a.findings = append(a.findings, Finding{Kind: FindingUnkeyed, Item: it.id,
				Detail: "the item was opened without an itemKey (before log entries had tags): no audit can follow it"})
		}
	}
	return a, nil
}

// initialTags sets the tags to look for: each event's own, and the successor tag of
// each item's custody head.
func (a *bundleAudit) initialTags() {
	for i, e := range a.events {
		if !e.keyed {
			continue
		}
		p := a.want[e.tag]
		if p == nil {
			p = &probe{item: e.item}
			a.want[e.tag] = p
		}
		p.events, p.commits = append(p.events, i+1), append(p.commits, e.commit)
	}
	for _, it := range a.items {
		if it.key != nil && it.last > 0 {
			a.want[it.key.SuccessorTag(it.head)] = &probe{item: it, next: true, kind: FindingHidden, after: it.last}
		}
	}
}

// tags lists the tags looked for.
func (a *bundleAudit) tags() [][ledger.TagSize]byte {
	return slices.Collect(maps.Keys(a.want))
}

// process judges the entries found (in log order), skipping those judged in an earlier
// pass. It reports whether it added tags to look for: the successors of a branch or a
// hidden event, which another pass over the log finds.
func (a *bundleAudit) process(found []ledger.Found) bool {
	added := false
	for _, f := range found {
		p := a.want[f.Tag]
		if p == nil || a.done[f.Index] {
			continue
		}
		a.done[f.Index] = true
		if i := slices.Index(p.commits, f.Commitment); i >= 0 {
			a.seen[p.events[i]] = append(a.seen[p.events[i]], f.Index)
			continue
		}
		fd := Finding{Item: p.item.id, Tag: hex.EncodeToString(f.Tag[:]), Entries: auditEntries(f)}
		switch {
		case !p.next:
			ev := p.events[0]
			fd.Kind, fd.Event, fd.Type = FindingBranch, ev, a.events[ev-1].typ
			fd.Detail = "another successor of the custody head this event follows: a branch this bundle does not show"
		case p.after > 0:
			fd.Kind, fd.Event, fd.Type = p.kind, p.after, a.events[p.after-1].typ
			fd.Detail = "an event after this one, the item's custody head in the bundle: hidden from this bundle"
		default:
			fd.Kind = p.kind
			fd.Detail = fmt.Sprintf("an event after the entry at index %d, found above", p.afterIndex)
		}
		a.findings = append(a.findings, fd)
		kind := FindingHidden
		if fd.Kind == FindingBranch {
			kind = FindingBranch
		}
		added = a.follow(p.item, f, kind) || added
	}
	return added
}

// follow looks for the successor of an entry found: the next event of a branch, or of
// hidden events.
func (a *bundleAudit) follow(it *auditItem, f ledger.Found, kind FindingKind) bool {
	t := it.key.SuccessorTag(f.Commitment)
	if _, ok := a.want[t]; ok {
		return false
	}
	a.want[t] = &probe{item: it, next: true, kind: kind, afterIndex: f.Index}
	return true
}

// missing reports the bundle's entries in the log read that are not where their
// receipts put them.
func (a *bundleAudit) missing(cp *ledger.Checkpoint, rep *AuditReport, b *Bundle) {
	for i, e := range a.events {
		rc, err := b.Events[i].Receipt()
		if !e.keyed || err != nil {
			continue
		}
		h, err := b.Events[i].logHead()
		if err != nil || h.Origin != cp.Origin {
			continue
		}
		if rc.Index >= cp.Size {
			rep.Notes = append(rep.Notes, fmt.Sprintf("event %d is logged at index %d, beyond checkpoint %d: the audit does not cover it", i+1, rc.Index, cp.Size))
			continue
		}
		at := a.seen[i+1]
		if slices.Contains(at, rc.Index) {
			continue
		}
		detail := fmt.Sprintf("the log does not hold this event's entry at index %d, where its receipt puts it: the log read is not the one the receipt came from", rc.Index)
		if len(at) > 0 {
			detail += fmt.Sprintf(" (it holds it at index %d)", at[0])
		}
		a.findings = append(a.findings, Finding{Kind: FindingMissing, Item: e.item.id, Event: i + 1, Type: e.typ,
			Tag: hex.EncodeToString(e.tag[:]), Detail: detail})
	}
}

// itemReports are the items as the report lists them.
func (a *bundleAudit) itemReports() []AuditItem {
	out := make([]AuditItem, 0, len(a.items))
	for _, it := range a.items {
		ai := AuditItem{ID: it.id, Events: it.events, Keyed: it.key != nil, LastEvent: it.last}
		if it.last > 0 {
			ai.Head = commitmentText(it.head)
		}
		out = append(out, ai)
	}
	return out
}
