package seal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"

	"github.com/evidctl/evidctl/crypto/digest"
)

// Verify checks a sealed payload without writing its plaintext anywhere. It
// reads src once; the SHA-256 of the age file as read, the decryption and
// authentication of every chunk, and the plaintext digests (SHA-256 plus
// the algorithms of [WithDigests] and [WithExpectedPlaintext]) run as three
// overlapping stages on bounded rings, so memory stays constant and no
// byte is hashed twice. The plaintext exists only in those rings.
//
// Verify reads src to its end even when the payload does not open, so the
// Result always carries Ciphertext and CiphertextSize when src could be
// read: the digest a report compares with the recorded one. Plaintext and
// PlaintextSize are set only when every chunk authenticated.
//
// Failures wrap exactly one of [ErrNoIdentity] (with age's
// *age.NoIdentityMatchError), [ErrCorrupt] (as a [*CorruptError] naming the
// fault and its offset), [ErrCiphertextMismatch] or [ErrPlaintextMismatch],
// in that order of precedence. Errors reading src, and cancellation of ctx,
// are returned as they are, with an empty Result.
func Verify(ctx context.Context, src io.Reader, identities []age.Identity, opts ...Option) (Result, error) {
	return openPayload(ctx, "verify", nil, src, identities, opts)
}

// openPayload is the one pass behind [Verify], [Open] and [OpenFile]; dst
// may be nil.
func openPayload(ctx context.Context, op string, dst io.Writer, src io.Reader, identities []age.Identity, opts []Option) (Result, error) {
	c, err := newConfig(opts)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", op, err)
	}
	if len(identities) == 0 {
		return Result{}, fmt.Errorf("%s: %w: no identities given", op, ErrNoIdentity)
	}
	pt, err := digest.NewHasher(c.extra...)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", op, err)
	}
	ct, _ := digest.NewHasher()
	// Where the plaintext is hashed balances the stages: with nothing to
	// write, in the last stage (each stage then does one of the three
	// passes); with a destination, as each chunk is decrypted, while it is
	// in cache, leaving the last stage to the writes.
	var decHash, drainHash io.Writer = pt, io.Discard
	if dst == nil {
		dst, decHash, drainHash = io.Discard, io.Discard, pt
	}

	g := newGroup(ctx)
	sealed, plain := newRing(g.ctx), newRing(g.ctx)
	d := &decrypter{sealed: sealed, plain: plain, ids: identities, observe: decHash}
	g.run(func() error { return wrap("reading sealed payload", sealed.fill(src, ct)) })
	g.run(d.run)
	g.run(func() error { return wrap("writing plaintext", plain.drain(dst, drainHash)) })
	err = g.wait()
	sealed.release()
	plain.release()
	ptSet := pt.Sum()
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", op, err)
	}
	res := Result{Ciphertext: ct.Sum().SHA256(), CiphertextSize: ct.Size()}
	if d.fault != nil {
		return res, fmt.Errorf("%s: %w", op, d.fault)
	}
	res.Plaintext, res.PlaintextSize = ptSet, pt.Size()
	return res, c.check(op, res)
}

// check compares res with the expected digests of the options.
func (c *config) check(op string, res Result) error {
	if !c.wantCT.IsZero() && !res.Ciphertext.Equal(c.wantCT) {
		me := &digest.MismatchError{Algorithm: digest.SHA256, Want: c.wantCT, Got: res.Ciphertext}
		return fmt.Errorf("%s: %w: %w", op, ErrCiphertextMismatch, me)
	}
	if c.wantPT != nil {
		if err := res.Plaintext.Match(c.wantPT); err != nil {
			return fmt.Errorf("%s: %w: %w", op, ErrPlaintextMismatch, err)
		}
	}
	return nil
}

// decrypter is the middle stage of openPayload: it takes the age file from
// the sealed ring, opens the header with age, and decrypts the payload
// chunks into the plain ring. When the payload does not open it records
// why in fault, passes no more plaintext on and keeps draining the sealed
// ring, so that the first stage still hashes the whole file.
type decrypter struct {
	sealed, plain *ring
	ids           []age.Identity
	observe       io.Writer // sees the plaintext of each chunk (a hash)

	fault error // why the payload does not open; read after the group ends

	hdr     []byte // header bytes so far, until the header is opened
	hdrLen  int64  // length of the header once opened
	fileKey []byte // from the header, until the nonce is read
	nonce   []byte // payload nonce so far
	p       *payloadOpener
	pend    []byte // a sealed chunk that spans ring buffers
	out     []byte // plaintext buffer being filled
	size    int64  // bytes of the age file seen
}

func (d *decrypter) run() error {
	for {
		b, err := d.sealed.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if d.fault == nil {
			if err := d.consume(b); err != nil {
				return err
			}
		}
		d.size += int64(len(b))
		d.sealed.recycle(b)
	}
	if d.fault == nil {
		if err := d.finish(); err != nil {
			return err
		}
	}
	clear(d.fileKey)
	if d.fault != nil && d.out != nil {
		d.plain.recycle(d.out) // drop plaintext not yet passed on
		d.out = nil
	}
	if len(d.out) > 0 {
		if err := d.plain.put(d.out); err != nil {
			return err
		}
	} else if d.out != nil {
		d.plain.recycle(d.out)
	}
	d.plain.closeWrite()
	return nil
}

// fail records the first fault of the payload; offset, when not -1, is
// where a *CorruptError's fault is.
func (d *decrypter) fail(err error, offset int64) {
	var ce *CorruptError
	if errors.As(err, &ce) && offset >= 0 {
		ce.Offset = offset
	}
	d.fault = err
}

// consume takes one buffer of the age file. It returns only pipeline
// errors (cancellation); faults of the payload go to fail.
func (d *decrypter) consume(b []byte) error {
	off := d.size // offset of b[0] in the file
	for len(b) > 0 && d.fault == nil {
		var n int
		switch {
		case d.p == nil && d.fileKey == nil:
			n = d.header(b)
		case d.p == nil:
			n = d.payloadNonce(b)
		case d.p.done:
			d.fail(&CorruptError{Kind: ErrTrailingData, Chunk: -1,
				Detail: fmt.Sprintf("at least %d bytes after the final chunk", len(b))}, off)
			return nil
		default:
			var err error
			if n, err = d.chunks(b); err != nil {
				return err
			}
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}

// header accumulates the header, opens it when complete and returns how
// many bytes of b it used.
func (d *decrypter) header(b []byte) int {
	start := len(d.hdr)
	d.hdr = append(d.hdr, b[:min(len(b), maxHeaderSize-start)]...)
	end := headerEnd(d.hdr)
	if end < 0 {
		switch {
		case !bytes.HasPrefix(d.hdr, []byte(ageIntro)) && !bytes.HasPrefix([]byte(ageIntro), d.hdr):
			d.headerFault(ErrBadHeader, 0)
		case len(d.hdr) >= maxHeaderSize:
			d.fail(&CorruptError{Kind: ErrBadHeader, Chunk: -1, Detail: "no end of header in the first 2 MiB (age's limit)"}, 0)
		}
		return len(b)
	}
	key, err := age.DecryptHeader(d.hdr[:end], d.ids...)
	d.hdr, d.hdrLen = nil, int64(end)
	if err != nil {
		var nim *age.NoIdentityMatchError
		if errors.As(err, &nim) || errors.Is(err, age.ErrIncorrectIdentity) {
			d.fail(noIdentity(err), -1)
		} else {
			d.fail(&CorruptError{Kind: ErrBadHeader, Chunk: -1, Err: err}, 0)
		}
		return len(b)
	}
	d.fileKey = key
	return end - start
}

// headerFault reports the header read so far as kind, with age's own
// explanation of what is wrong with it (parsing only: no identity runs).
func (d *decrypter) headerFault(kind error, offset int64) {
	_, err := age.ExtractHeader(bytes.NewReader(d.hdr))
	d.fail(&CorruptError{Kind: kind, Chunk: -1, Err: err}, offset)
}

// payloadNonce reads the 16-byte payload nonce and sets up the opener.
func (d *decrypter) payloadNonce(b []byte) int {
	n := min(len(b), payloadNonceLen-len(d.nonce))
	d.nonce = append(d.nonce, b[:n]...)
	if len(d.nonce) < payloadNonceLen {
		return n
	}
	p, err := newPayloadOpener(d.fileKey, d.nonce)
	clear(d.fileKey)
	d.fileKey = nil
	if err != nil {
		d.fail(&CorruptError{Kind: ErrBadHeader, Chunk: -1, Err: err}, d.hdrLen)
		return n
	}
	d.p = p
	return n
}

// chunks opens the whole sealed chunks of b, keeping a partial one in pend,
// and returns how many bytes of b it used (less than len(b) only after the
// final chunk or a fault).
func (d *decrypter) chunks(b []byte) (int, error) {
	used := 0
	for used < len(b) && d.fault == nil && !d.p.done {
		rest := b[used:]
		var c []byte
		if len(d.pend) == 0 && len(rest) >= sealedChunkSize {
			c = rest[:sealedChunkSize]
			used += sealedChunkSize
		} else {
			if d.pend == nil {
				d.pend = make([]byte, 0, sealedChunkSize)
			}
			n := copy(d.pend[len(d.pend):sealedChunkSize], rest)
			d.pend = d.pend[:len(d.pend)+n]
			used += n
			if len(d.pend) < sealedChunkSize {
				return used, nil
			}
			c = d.pend
		}
		if err := d.open(c, false); err != nil {
			return used, err
		}
		d.pend = d.pend[:0]
	}
	return used, nil
}

// open opens one sealed chunk into the plain ring.
func (d *decrypter) open(c []byte, atEnd bool) error {
	if d.out != nil && cap(d.out)-len(d.out) < plainChunkSize {
		if err := d.plain.put(d.out); err != nil {
			return err
		}
		d.out = nil
	}
	if d.out == nil {
		b, err := d.plain.get()
		if err != nil {
			return err
		}
		d.out = b[:0]
	}
	offset := d.hdrLen + payloadNonceLen + int64(d.p.chunk)*sealedChunkSize
	pt, err := d.p.open(d.out[len(d.out):len(d.out)], c, atEnd)
	if err != nil {
		d.fail(err, offset)
		return nil
	}
	d.out = d.out[:len(d.out)+len(pt)]
	_, err = d.observe.Write(pt)
	return err
}

// finish handles the end of the file.
func (d *decrypter) finish() error {
	end := d.size
	truncated := func(detail string, chunk int64) {
		d.fail(&CorruptError{Kind: ErrTruncated, Chunk: chunk, Detail: detail}, end)
	}
	switch {
	case d.p == nil && d.fileKey == nil:
		d.headerFault(ErrTruncated, end)
	case d.p == nil:
		truncated("the file ends inside the payload nonce", -1)
	case d.p.done:
	case len(d.pend) > 0:
		return d.open(d.pend, true)
	default:
		truncated("the file ends after a chunk not marked final", int64(d.p.chunk))
	}
	return nil
}
