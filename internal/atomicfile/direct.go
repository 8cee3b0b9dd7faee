package atomicfile

import (
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Large files bypass the page cache past their first 256 MiB. A File is made durable on
// Commit, so every byte of it goes to the disk anyway; writing a multi-GiB payload
// through the page cache first costs a copy into cache pages, which the kernel must
// find (evicting others) and, on some virtual machines, fault in at a high price: on
// a 2-core VM, dd of 4 GiB took 3.5 s and 0.4 s of system time with O_DIRECT, 10 s and
// 8.9 s through the page cache and fsync, and a 4 GiB acquisition 15-21 s (12-19 s of
// system time) against 8-10 s. So a write that takes a File past directFrom bytes
// switches it, where the file system allows it, to direct I/O (O_DIRECT on Linux):
// from the next block boundary on (the bytes before it go the usual way), what is
// written is gathered into aligned buffers of directBuf bytes, which goroutines of the
// File write at their offsets while the caller fills the next. Commit writes the last
// partial block the usual way, then fsyncs as always. A file system that refuses direct
// I/O (tmpfs, some network file systems) gets the file the usual way, as does every
// smaller file.

const (
	directBlock   = 4096    // alignment of direct offsets, lengths and buffer addresses
	directBuf     = 2 << 20 // bytes per buffer
	directBufs    = 8       // buffers per File: 16 MiB between the caller and the disk
	directWriters = 2       // direct writes in flight at once
)

// directFrom is the size past which a File goes direct. The page cache takes the
// first 256 MiB, which lets the caller run ahead of the disk and spares a small file
// the direct buffers; past it the page cache only costs, and a file of hundreds of GiB
// (a disk image) would fill it. Measured on two VMs (docs/BENCHMARKS.md): from 1 GiB,
// a 1 GiB decrypt took 1.34-1.97 s and a 1 GiB acquisition 1.37-3.06 s; from 256 MiB,
// 1.23-1.40 s and 1.38-1.54 s; from 4 MiB the acquisition was slower on the other VM,
// where sealing gained from running ahead. A variable for the tests.
var directFrom int64 = 256 << 20

// directPool holds aligned buffers between Files, cleared.
var directPool = sync.Pool{New: func() any {
	b := make([]byte, directBuf+directBlock)
	off := int(-uintptr(unsafe.Pointer(unsafe.SliceData(b))) & (directBlock - 1))
	b = b[off : off+directBuf : off+directBuf]
	return &b
}}

// directFlush is how many bytes a File writes directly between two flushes of the
// disk's write cache. A direct write returns once the disk has the data, in its
// volatile cache if it has one; Commit's fsync then waits for the disk to make it
// all durable (0.54 s after 1 GiB on the VM of docs/BENCHMARKS.md). Flushing every
// directFlush bytes, in the background, overlaps most of that with the sealing.
const directFlush = 64 << 20

// direct is a File's direct writing under way.
type direct struct {
	write func(b []byte, off int64) error // writes b at off with direct I/O
	flush func() error                    // makes what was written durable, or nil

	unflushed atomic.Int64  // bytes written since the last flush was asked for
	flushReq  chan struct{} // a flush asked for (capacity 1: requests coalesce)
	flushDone chan struct{} // closed when the flusher has returned

	off   int64         // file offset of cur[0], a multiple of directBlock
	cur   []byte        // the buffer being filled
	free  chan []byte   // buffers written, for the caller to fill
	queue chan span     // full buffers, in file order, for the writers
	done  chan struct{} // closed when the writers have returned
	bufs  []*[]byte     // the buffers taken from directPool

	mu  sync.Mutex
	err error // the first write or flush that failed
}

// span is a buffer to write at a file offset.
type span struct {
	b   []byte
	off int64
}

// newDirect starts direct writing at off with write, and with flush, unless nil,
// every directFlush bytes.
func newDirect(off int64, write func([]byte, int64) error, flush func() error) *direct {
	d := &direct{write: write, flush: flush, off: off,
		free: make(chan []byte, directBufs), queue: make(chan span, directBufs), done: make(chan struct{}),
		flushReq: make(chan struct{}, 1), flushDone: make(chan struct{})}
	for range directBufs {
		p := directPool.Get().(*[]byte)
		d.bufs = append(d.bufs, p)
		d.free <- (*p)[:0]
	}
	d.cur = <-d.free
	var wg sync.WaitGroup
	for range directWriters {
		wg.Go(d.writer)
	}
	go func() { wg.Wait(); close(d.done) }()
	go d.flusher()
	return d
}

// writer is one of directWriters: it writes full buffers, taken from the queue in
// file order, until the queue is closed, asking for a flush every directFlush bytes;
// after a failure it only hands the buffers back.
func (d *direct) writer() {
	for s := range d.queue {
		if d.failed() == nil {
			if err := d.write(s.b, s.off); err != nil {
				d.fail(err)
			} else if d.unflushed.Add(int64(len(s.b))) >= directFlush {
				d.unflushed.Store(0)
				select {
				case d.flushReq <- struct{}{}:
				default: // one is waiting already
				}
			}
		}
		d.free <- s.b[:0]
	}
}

// flusher flushes when asked, until flushReq is closed. A failed flush fails the
// File: Linux reports a write-back error to one fsync only, so Commit's own fsync
// might not see it again.
func (d *direct) flusher() {
	defer close(d.flushDone)
	for range d.flushReq {
		if d.flush != nil && d.failed() == nil {
			if err := d.flush(); err != nil {
				d.fail(err)
			}
		}
	}
}

func (d *direct) fail(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err == nil {
		d.err = err
	}
}

func (d *direct) failed() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// add copies p into the buffers, handing each full one to the writers.
func (d *direct) add(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if err := d.failed(); err != nil {
			return n, err
		}
		k := copy(d.cur[len(d.cur):cap(d.cur)], p)
		d.cur = d.cur[:len(d.cur)+k]
		n += k
		p = p[k:]
		if len(d.cur) == cap(d.cur) {
			d.queue <- span{d.cur, d.off}
			d.off += int64(len(d.cur))
			d.cur = <-d.free
		}
	}
	return n, nil
}

// finish writes what the buffers hold: the whole blocks directly, then, once the
// writers are done, the last partial block with tail (the usual way). It returns the
// first error of any write.
func (d *direct) finish(tail func(b []byte, off int64) error) error {
	n := len(d.cur)
	whole := n &^ (directBlock - 1)
	if whole > 0 {
		d.queue <- span{d.cur[:whole], d.off}
	}
	d.stop()
	if err := d.failed(); err != nil {
		return err
	}
	if n > whole {
		return tail(d.cur[whole:n], d.off+int64(whole))
	}
	return nil
}

// stop waits for the writers to write what they were given, and for the flusher, and
// for all of them to return. It is safe to call twice.
func (d *direct) stop() {
	select {
	case <-d.done:
		return
	default:
	}
	close(d.queue)
	<-d.done
	close(d.flushReq)
	<-d.flushDone
}

// release clears the buffers (they may have held plaintext) and gives them back to
// the pool. Call it once the writers have returned.
func (d *direct) release() {
	for _, p := range d.bufs {
		clear((*p)[:cap(*p)])
		directPool.Put(p)
	}
	d.bufs, d.cur = nil, nil
}

// startDirect switches f, whose written bytes end on a block boundary, to direct
// writing, unless its file system refuses it (then f stays as it is for good).
func (f *File) startDirect() {
	f.noDirect = true
	if err := setDirect(f.tmp, true); err != nil {
		return
	}
	var wrote atomic.Bool // a direct write succeeded: the file system takes them
	f.dio = newDirect(f.written, func(b []byte, off int64) error {
		_, err := f.tmp.WriteAt(b, off)
		switch {
		case err == nil:
			wrote.Store(true)
		case !wrote.Load() && isDirectRefused(err):
			// The file system took the flag but refuses the writes: go on the usual
			// way (the writers that find this each clear the flag, harmlessly).
			err = f.writeAtCached(b, off)
		}
		if err != nil {
			return fmt.Errorf("writing temporary file for %q: %w", f.path, err)
		}
		return nil
	}, func() error {
		if err := dataSync(f.tmp); err != nil {
			return fmt.Errorf("syncing %q: %w", f.path, err)
		}
		return nil
	})
}

// finishDirect writes out what f's direct writing still holds and ends it; a no-op
// for a File that did not go direct.
func (f *File) finishDirect() error {
	if f.dio == nil {
		return nil
	}
	d := f.dio
	f.dio = nil
	defer d.release()
	return d.finish(func(b []byte, off int64) error {
		if err := f.writeAtCached(b, off); err != nil {
			return fmt.Errorf("writing temporary file for %q: %w", f.path, err)
		}
		return nil
	})
}

// writeAtCached clears O_DIRECT on f's temporary file and writes b at off the usual
// way: a block the file system refused directly, or the last partial block.
func (f *File) writeAtCached(b []byte, off int64) error {
	err := setDirect(f.tmp, false)
	if err == nil {
		_, err = f.tmp.WriteAt(b, off)
	}
	return err
}

// stopDirect ends f's direct writing without writing what it holds (Abort).
func (f *File) stopDirect() {
	if f.dio != nil {
		f.dio.stop()
		f.dio.release()
		f.dio = nil
	}
}
