package custody

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Reading a bundle's JSON is done in order, on one core. While it goes on, the other
// cores compute what every record will be asked for as soon as it is read: its
// commitment (the SHA-256 of its envelope's PAE), its statement and its receipt. The
// statement and the receipt are parsed as [Record.Statement] and [Record.Receipt] would
// parse them later, once, with their errors kept for them to return: reading a bundle
// fails or succeeds exactly as without this.

// prefetch is the records of a bundle being read, and the workers that complete them,
// pipeBlock records at a time. A bundle of fewer records (or one read on a single
// core) starts no worker: records completes them in order on the reader's goroutine.
type prefetch struct {
	maxChain int       // Limits.CertificateChain of the read
	recs     []*Record // every record read, in order
	sent     int       // recs[:sent] were given to the workers
	jobs     chan []*Record
	wg       sync.WaitGroup
}

// add takes the event just read, and gives the workers the records read since the last
// block once a block is complete.
func (p *prefetch) add(wr *wireRecord) {
	p.recs = append(p.recs, &Record{Envelope: wr.Envelope, Proof: wr.Proof, maxChain: p.maxChain})
	workers := min(runtime.GOMAXPROCS(0), 8)
	switch {
	case len(p.recs)-p.sent < pipeBlock:
		return
	case p.jobs == nil && workers < 2:
		return
	case p.jobs == nil:
		p.jobs = make(chan []*Record, 64)
		for range workers {
			p.wg.Go(func() {
				for block := range p.jobs {
					for _, r := range block {
						r.complete(true)
					}
				}
			})
		}
	}
	p.jobs <- p.recs[p.sent:len(p.recs):len(p.recs)]
	p.sent = len(p.recs)
}

// stop gives the workers the last records and waits for them to finish.
func (p *prefetch) stop() {
	if p.jobs == nil {
		return
	}
	if p.sent < len(p.recs) {
		p.jobs <- p.recs[p.sent:]
		p.sent = len(p.recs)
	}
	close(p.jobs)
	p.wg.Wait()
	p.jobs = nil
}

// records returns the records read, complete. Every one must have an envelope and a
// proof.
func (p *prefetch) records() []*Record {
	if p.jobs == nil {
		for _, r := range p.recs {
			r.complete(false)
		}
	}
	p.stop()
	return p.recs
}

// complete computes the commitment of a record read from a bundle (as [NewRecord]
// does) and, when parse is set, parses its statement and receipt ahead of their use.
// A record without an envelope or a proof, which the bundle's reader refuses, is left
// as it is.
func (r *Record) complete(parse bool) {
	if r.Envelope == nil || r.Proof == "" {
		return
	}
	r.commit()
	if parse {
		_, _ = r.Statement()
		r.parseReceipt()
	}
}

// inParallel calls f(i) for every i in [0, n) on every core (at most 8) and returns
// when all calls have returned.
func inParallel(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), 8) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		})
	}
	wg.Wait()
}
