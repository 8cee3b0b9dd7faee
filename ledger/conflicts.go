package ledger

import (
	"cmp"
	"context"
	"fmt"
	"hash/maphash"
	"slices"
)

// Conflict is a tag that a log holds more than once with different commitments: two
// successors of one custody event, which a ledger that keeps the single-successor rule
// never accepts.
type Conflict struct {
	Tag [TagSize]byte
	// Entries are every entry of the log with Tag, in log order (at least two, with at
	// least two different commitments).
	Entries []Found
}

// FindConflicts returns every tag that the log up to cp holds more than once with
// different commitments, once the whole log has been read from r and proven to hash to
// cp's root. It is a monitor's check and needs no bundle: tags are compared, never
// computed. Legacy 32-byte leaves have no tag and are skipped.
//
// Cost: one pass over the log keeping an 8-byte keyed fingerprint per entry (80 MB at
// 10^7 entries), then a sort of them. Only when two entries share a fingerprint (a
// repeated tag, or, for an honest log of 10^7 entries, a chance of about 3 in 10^6)
// does a second pass read the log again, collecting just the entries with those
// fingerprints; both passes are checked against cp's root. The fingerprints are keyed
// per call, so a log cannot be crafted to make them collide.
func FindConflicts(ctx context.Context, r LeafReader, cp *Checkpoint) ([]Conflict, error) {
	if cp == nil {
		return nil, fmt.Errorf("finding conflicts: no checkpoint")
	}
	seed := maphash.MakeSeed()
	fps := make([]uint64, 0, min(cp.Size, 1<<24))
	for l, err := range Scan(ctx, r, cp) {
		if err != nil {
			return nil, fmt.Errorf("finding conflicts: %w", err)
		}
		if len(l.Data) == EntrySize {
			fps = append(fps, maphash.Bytes(seed, l.Data[:TagSize]))
		}
	}
	repeated := repeatedValues(fps)
	fps = nil
	if len(repeated) == 0 {
		return nil, nil
	}
	byTag := map[[TagSize]byte][]Found{}
	for l, err := range Scan(ctx, r, cp) {
		if err != nil {
			return nil, fmt.Errorf("finding conflicts, second pass: %w", err)
		}
		if len(l.Data) != EntrySize {
			continue
		}
		if _, ok := repeated[maphash.Bytes(seed, l.Data[:TagSize])]; ok {
			e := Entry(l.Data)
			byTag[e.Tag()] = append(byTag[e.Tag()], Found{Index: l.Index, Tag: e.Tag(), Commitment: e.Commitment()})
		}
	}
	var out []Conflict
	for tag, found := range byTag {
		for _, f := range found[1:] {
			if f.Commitment != found[0].Commitment {
				out = append(out, Conflict{Tag: tag, Entries: found})
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b Conflict) int { return cmp.Compare(a.Entries[0].Index, b.Entries[0].Index) })
	return out, nil
}

// repeatedValues sorts v and returns the values that occur more than once.
func repeatedValues(v []uint64) map[uint64]struct{} {
	slices.Sort(v)
	out := map[uint64]struct{}{}
	for i := 1; i < len(v); i++ {
		if v[i] == v[i-1] {
			out[v[i]] = struct{}{}
		}
	}
	return out
}
