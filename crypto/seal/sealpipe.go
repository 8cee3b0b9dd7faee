package seal

import (
	"bytes"
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

// The seal pipeline. age's own writer seals the payload's chunks one after
// another on one core; they are independent (each has its own nonce, see
// stream.go), so the pipeline seals them on every core instead:
//
//	read + hash plaintext → seal chunks (GOMAXPROCS workers) → hash + write age file, in order
//
// The header (recipients' stanzas, MAC) and the payload nonce are still age's
// own: [sealHeader] runs age.Encrypt and keeps what it writes before the
// payload, and the file key it drew (from the first recipient's Wrap).
//
// The stages pass slots, each of chunkSize of plaintext, through bounded
// channels: at most ringSlots slots exist per pipeline, so memory is constant.
// Each plaintext chunk is read at the offset of its sealed chunk, with room
// for the tag after it, so that it is sealed in place and a slot's sealed
// chunks lie end to end, ready to write: no copy between stages.

// slotChunks is the number of payload chunks in a full slot.
const slotChunks = chunkSize / plainChunkSize

// sealSlot is a slot of the seal pipeline: consecutive chunks of the payload.
type sealSlot struct {
	buf   []byte        // slotChunks*sealedChunkSize bytes
	size  int           // plaintext bytes in buf
	first uint64        // index of its first chunk in the payload
	last  bool          // it holds the final chunk
	done  chan struct{} // a token once its chunks are sealed (capacity 1)
}

// slotPool holds slots between pipelines, cleared.
var slotPool = sync.Pool{New: func() any {
	return &sealSlot{buf: make([]byte, slotChunks*sealedChunkSize), done: make(chan struct{}, 1)}
}}

// chunks is the number of payload chunks in s: an empty final slot (an empty
// payload) is one empty chunk.
func (s *sealSlot) chunks() int { return max(1, (s.size+plainChunkSize-1)/plainChunkSize) }

// sealed returns the sealed chunks of s, once sealed.
func (s *sealSlot) sealed() []byte {
	return s.buf[:s.size+s.chunks()*chacha20poly1305.Overhead]
}

// seal encrypts the chunks of s in place, n being scratch space.
func (s *sealSlot) seal(aead cipher.AEAD, n *chunkNonce) {
	rest := s.size
	for i := range s.chunks() {
		m := min(rest, plainChunkSize)
		off := i * sealedChunkSize
		last := s.last && i == s.chunks()-1
		aead.Seal(s.buf[off:off], n.of(s.first+uint64(i), last), s.buf[off:off+m], nil)
		rest -= m
	}
}

// sealer is one run of the seal pipeline.
type sealer struct {
	ctx  context.Context
	aead cipher.AEAD
	free chan *sealSlot // slots for the reader to fill
	work chan *sealSlot // filled slots, for the workers to seal
	full chan *sealSlot // the same slots in payload order, for the writer
	made []*sealSlot    // every slot taken from the pool; the reader's until the group ends
}

func newSealer(ctx context.Context, aead cipher.AEAD) *sealer {
	return &sealer{
		ctx:  ctx,
		aead: aead,
		free: make(chan *sealSlot, ringSlots),
		work: make(chan *sealSlot, ringSlots),
		full: make(chan *sealSlot, ringSlots),
	}
}

// sealPayload writes header (age's header and payload nonce) and then the
// payload of src, sealed with aead, to dst: pt sees the plaintext, ct the
// whole age file as written.
func sealPayload(ctx context.Context, dst io.Writer, src io.Reader, header []byte, aead cipher.AEAD, pt, ct io.Writer) error {
	g := newGroup(ctx)
	p := newSealer(g.ctx, aead)
	g.run(func() error { return wrap("reading plaintext", p.read(src, pt)) })
	for range runtime.GOMAXPROCS(0) {
		g.run(func() error { return wrap("encrypting", p.encrypt()) })
	}
	g.run(func() error { return wrap("writing sealed payload", p.write(dst, ct, header)) })
	err := g.wait()
	p.release()
	return err
}

// get returns an empty slot for the chunks from index first on.
func (p *sealer) get(first uint64) (*sealSlot, error) {
	if err := context.Cause(p.ctx); err != nil {
		return nil, err
	}
	var s *sealSlot
	select {
	case s = <-p.free:
	default:
		if len(p.made) < ringSlots {
			s = slotPool.Get().(*sealSlot)
			p.made = append(p.made, s)
			break
		}
		select {
		case s = <-p.free:
		case <-p.ctx.Done():
			return nil, context.Cause(p.ctx)
		}
	}
	s.size, s.first, s.last = 0, first, false
	return s, nil
}

// send passes a filled slot on to the workers and the writer. It never
// blocks: both channels have room for every slot there is.
func (p *sealer) send(s *sealSlot) {
	p.work <- s
	p.full <- s
}

// read is the first stage: it reads src into slots, chunk by chunk, hashing
// the plaintext into pt. A full slot is held back until more plaintext
// follows it, for only then is it known not to hold the final chunk.
func (p *sealer) read(src io.Reader, pt io.Writer) error {
	var held *sealSlot
	s, err := p.get(0)
	if err != nil {
		return err
	}
	for {
		off := s.size / plainChunkSize * sealedChunkSize
		n, rerr := io.ReadFull(src, s.buf[off:off+plainChunkSize])
		if n > 0 {
			if _, err := pt.Write(s.buf[off : off+n]); err != nil {
				return err
			}
			if held != nil {
				p.send(held)
				held = nil
			}
			s.size += n
		}
		switch {
		case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
			p.finish(s, held)
			return nil
		case rerr != nil:
			return rerr
		}
		if s.size == chunkSize {
			held = s
			if s, err = p.get(held.first + slotChunks); err != nil {
				return err
			}
		}
	}
}

// finish sends the slot with the final chunk: s, or held when the input
// ended where s would have started (an empty s then stays unused). An empty
// input is one empty final chunk.
func (p *sealer) finish(s, held *sealSlot) {
	if s.size == 0 && held != nil {
		p.free <- s
		s = held
	}
	s.last = true
	p.send(s)
	close(p.work)
	close(p.full)
}

// encrypt is a worker: it seals slots until there are no more.
func (p *sealer) encrypt() error {
	var n chunkNonce
	for {
		select {
		case s, ok := <-p.work:
			if !ok {
				return nil
			}
			s.seal(p.aead, &n)
			s.done <- struct{}{}
		case <-p.ctx.Done():
			return context.Cause(p.ctx)
		}
	}
}

// write is the last stage: it writes header, then each slot's sealed
// chunks as soon as they are sealed, in order, hashing all it writes into ct.
func (p *sealer) write(dst, ct io.Writer, header []byte) error {
	if err := writeHashed(dst, ct, header); err != nil {
		return err
	}
	for {
		var s *sealSlot
		select {
		case next, ok := <-p.full:
			if !ok {
				return nil
			}
			s = next
		case <-p.ctx.Done():
			return context.Cause(p.ctx)
		}
		select {
		case <-s.done:
		case <-p.ctx.Done():
			return context.Cause(p.ctx)
		}
		if err := writeHashed(dst, ct, s.sealed()); err != nil {
			return err
		}
		p.free <- s
	}
}

// writeHashed hashes b into ct and writes it to dst.
func writeHashed(dst, ct io.Writer, b []byte) error {
	if _, err := ct.Write(b); err != nil {
		return err
	}
	n, err := dst.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	return err
}

// release gives the slots back to the pool, cleared (they held plaintext
// and ciphertext). Call it once every stage has returned.
func (p *sealer) release() {
	for _, s := range p.made {
		clear(s.buf)
		select {
		case <-s.done: // sealed but never written: the pipeline failed
		default:
		}
		slotPool.Put(s)
	}
	p.made = nil
}

// sealHeader has age.Encrypt start an age file to recipients and returns
// what it wrote before the payload (the header, then the 16-byte payload
// nonce) and the AEAD of the payload, keyed from the file key that age drew.
// age's stream writer is dropped unused. The file key is cleared (in age's
// own buffer: age no longer needs it once Encrypt returns).
func sealHeader(recipients []age.Recipient) ([]byte, cipher.AEAD, error) {
	fk := &fileKeyCapture{r: recipients[0]}
	rs := append([]age.Recipient{fk}, recipients[1:]...)
	var hdr bytes.Buffer
	_, err := age.Encrypt(&hdr, rs...)
	defer func() { clear(fk.key) }()
	if err != nil {
		return nil, nil, err
	}
	b := hdr.Bytes()
	if len(fk.key) == 0 || headerEnd(b) != len(b)-payloadNonceLen {
		return nil, nil, errors.New("age did not write a header and nonce as expected")
	}
	aead, err := payloadAEAD(fk.key, b[len(b)-payloadNonceLen:])
	if err != nil {
		return nil, nil, fmt.Errorf("deriving the payload key: %w", err)
	}
	return b, aead, nil
}

// fileKeyCapture is a recipient that keeps the file key age.Encrypt asks it
// to wrap and lets r wrap it. It forwards labels exactly as age reads them
// from r (none when r has no WrapWithLabels), so that age's rules on mixing
// recipients (a scrypt recipient alone, no classic with post-quantum) hold.
type fileKeyCapture struct {
	r   age.Recipient
	key []byte
}

var _ age.RecipientWithLabels = (*fileKeyCapture)(nil)

func (c *fileKeyCapture) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	c.key = fileKey
	return c.r.Wrap(fileKey)
}

func (c *fileKeyCapture) WrapWithLabels(fileKey []byte) ([]*age.Stanza, []string, error) {
	c.key = fileKey
	if r, ok := c.r.(age.RecipientWithLabels); ok {
		return r.WrapWithLabels(fileKey)
	}
	s, err := c.r.Wrap(fileKey)
	return s, nil, err
}
