package posixlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/evidctl/evidctl/ledger"
)

// maxIndexProblems bounds how many disagreements CheckIndex reports.
const maxIndexProblems = 20

// IndexProblem is one disagreement between a log and its tag index.
type IndexProblem struct {
	Index   uint64 // the log index concerned
	Tag     [ledger.TagSize]byte
	Problem string
}

// IndexError lists the disagreements CheckIndex found (at most 20).
type IndexError struct {
	Problems []IndexProblem
}

func (e *IndexError) Error() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "the tag index disagrees with the log in %d places", len(e.Problems))
	for i, p := range e.Problems {
		if i == 3 {
			b.WriteString("; …")
			break
		}
		fmt.Fprintf(&b, "; index %d, tag %x: %s", p.Index, p.Tag[:4], p.Problem)
	}
	return b.String()
}

// CheckIndex checks, without changing anything, that the tag index of the log in dir
// agrees with the log up to its published checkpoint, as after any crash of appenders it
// must (after a power loss, once the first Open has reconciled the index): every
// 64-byte entry's tag appears once in the log, and the index records it at its index
// (logged there, or reserved before it by an appender whose record of the index was cut
// short); and every entry the index says is logged below the checkpoint is in the log
// at that index. It reads the whole index into memory. Disagreements are an
// *IndexError.
func CheckIndex(ctx context.Context, dir string) error {
	states, err := readIndex(filepath.Join(dir, indexDir))
	if err != nil {
		return fmt.Errorf("checking tag index of %s: %w", dir, err)
	}
	r, err := NewReader(dir)
	if err != nil {
		return err
	}
	note, err := r.Checkpoint(ctx)
	if err != nil {
		return err
	}
	head, err := ledger.ReadHeadUnverified(note)
	if err != nil {
		return fmt.Errorf("checking tag index of %s: %w", dir, err)
	}
	ie := &IndexError{}
	report := func(i uint64, key [keySize]byte, format string, args ...any) {
		if len(ie.Problems) < maxIndexProblems {
			ie.Problems = append(ie.Problems, IndexProblem{Index: i, Tag: key, Problem: fmt.Sprintf(format, args...)})
		}
	}
	seen := map[[keySize]byte]uint64{}
	var i uint64
	for leaf, err := range r.ReadLeaves(ctx, 0, head.Size) {
		if err != nil {
			return fmt.Errorf("checking tag index of %s: %w", dir, err)
		}
		if len(leaf) == ledger.EntrySize {
			key := keyOf(leaf)
			if first, dup := seen[key]; dup {
				report(i, key, "tag already logged at index %d", first)
			}
			seen[key] = i
			checkState(states[key], leaf, i, report)
		}
		i++
	}
	for key, st := range states {
		if st.kind == kindLogged && len(st.leaf) == ledger.EntrySize && st.n < head.Size {
			if at, ok := seen[key]; !ok || at != st.n {
				report(st.n, key, "the index says logged here, the log does not hold it here")
			}
		}
	}
	if len(ie.Problems) > 0 {
		return fmt.Errorf("checking tag index of %s: %w", dir, ie)
	}
	return nil
}

// checkState checks the index's state for the key of the entry at index i.
func checkState(st record, leaf []byte, i uint64, report func(uint64, [keySize]byte, string, ...any)) {
	key := keyOf(leaf)
	switch {
	case st.kind == kindNone:
		report(i, key, "not in the index")
	case !bytes.Equal(st.leaf, leaf):
		report(i, key, "the index holds another entry for this tag")
	case st.kind == kindLogged && st.n != i:
		report(i, key, "the index says logged at %d", st.n)
	case st.kind == kindReserved && st.n > i:
		report(i, key, "reserved at size %d, after the entry's index", st.n)
	case st.kind == kindFreed:
		report(i, key, "the index says it never reached the log")
	}
}

// readIndex returns the state (last record) of every key in the index.
func readIndex(dir string) (map[[keySize]byte]record, error) {
	out := map[[keySize]byte]record{}
	names, err := os.ReadDir(filepath.Join(dir, shardsDir))
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range names {
		if _, ok := parseShardName(e.Name()); !ok {
			continue // a temporary file of a rewrite
		}
		f, err := os.Open(filepath.Join(dir, shardsDir, e.Name()))
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(f)
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		for off := 0; off+recordSize <= len(b); off += recordSize {
			r, err := parseRecord(b[off : off+recordSize])
			if err != nil {
				if off+2*recordSize > len(b) {
					break // torn by a crash; the next appender trims it
				}
				return nil, fmt.Errorf("shard %s, record %d: %w", e.Name(), off/recordSize, err)
			}
			r.leaf = bytes.Clone(r.leaf)
			out[keyOf(r.leaf)] = r
		}
	}
	return out, nil
}
