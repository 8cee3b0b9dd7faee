package posixlog

import (
	"context"
	"sync"
	"time"

	"github.com/transparency-dev/tessera"
)

// intake hands reserved leaves to Tessera in groups: the leaves of appends reserving at
// the same moment go together, once none of them is still reserving (or maxWait after
// the first was ready). Tessera sequences a batch when it is full or maxWait old, and
// a batch costs about the same to write whatever its size; without the intake, the
// appends of one wave (all those a checkpoint answered, say) reach Tessera spread over
// the time their reservations take, and fill two or three partial batches instead of
// one.
type intake struct {
	maxWait time.Duration
	hand    func([]*handoff) // hands a group to Tessera; run in a goroutine of its own

	mu        sync.Mutex
	reserving int // leaves whose appends have begun and not yet submitted them
	queue     []*handoff
	timer     *time.Timer
}

// handoff is the reserved leaves of one append on their way to Tessera. done is closed
// once they are handed over (futures, in order) or cannot be (err).
type handoff struct {
	leaves  [][]byte
	claims  []claim
	done    chan struct{}
	futures []tessera.IndexFuture
	err     error
}

// begin counts n leaves about to be reserved.
func (in *intake) begin(n int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.reserving += n
}

// pause counts a leaf out while its append waits for another append of its key, and
// resume counts it in again.
func (in *intake) pause()  { in.submit(nil, 1) }
func (in *intake) resume() { in.begin(1) }

// submit queues h (if not nil) and counts n leaves out: their reservations are done.
// The queue goes to Tessera when nothing is reserving any more, or maxWait after the
// first was queued.
func (in *intake) submit(h *handoff, n int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if h != nil {
		in.queue = append(in.queue, h)
	}
	in.reserving -= n
	switch {
	case len(in.queue) == 0:
	case in.reserving == 0:
		in.flushLocked()
	case in.timer == nil:
		in.timer = time.AfterFunc(in.maxWait, in.flush)
	}
}

func (in *intake) flush() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.flushLocked()
}

func (in *intake) flushLocked() {
	if in.timer != nil {
		in.timer.Stop()
		in.timer = nil
	}
	if len(in.queue) == 0 {
		return
	}
	group := in.queue
	in.queue = nil
	go in.hand(group)
}

// wait returns h's futures once it has been handed over. If ctx ends first, the
// leaves still go to Tessera, and settle records where they land.
func (h *handoff) wait(ctx context.Context) ([]tessera.IndexFuture, error) {
	select {
	case <-h.done:
		return h.futures, h.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// sizeFloor is a lower bound of the log's integrated size, cheap to read: the size
// read from the tree state at most every so often, raised by the indexes this process
// sees assigned. A reservation records it: its leaf, added later, lands at or after it.
type sizeFloor struct {
	read  func(context.Context) (uint64, error)
	every time.Duration

	mu   sync.Mutex
	size uint64
	at   time.Time
}

func (f *sizeFloor) get(ctx context.Context) (uint64, error) {
	f.mu.Lock()
	if time.Since(f.at) < f.every {
		defer f.mu.Unlock()
		return f.size, nil
	}
	f.mu.Unlock()
	size, err := f.read(ctx)
	if err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.size, f.at = max(f.size, size), time.Now()
	return f.size, nil
}

// raise records that the log holds at least size leaves.
func (f *sizeFloor) raise(size uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.size = max(f.size, size)
}
