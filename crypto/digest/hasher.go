package digest

import (
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Concurrent hashing moves data through a small ring of reusable blocks:
// Write copies into the current block and hands full blocks to one goroutine
// per algorithm. Memory use is fixed at blockCount*blockSize.
const (
	blockSize  = 256 << 10
	blockCount = 4
)

// ErrHasherClosed is returned by [Hasher.Write] after [Hasher.Sum].
var ErrHasherClosed = errors.New("write after Sum")

// Hasher is an [io.Writer] that computes SHA-256 plus any extra algorithms in
// one pass. With more than one algorithm each hash runs on its own goroutine
// and Write copies p into an internal block, so Write never retains p and the
// caller overlaps its own work (reading the next chunk) with hashing.
//
// Always call [Hasher.Sum] when done, also on error paths: it stops the
// hashing goroutines (a Hasher dropped without Sum has them stopped when it
// is garbage collected). A Hasher is not safe for concurrent use.
type Hasher struct {
	algs []Algorithm
	size int64
	sum  Set // set by Sum

	single hash.Hash // SHA-256 only: hashed inline

	pool *workerPool // more than one algorithm
	cur  *block
}

type block struct {
	buf     []byte
	n       int
	pending atomic.Int32 // workers still hashing this block
}

type worker struct {
	alg Algorithm
	h   hash.Hash
	in  chan *block
}

// workerPool holds the goroutines of a concurrent Hasher. It does not point
// back to the Hasher, so a cleanup can stop the workers of a Hasher that was
// dropped without calling Sum.
type workerPool struct {
	workers []*worker
	free    chan *block
	wg      sync.WaitGroup
	once    sync.Once
}

// NewHasher returns a Hasher computing SHA-256 and every algorithm in extra
// (SHA-256 and repeated names in extra are ignored). An unsupported algorithm
// is an error wrapping [ErrUnknownAlgorithm].
func NewHasher(extra ...Algorithm) (*Hasher, error) {
	algs := []Algorithm{SHA256}
	for _, a := range extra {
		if a.Size() == 0 {
			return nil, fmt.Errorf("%w %s", ErrUnknownAlgorithm, quote(string(a)))
		}
		if !slices.Contains(algs, a) {
			algs = append(algs, a)
		}
	}
	h := &Hasher{algs: algs}
	if len(algs) == 1 {
		h.single = SHA256.new()
		return h, nil
	}
	h.pool = startPool(algs)
	runtime.AddCleanup(h, func(p *workerPool) { p.stop() }, h.pool)
	return h, nil
}

func startPool(algs []Algorithm) *workerPool {
	p := &workerPool{free: make(chan *block, blockCount)}
	for range blockCount {
		p.free <- &block{buf: make([]byte, blockSize)}
	}
	for _, a := range algs {
		w := &worker{alg: a, h: a.new(), in: make(chan *block, blockCount)}
		p.workers = append(p.workers, w)
		p.wg.Add(1)
		go w.run(&p.wg, p.free)
	}
	return p
}

func (w *worker) run(wg *sync.WaitGroup, free chan<- *block) {
	defer wg.Done()
	for b := range w.in {
		w.h.Write(b.buf[:b.n])
		if b.pending.Add(-1) == 0 {
			free <- b
		}
	}
}

// dispatch hands b to every worker. It never blocks: each worker's queue can
// hold every block of the ring.
func (p *workerPool) dispatch(b *block) {
	b.pending.Store(int32(len(p.workers)))
	for _, w := range p.workers {
		w.in <- b
	}
}

// stop closes the worker queues and waits for the workers to finish.
func (p *workerPool) stop() {
	p.once.Do(func() {
		for _, w := range p.workers {
			close(w.in)
		}
	})
	p.wg.Wait()
}

// Write adds p to every hash. It always consumes all of p unless the Hasher
// was already summed.
func (h *Hasher) Write(p []byte) (int, error) {
	if h.sum != nil {
		return 0, ErrHasherClosed
	}
	h.size += int64(len(p))
	if h.single != nil {
		return h.single.Write(p)
	}
	n := len(p)
	for len(p) > 0 {
		if h.cur == nil {
			h.cur = <-h.pool.free
			h.cur.n = 0
		}
		c := copy(h.cur.buf[h.cur.n:], p)
		h.cur.n += c
		p = p[c:]
		if h.cur.n == len(h.cur.buf) {
			h.pool.dispatch(h.cur)
			h.cur = nil
		}
	}
	return n, nil
}

// Size returns the number of bytes written so far.
func (h *Hasher) Size() int64 { return h.size }

// Sum returns the digests of everything written: SHA-256 first, then the
// extra algorithms in the order given to [NewHasher]. It stops the hashing
// goroutines; later Writes fail and later Sums return the same Set.
func (h *Hasher) Sum() Set {
	if h.sum != nil {
		return h.sum
	}
	if h.single != nil {
		h.sum = Set{{Algorithm: SHA256, Sum: h.single.Sum(nil)}}
		return h.sum
	}
	if h.cur != nil && h.cur.n > 0 {
		h.pool.dispatch(h.cur)
	}
	h.cur = nil
	h.pool.stop()
	s := make(Set, 0, len(h.algs))
	for _, w := range h.pool.workers {
		s = append(s, Digest{Algorithm: w.alg, Sum: w.h.Sum(nil)})
	}
	h.sum = s
	return s
}

// Reader reads r to the end and returns the digests of its content (SHA-256
// plus extra) and its length. On a read error it returns the error and
// whatever was counted so far.
func Reader(r io.Reader, extra ...Algorithm) (Set, int64, error) {
	h, err := NewHasher(extra...)
	if err != nil {
		return nil, 0, err
	}
	buf := make([]byte, blockSize)
	n, err := io.CopyBuffer(h, r, buf)
	set := h.Sum()
	if err != nil {
		return nil, n, fmt.Errorf("reading content: %w", err)
	}
	return set, n, nil
}
