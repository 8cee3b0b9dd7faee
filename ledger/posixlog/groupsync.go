package posixlog

import (
	"errors"
	"os"
	"sync"

	"github.com/evidctl/evidctl/internal/atomicfile"
)

// groupSync makes reservations durable for many appends at once (a group commit): an
// append hands in its shard file, still open and locked, and waits; one round syncs every
// file handed in before it started (and the shards directory, when a shard is new), then
// answers them all. Concurrent appends so share the latency of the disk's flush instead
// of queueing one flush each.
type groupSync struct {
	dir string // the shards directory

	mu        sync.Mutex
	cond      *sync.Cond
	pending   []*os.File
	newShard  bool
	requested uint64 // requests made
	done      uint64 // requests covered by a finished round
	err       error  // the last round's error
	running   bool
}

func newGroupSync(dir string) *groupSync {
	g := &groupSync{dir: dir}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// sync returns once f (and the shards directory, if created is set) has been synced by a
// round that started after the call.
func (g *groupSync) sync(f *os.File, created bool) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pending = append(g.pending, f)
	g.newShard = g.newShard || created
	g.requested++
	mine := g.requested
	for g.done < mine {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		files, dir, covers := g.pending, g.newShard, g.requested
		g.pending, g.newShard = nil, false
		g.mu.Unlock()
		err := syncAll(files, dir, g.dir)
		g.mu.Lock()
		g.running, g.done, g.err = false, covers, err
		g.cond.Broadcast()
	}
	return g.err
}

// syncAll syncs files concurrently, then dir if asked.
func syncAll(files []*os.File, syncDir bool, dir string) error {
	errs := make([]error, len(files)+1)
	var wg sync.WaitGroup
	for i, f := range files {
		wg.Go(func() { errs[i] = f.Sync() })
	}
	wg.Wait()
	if syncDir {
		errs[len(files)] = atomicfile.SyncPath(dir)
	}
	return errors.Join(errs...)
}
