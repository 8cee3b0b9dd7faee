package posixlog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// turnFile is the lock that gives one process at a time its turn to append (turn).
const turnFile = "turn.lock"

// turn lets one process at a time have leaves in Tessera's hands, so that Tessera's POSIX
// driver never meets a false deadlock between processes.
//
// The driver coordinates processes with classic fcntl locks on files in .state:
// treeState.lock while its sequencer writes a batch, publish.lock while its publisher
// writes a checkpoint, gcState.lock while it collects garbage, each taken in its own
// goroutine with F_SETLKW. Linux owns such a lock by process, not by thread, and before
// it lets a request wait it follows the chain "the holder waits for a lock held by ..."
// back to the requester, refusing the request with EDEADLK if it gets there. So when
// process A sequences (holds treeState.lock) while A's publisher waits for
// publish.lock, and process B publishes (holds publish.lock) while B's sequencer asks
// for treeState.lock, the kernel refuses B's sequencer, although two different threads
// of B hold and wait and nothing is deadlocked. Tessera v1.0.4's sequencer panics on any
// error from that lock (storage/posix/files.go, sequenceBatch), in a goroutine of its
// own, so the whole appending process dies.
//
// The turn removes the wait: a process holds the flock of .tags/turn.lock (flock locks
// are not fcntl locks, and the kernel checks them for no deadlock) from the moment it
// hands Tessera a leaf until Tessera has sequenced every leaf it was handed, and around
// Tessera's start, which takes treeState.lock too. Only the process holding the turn
// ever asks for treeState.lock, so it never finds it held by another process: a request
// that need not wait is granted without a deadlock check, and the sequencer never sees
// EDEADLK. (The publisher and the garbage collector still may; Tessera logs those and
// tries again at their next interval.) Sequencing was one process at a time already,
// under treeState.lock; the turn adds only that a process's batch starts filling once
// it has the turn.
//
// A process releases the turn as soon as it has nothing in Tessera's hands, and stops
// taking new leaves once it has held the turn for maxHold while leaves keep coming, so
// that other processes get their turn. A process killed while holding it loses the flock
// with its life.
type turn struct {
	path    string
	maxHold time.Duration

	mu       sync.Mutex
	f        *os.File // the lock file, flock'ed, while this process has the turn
	since    time.Time
	inflight int  // leaves handed to Tessera and not yet sequenced
	waiting  int  // enter calls in progress
	yielding bool // held for maxHold: no new leaves until the inflight ones are sequenced
	taking   bool // a goroutine is waiting for the flock
	takeErr  error
	sealed   bool // no new leaves: the Log is closing (seal)
	closed   bool
	changed  chan struct{} // closed, and replaced, at every change of the state above
}

// errClosing is what appends waiting for the turn get when the Log closes.
var errClosing = errors.New("the log is closing")

func newTurn(path string, maxHold time.Duration) *turn {
	return &turn{path: path, maxHold: maxHold, changed: make(chan struct{})}
}

// enter waits for this process's turn and counts n leaves in Tessera's hands; leave
// counts them out once sequenced. Leaves entered together are never split between
// turns.
func (t *turn) enter(ctx context.Context, n int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.waiting++
	defer func() { t.waiting-- }()
	for {
		switch {
		case t.closed || t.sealed:
			return errClosing
		case t.f != nil && !t.yielding && t.inflight > 0 && time.Since(t.since) >= t.maxHold:
			t.yielding = true
		case t.f != nil && !t.yielding:
			t.inflight += n
			return nil
		case t.f == nil && t.takeErr != nil:
			err := t.takeErr
			t.takeErr = nil
			return err
		case t.f == nil && !t.taking:
			t.taking = true
			go t.take()
		}
		if err := t.waitLocked(ctx); err != nil {
			if t.waiting == 1 && t.inflight == 0 && t.f != nil {
				t.releaseLocked() // taken for this enter alone
			}
			return err
		}
	}
}

// waitLocked waits, with t.mu held, for the next change of the turn's state or the end
// of ctx; t.mu is held again when it returns.
func (t *turn) waitLocked(ctx context.Context) error {
	changed := t.changed
	t.mu.Unlock()
	defer t.mu.Lock()
	select {
	case <-changed:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// leave counts n sequenced leaves out, and gives the turn up when none is left.
func (t *turn) leave(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.inflight -= n
	switch {
	case t.inflight == 0 && t.f != nil:
		t.releaseLocked()
	case t.inflight == 0:
		t.changedLocked() // for drain
	}
}

// do runs fn in this process's turn.
func (t *turn) do(ctx context.Context, fn func() error) error {
	if err := t.enter(ctx, 1); err != nil {
		return err
	}
	defer t.leave(1)
	return fn()
}

// take waits for the flock, in a goroutine of its own: a blocked flock cannot be
// cancelled, so an enter that gives up leaves it to finish for the next.
func (t *turn) take() {
	f, err := lockFile(t.path, syscall.LOCK_EX)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.taking = false
	switch {
	case err != nil:
		t.takeErr = fmt.Errorf("taking the turn to append: %w", err)
	case t.closed || t.sealed || t.waiting == 0: // closing, or every enter gave up
		_ = f.Close()
	default:
		t.f, t.since, t.yielding = f, time.Now(), false
	}
	t.changedLocked()
}

func (t *turn) releaseLocked() {
	_ = t.f.Close() // releases the flock
	t.f = nil
	t.changedLocked()
}

func (t *turn) changedLocked() {
	close(t.changed)
	t.changed = make(chan struct{})
}

// seal stops new leaves from entering (enter fails with errClosing) while the leaves in
// Tessera's hands keep the turn until they are sequenced.
func (t *turn) seal() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sealed = true
	t.changedLocked()
}

// drain waits, once the turn is sealed, until every leaf handed to Tessera has been
// sequenced (left), or ctx ends.
func (t *turn) drain(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for !t.sealed || t.inflight > 0 {
		if err := t.waitLocked(ctx); err != nil {
			return err
		}
	}
	return nil
}

// close gives the turn up for good; appends waiting for it fail with errClosing. While
// leaves are still in Tessera's hands (a Close that ran out of time), the turn is kept
// until they are sequenced (leave), so that no other process's Tessera sequences beside
// this one's.
func (t *turn) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	if t.f != nil && t.inflight == 0 {
		t.releaseLocked()
	} else {
		t.changedLocked()
	}
}

// lockFile opens (creating it if need be) the file at path and flocks it as how asks
// (LOCK_EX or LOCK_SH, with LOCK_NB not to wait). Closing the file unlocks it.
func lockFile(path string, how int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}
