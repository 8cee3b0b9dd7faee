package main

import (
	"context"

	"github.com/evidctl/evidctl/custody"
)

// update runs op on the bundle at path with an open session and, when op succeeds,
// writes the outputs (out: the bundle rewritten in place and any payloads; nil for
// the bundle alone) and reports the events added. The bundle is locked meanwhile, so
// that two commands updating it run one after the other; on failure it is left as it
// was, but for a pending event (pending.go), which the next command completes first.
func (a *app) update(ctx context.Context, path string, sf *signFlags, out *outputs, op func(*session, *custody.Bundle) error) error {
	if out == nil {
		out = &outputs{bundle: path, inPlace: true}
	}
	if unlock, err := lockBundle(path); err == nil {
		defer unlock()
	} // a bundle that cannot be opened is reported by readBundle
	b, err := readBundle(path)
	if err != nil {
		return err
	}
	before := len(b.Events)
	s, err := a.open(ctx, sf, b)
	if err != nil {
		return err
	}
	defer s.close()
	if done, err := a.resumePending(ctx, s, path, b, before); done {
		return err // pending.go
	}
	if err := op(s, b); err != nil {
		return a.keepPending(path, out, b, before, err)
	}
	return a.write(out, b, len(b.Events)-before)
}

// recordFunc records one event about an item, as custody's Access, Dispose and the
// like do.
type recordFunc func(c *custody.Custodian, ctx context.Context, b *custody.Bundle, item string, d custody.Details) (*custody.Record, error)

// pick chooses the items an operation applies to: those named, else those for which
// want is true, else (so that the library names the rule broken) the first open item.
func pick(b *custody.Bundle, named []string, want func(custody.ItemStatus) bool) ([]string, error) {
	if len(named) > 0 {
		return named, nil
	}
	items, err := b.Status()
	if err != nil {
		return nil, failErr(err)
	}
	var ids, open []string
	for _, it := range items {
		if want(it) {
			ids = append(ids, it.ID)
		}
		if it.Closed == "" {
			open = append(open, it.ID)
		}
	}
	if len(ids) > 0 {
		return ids, nil
	}
	if len(open) > 0 {
		return open[:1], nil
	}
	return []string{items[0].ID}, nil
}
