package seal

import (
	"context"
	"errors"
	"io"
	"sync"
)

// The pipeline moves data between goroutines through rings of reusable
// buffers, so memory stays constant whatever the input size: at most
// ringSlots*chunkSize bytes per ring are in flight.
const (
	chunkSize = 256 << 10
	ringSlots = 8
)

// ring is a bounded queue of reusable buffers between one producer goroutine
// and one consumer goroutine. The producer takes empty buffers with get and
// sends filled ones with put, then calls closeWrite after the last one. The
// consumer receives with next and gives buffers back with recycle. A producer
// that fails does not close the ring: it returns its error to the group,
// which cancels ctx, and every blocked operation then returns the cause.
//
// Buffers are made on demand, up to ringSlots, and come from a pool shared
// by all rings: sealing a small file takes one buffer per ring, and many
// files in a row (a bulk disclosure) allocate nothing after the first.
type ring struct {
	ctx  context.Context
	free chan []byte
	full chan []byte
	made int // buffers taken from the pool; only the producer touches it
}

func newRing(ctx context.Context) *ring {
	return &ring{
		ctx:  ctx,
		free: make(chan []byte, ringSlots),
		full: make(chan []byte, ringSlots),
	}
}

// bufPool holds chunkSize buffers between pipelines, cleared.
var bufPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

func (r *ring) get() ([]byte, error) {
	select {
	case b := <-r.free:
		return b[:cap(b)], nil
	default:
	}
	if r.made < ringSlots {
		r.made++
		return *bufPool.Get().(*[]byte), nil
	}
	select {
	case b := <-r.free:
		return b[:cap(b)], nil
	case <-r.ctx.Done():
		return nil, context.Cause(r.ctx)
	}
}

// release gives the ring's buffers back to the pool, cleared (they held
// plaintext or ciphertext). Call it once every stage has returned; buffers
// still held by a stage that failed are left to the garbage collector.
func (r *ring) release() {
	put := func(b []byte) {
		b = b[:cap(b)]
		clear(b)
		bufPool.Put(&b)
	}
	for {
		select {
		case b := <-r.free:
			put(b)
			continue
		default:
		}
		select {
		case b, ok := <-r.full:
			if !ok {
				return
			}
			put(b)
		default:
			return
		}
	}
}

func (r *ring) put(b []byte) error {
	select {
	case r.full <- b:
		return nil
	case <-r.ctx.Done():
		return context.Cause(r.ctx)
	}
}

func (r *ring) closeWrite() { close(r.full) }

// next returns the next filled buffer, or io.EOF after closeWrite.
func (r *ring) next() ([]byte, error) {
	select {
	case b, ok := <-r.full:
		if !ok {
			return nil, io.EOF
		}
		return b, nil
	case <-r.ctx.Done():
		return nil, context.Cause(r.ctx)
	}
}

// recycle returns a buffer to the producer. It never blocks: at most
// ringSlots buffers exist.
func (r *ring) recycle(b []byte) { r.free <- b }

// fill is a producer loop: it reads src into ring buffers until EOF, passing
// each chunk to observe (a hash) before sending it on.
func (r *ring) fill(src io.Reader, observe io.Writer) error {
	for {
		b, err := r.get()
		if err != nil {
			return err
		}
		n, rerr := io.ReadFull(src, b)
		if n > 0 {
			if _, err := observe.Write(b[:n]); err != nil {
				return err
			}
			if err := r.put(b[:n]); err != nil {
				return err
			}
		} else {
			r.recycle(b)
		}
		switch {
		case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
			r.closeWrite()
			return nil
		case rerr != nil:
			return rerr
		}
	}
}

// drain is a consumer loop: it passes every chunk to observe and then to dst
// until the producer closes the ring.
func (r *ring) drain(dst, observe io.Writer) error {
	for {
		b, err := r.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := observe.Write(b); err != nil {
			return err
		}
		if _, err := dst.Write(b); err != nil {
			return err
		}
		r.recycle(b)
	}
}

// group runs pipeline stages on goroutines. The first stage to fail cancels
// the shared context with its error, which unblocks every other stage.
type group struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup
	once   sync.Once
	err    error
}

func newGroup(parent context.Context) *group {
	ctx, cancel := context.WithCancelCause(parent)
	return &group{ctx: ctx, cancel: cancel}
}

func (g *group) fail(err error) {
	g.once.Do(func() {
		g.err = err
		g.cancel(err)
	})
}

func (g *group) run(stage func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := stage(); err != nil {
			g.fail(err)
		}
	}()
}

// wait waits for every stage and returns the first error.
func (g *group) wait() error {
	g.wg.Wait()
	g.cancel(errors.New("pipeline finished"))
	return g.err
}
