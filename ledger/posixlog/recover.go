package posixlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/transparency-dev/tessera"

	"github.com/evidctl/evidctl/internal/atomicfile"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/internal/tiles"
)

const (
	// recoverWindow bounds the log entries a reconciliation holds in memory at once.
	recoverWindow = 1 << 16
	// watermarkEvery is how often an open Log moves the watermark up (and how stale a
	// watermark Close moves up): after a power loss, the first Open reads about this
	// long's appends again.
	watermarkEvery = 30 * time.Second
	// syncWorkers bounds the shard files synced at once.
	syncWorkers = 16
)

// reconcile runs in Open, under the exclusive flock of the watermark, before this Log
// appends anything. When the index was last reconciled in another boot (or never), the
// machine has lost power or rebooted since, and what the index held only in the page
// cache may be gone: the index is then brought back into agreement with the log (see
// recover). Every Open of the boot after the first finds the watermark current.
func (ix *tagIndex) reconcile(ctx context.Context, lr tessera.LogReader) error {
	lock, err := lockFile(filepath.Join(ix.dir, watermarkLock), syscall.LOCK_EX)
	if err != nil {
		return fmt.Errorf("tag index: locking the watermark: %w", err)
	}
	defer lock.Close()
	w, _, ok, err := ix.readWatermark()
	if err != nil {
		return fmt.Errorf("tag index: %w", err)
	}
	if ok && w.boot == ix.boot {
		return nil
	}
	if !ok {
		w = watermark{}
	}
	if err := ix.recover(ctx, lr, w.size); err != nil {
		return fmt.Errorf("tag index: reconciling with the log after a reboot: %w", err)
	}
	return nil
}

// recover makes the index agree with the log after a reboot: it drops the records a
// power loss left unreadable, records every leaf the log holds from index from on (the
// watermark) as logged there unless the index has it logged already, makes it all
// durable and moves the watermark to the log's size in this boot. If it had to drop a
// record, it cannot tell what else was lost, and reads the log from the start.
func (ix *tagIndex) recover(ctx context.Context, lr tessera.LogReader, from uint64) error {
	size, err := lr.IntegratedSize(ctx)
	if err != nil {
		return err
	}
	if from > size {
		from = 0 // not the log the watermark counted
	}
	dropped, err := ix.dropUnreadable()
	if err != nil {
		return err
	}
	if dropped {
		from = 0
	}
	if err := ix.createShards(); err != nil {
		return err
	}
	for start := from; start < size; start += recoverWindow {
		if err := ix.recordLogged(ctx, lr, start, min(start+recoverWindow, size), size); err != nil {
			return err
		}
	}
	if err := ix.syncShards(); err != nil {
		return err
	}
	return ix.writeWatermark(watermark{boot: ix.boot, size: size})
}

// dropUnreadable rewrites, atomically, every shard that holds records that do not parse
// or do not belong to it (what a power loss leaves of records not yet written back),
// without them; a partial record at the end is dropped too. It reports whether it
// dropped a whole record. The watermark goes first, so that an interruption starts the
// next reconciliation from the beginning of the log.
func (ix *tagIndex) dropUnreadable() (bool, error) {
	dir := filepath.Join(ix.dir, shardsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	dropped, watermarkGone := false, false
	for _, e := range entries {
		n, ok := parseShardName(e.Name())
		if !ok {
			_ = os.Remove(filepath.Join(dir, e.Name())) // a temporary file of an interrupted rewrite, or a shard of the 4,096-shard layout
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return false, err
		}
		kept, whole := ix.readable(n, b)
		if len(kept) == len(b) {
			continue
		}
		if whole && !watermarkGone {
			if err := ix.dropWatermark(); err != nil {
				return false, err
			}
			watermarkGone = true
		}
		dropped = dropped || whole
		err = atomicfile.Write(filepath.Join(dir, e.Name()), 0o644, func(w io.Writer) error {
			_, err := w.Write(kept)
			return err
		})
		if err != nil {
			return false, err
		}
	}
	return dropped, nil
}

// createShards creates the shard files that do not exist (all of them, for a new log),
// so that appends find them there: creating a file costs a journal transaction, and
// creations queue on their directory (about 1 ms each on the benchmark machine).
func (ix *tagIndex) createShards() error {
	for n := range shardCount {
		f, _, err := openShard(filepath.Join(ix.dir, shardsDir, fmtShard(n)))
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil // syncShards syncs the directory
}

// readable returns the records of shard n's bytes b that parse and belong to it, and
// whether a whole record had to go.
func (ix *tagIndex) readable(n int, b []byte) (kept []byte, droppedWhole bool) {
	kept = make([]byte, 0, len(b))
	for off := 0; off+recordSize <= len(b); off += recordSize {
		r, err := parseRecord(b[off : off+recordSize])
		if err != nil || ix.shardOf(keyOf(r.leaf)) != n {
			droppedWhole = true
			continue
		}
		kept = append(kept, b[off:off+recordSize]...)
	}
	return kept, droppedWhole
}

// recordLogged records the leaves of the log in [start, end) as logged, each key at
// its first index, unless the index has the key logged there or before. It reads them
// from the bundles of the tree of size leaves, the log's integrated size.
func (ix *tagIndex) recordLogged(ctx context.Context, lr tessera.LogReader, start, end, size uint64) error {
	type placed struct {
		leaf  []byte
		index uint64
	}
	first := map[[keySize]byte]placed{}
	i := start
	for leaf, err := range tiles.Leaves(ctx, lr.ReadEntryBundle, start, end, size) {
		if err != nil {
			return err
		}
		if len(leaf) == ledger.LeafSize || len(leaf) == ledger.EntrySize {
			if _, seen := first[keyOf(leaf)]; !seen {
				first[keyOf(leaf)] = placed{bytes.Clone(leaf), i}
			}
		}
		i++
	}
	byShard := map[int][]placed{}
	for key, p := range first {
		n := ix.shardOf(key)
		byShard[n] = append(byShard[n], p)
	}
	for n, ps := range byShard {
		err := ix.withShardN(n, true, func(sh *shard) (bool, error) {
			states, err := sh.states()
			if err != nil {
				return false, err
			}
			for _, p := range ps {
				if st := states[keyOf(p.leaf)]; st.kind == kindLogged && st.n <= p.index {
					continue
				}
				if err := sh.put(record{kind: kindLogged, leaf: p.leaf, n: p.index}); err != nil {
					return false, err
				}
			}
			return false, nil // synced with the others at the end
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// advance moves the watermark up to the log's size, when it is at least minAge old and
// no other process is moving it: it reads the size, makes the tree state that gave it
// durable (so the watermark never passes what a power loss keeps of the log), syncs
// every shard, and writes the watermark. Every leaf below that size had its key
// reserved before it was handed to Tessera, so the records synced cover it.
func (ix *tagIndex) advance(ctx context.Context, lr tessera.LogReader, stateDir string, minAge time.Duration) error {
	if ix.boot == "" {
		return nil // reservations are durable already
	}
	lock, err := lockFile(filepath.Join(ix.dir, watermarkLock), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return nil // another process is at it, or an Open is reconciling
	}
	if err != nil {
		return err
	}
	defer lock.Close()
	w, written, ok, err := ix.readWatermark()
	if err != nil || !ok || w.boot != ix.boot || time.Since(written) < minAge {
		return err
	}
	size, err := lr.IntegratedSize(ctx)
	if err != nil || size <= w.size {
		return err
	}
	if err := atomicfile.SyncPath(stateDir); err != nil {
		return err
	}
	if err := ix.syncShards(); err != nil {
		return err
	}
	return ix.writeWatermark(watermark{boot: ix.boot, size: size})
}

// syncShards syncs every shard file, a few at once, then the shards directory.
func (ix *tagIndex) syncShards() error {
	dir := filepath.Join(ix.dir, shardsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	names := make(chan string)
	errs := make([]error, syncWorkers)
	var wg sync.WaitGroup
	for w := range syncWorkers {
		wg.Go(func() {
			for name := range names {
				errs[w] = errors.Join(errs[w], atomicfile.SyncPath(filepath.Join(dir, name)))
			}
		})
	}
	for _, e := range entries {
		if _, ok := parseShardName(e.Name()); ok {
			names <- e.Name()
		}
	}
	close(names)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return atomicfile.SyncPath(dir)
}

// keepWatermark moves the watermark up every watermarkEvery until Close.
func (b *backend) keepWatermark() {
	ctx, cancel := context.WithCancel(context.Background())
	b.stopWatermark = cancel
	b.watermarking.Go(func() {
		tick := time.NewTicker(watermarkEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				_ = b.index.advance(ctx, b.reader, b.stateDir(), watermarkEvery) // tried again next time
			}
		}
	})
}

// closeWatermark stops keepWatermark and moves the watermark up one last time, if it is
// stale.
func (b *backend) closeWatermark(ctx context.Context) error {
	if b.stopWatermark == nil {
		return nil // Open failed before it started
	}
	b.stopWatermark()
	b.watermarking.Wait()
	if ctx.Err() != nil {
		return nil // out of time: the next Open after a power loss reads a little more
	}
	return b.index.advance(ctx, b.reader, b.stateDir(), watermarkEvery)
}

// stateDir is Tessera's state directory, which holds the tree state.
func (b *backend) stateDir() string { return filepath.Join(b.dir, ".state") }
