package custody

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
)

// prepareAll makes the events of a batch against the chain into es, one after the
// other, as record does one event, and returns the error of the first that fails.
// Each event's statement and entry depend on the event before it (prev), so they are
// made in order; its text and field checks depend on nothing later, and run beside
// them on the other processors. An event that fails its checks may be admitted to cs before
// the check's answer comes, but its error is the one returned, and cs is thrown away.
func (c *Custodian) prepareAll(cs *chainState, events []eventOf, anchor *Anchor, es []batchEvent) error {
	n := len(events)
	checks := make([]error, n)
	todo := make(chan int, n)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)-1) {
		wg.Go(func() {
			for i := range todo {
				checks[i] = es[i].ev.check()
			}
		})
	}
	failed, err := n, error(nil)
	for i, build := range events {
		var ev *Event
		if ev, err = build(cs); err == nil {
			ev.Actor, ev.Time, ev.Anchor = c.actor, c.now().UTC(), anchor
			es[i].ev = ev
			todo <- i
			err = cs.encode(&es[i])
		}
		if err != nil {
			failed = i
			break
		}
	}
	close(todo)
	wg.Wait()
	if i := slices.IndexFunc(checks[:min(failed+1, n)], func(e error) bool { return e != nil }); i >= 0 {
		return batchError(i, n, checks[i]) // an event's checks come before its encoding
	}
	if err != nil {
		return batchError(failed, n, err)
	}
	return nil
}

// check is the checks of an event on its own, before it is encoded or signed: its
// text, then its fields.
func (ev *Event) check() error {
	if err := ev.checkText(); err != nil {
		return &ArgumentError{Op: string(ev.Type), Arg: "text", Err: err}
	}
	return ev.Validate()
}

// encode encodes be's event as its statement and admits it to the chain.
func (cs *chainState) encode(be *batchEvent) error {
	payload, err := NewStatement(be.ev).Marshal()
	if err != nil {
		return fmt.Errorf("encoding statement: %w", err)
	}
	be.payload = payload
	return cs.admit(be)
}

// admit checks be's event against the chain as check does, computes its log entry and
// applies it, so that the next event of the batch is judged after it.
func (cs *chainState) admit(be *batchEvent) error {
	ev := be.ev
	commit := sha256.Sum256(sign.PAE(PayloadType, be.payload))
	be.commit = commit
	if st := cs.items[ev.Item.ID]; st != nil {
		be.follows = st.custodyHead
	}
	leaf, err := cs.entryOf(commit, ev)
	if err != nil {
		return err
	}
	if len(leaf) != ledger.EntrySize {
		return argError(string(ev.Type), "itemID", "item %s was opened before log entries had tags: record its events one by one", ev.Item.ID)
	}
	be.leaf = leaf
	vs := slices.DeleteFunc(cs.apply(commitmentText(commit), ev), func(v Violation) bool { return v.Rule == RuleTime })
	if len(vs) > 0 {
		return &RefusedError{Type: ev.Type, Item: ev.Item.ID, Violations: vs}
	}
	return nil
}
