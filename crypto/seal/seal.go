package seal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"filippo.io/age"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/internal/atomicfile"
)

// Result describes one pass over a sealed payload: the digests of the
// plaintext and of the age file, and their sizes.
type Result struct {
	Plaintext      digest.Set    // always has sha256; extras with WithDigests
	Ciphertext     digest.Digest // sha256 of the age file bytes exactly as written/read
	PlaintextSize  int64
	CiphertextSize int64
}

// Errors that callers branch on. Errors from [Open] wrap exactly one of
// them when the payload, the identities or the digests are at fault; I/O
// errors of the caller's reader or writer and context errors are returned
// as they are (wrapped with what was being done).
var (
	// ErrPlaintextMismatch: the plaintext does not match WithExpectedPlaintext.
	// The error also wraps a *digest.MismatchError with both values.
	ErrPlaintextMismatch = errors.New("plaintext digest mismatch")
	// ErrCiphertextMismatch: the age file does not match
	// WithExpectedCiphertext. The error also wraps a *digest.MismatchError.
	ErrCiphertextMismatch = errors.New("ciphertext digest mismatch")
	// ErrNoIdentity: none of the identities can open the payload (or none
	// was given). The error also wraps the *age.NoIdentityMatchError.
	ErrNoIdentity = errors.New("no identity matched the sealed payload")
	// ErrCorrupt: the payload is not a well-formed age file, or it fails
	// authentication (truncated, altered or with trailing data).
	ErrCorrupt = errors.New("sealed payload is corrupt or was altered")
)

// Option configures [Seal], [Open] and [OpenFile].
type Option func(*config)

type config struct {
	extra  []digest.Algorithm
	wantPT digest.Set
	wantCT digest.Digest
	err    error // first invalid option
}

func (c *config) invalid(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("invalid option: "+format, args...)
	}
}

// WithDigests asks for extra plaintext digests (SHA-512, SHA-1, MD5) besides
// SHA-256, computed in the same pass.
func WithDigests(extra ...digest.Algorithm) Option {
	return func(c *config) {
		for _, a := range extra {
			if _, err := digest.ParseAlgorithm(string(a)); err != nil {
				c.invalid("WithDigests: %w", err)
				return
			}
		}
		c.extra = append(c.extra, extra...)
	}
}

// WithExpectedPlaintext makes [Open] (and [Seal]) check the plaintext
// against d, which must hold a SHA-256 digest; every other algorithm in d is
// computed and checked too. A mismatch is an error wrapping
// [ErrPlaintextMismatch] and a *digest.MismatchError.
func WithExpectedPlaintext(d digest.Set) Option {
	return func(c *config) {
		if d.SHA256().IsZero() {
			c.invalid("WithExpectedPlaintext: the expected set has no sha256 digest")
			return
		}
		c.wantPT = d
	}
}

// WithExpectedCiphertext makes [Open] check the SHA-256 of the age file
// against d. A mismatch is an error wrapping [ErrCiphertextMismatch].
// It is an error to pass it to [Seal], whose output is random.
func WithExpectedCiphertext(d digest.Digest) Option {
	return func(c *config) {
		if d.Algorithm != digest.SHA256 || len(d.Sum) != digest.SHA256.Size() {
			c.invalid("WithExpectedCiphertext: want a sha256 digest, got %q", d.Algorithm)
			return
		}
		c.wantCT = d
	}
}

func newConfig(opts []Option) (*config, error) {
	c := &config{}
	for _, o := range opts {
		o(c)
	}
	if c.err != nil {
		return nil, c.err
	}
	for _, d := range c.wantPT {
		c.extra = append(c.extra, d.Algorithm)
	}
	return c, nil
}

// Seal encrypts src to recipients as an age file written to dst, reading src
// exactly once. It returns the plaintext digests and the SHA-256 of the age
// file as written, computed in the same pass. Reading and plaintext hashing,
// encryption (of age's 64 KiB chunks, on every core), and ciphertext hashing
// and writing run concurrently on a bounded set of buffers, so memory use is
// constant. age itself writes the header; the file is one that age.Encrypt
// could have written, byte for byte.
//
// With [WithExpectedPlaintext], Seal also checks what it read: a mismatch
// returns the Result and an error wrapping [ErrPlaintextMismatch] (dst then
// holds a complete, valid age file of the unexpected content).
func Seal(ctx context.Context, dst io.Writer, src io.Reader, recipients []age.Recipient, opts ...Option) (Result, error) {
	c, err := newConfig(opts)
	if err != nil {
		return Result{}, fmt.Errorf("seal: %w", err)
	}
	if !c.wantCT.IsZero() {
		return Result{}, errors.New("seal: WithExpectedCiphertext applies to Open only")
	}
	if len(recipients) == 0 {
		return Result{}, errors.New("seal: no recipients")
	}
	pt, err := digest.NewHasher(c.extra...)
	if err != nil {
		return Result{}, fmt.Errorf("seal: %w", err)
	}
	ct, _ := digest.NewHasher()
	if err := context.Cause(ctx); err != nil {
		return Result{}, fmt.Errorf("seal: %w", err)
	}

	// A small input is read whole first and sealed in memory: no pipeline, no
	// goroutines, no ring buffers. A larger one goes on through the pipeline,
	// starting with what was read.
	head := smallPool.Get().(*[]byte)
	defer releaseSmall(head)
	n, err := io.ReadFull(src, (*head)[:smallMax+1])
	*head = (*head)[:n]
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		if err := sealSmall(dst, *head, recipients, pt, ct); err != nil {
			return Result{}, fmt.Errorf("seal: %w", err)
		}
		return c.result(pt, ct)
	case err != nil:
		return Result{}, fmt.Errorf("seal: reading plaintext: %w", err)
	}
	src = io.MultiReader(bytes.NewReader(*head), src)
	if err := sealPipeline(ctx, dst, src, recipients, pt, ct); err != nil {
		return Result{}, fmt.Errorf("seal: %w", err)
	}
	return c.result(pt, ct)
}

// sealPipeline is Seal of a stream: age writes the header, then reading and
// plaintext hashing (pt), encryption of the payload's chunks on every core, and
// ciphertext hashing (ct) and writing run concurrently on bounded memory
// (sealpipe.go).
func sealPipeline(ctx context.Context, dst io.Writer, src io.Reader, recipients []age.Recipient, pt, ct io.Writer) error {
	header, aead, err := sealHeader(recipients)
	if err != nil {
		return fmt.Errorf("encrypting: %w", err)
	}
	return sealPayload(ctx, dst, src, header, aead, pt, ct)
}

// result is what Seal returns once pt and ct have seen every byte: their digests,
// checked against WithExpectedPlaintext.
func (c *config) result(pt, ct *digest.Hasher) (Result, error) {
	res := Result{Plaintext: pt.Sum(), Ciphertext: ct.Sum().SHA256(), PlaintextSize: pt.Size(), CiphertextSize: ct.Size()}
	if c.wantPT != nil {
		if err := res.Plaintext.Match(c.wantPT); err != nil {
			return res, fmt.Errorf("seal: %w: %w", ErrPlaintextMismatch, err)
		}
	}
	return res, nil
}

// smallMax is the largest input that Seal seals in memory: one age chunk. A bulk
// disclosure of thousands of small files would otherwise pay, per file, three
// goroutines and two ring buffers (taken from the pool, and cleared whole when given
// back) for a few bytes.
const smallMax = plainChunkSize

// smallPool holds the buffers that Seal reads a small input into: smallMax+1 bytes,
// so that a read that fills them tells a larger input. Only the bytes used are
// cleared when a buffer goes back.
var smallPool = sync.Pool{New: func() any { b := make([]byte, 0, smallMax+1); return &b }}

// sealedPool holds the buffers that sealSmall encrypts into.
var sealedPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledSealed is the largest sealed buffer kept for reuse: one chunk and a few
// recipients' stanzas. One grown larger (many or post-quantum recipients) is dropped.
const maxPooledSealed = 2 * smallMax

func releaseSmall(b *[]byte) {
	clear(*b) // plaintext
	*b = (*b)[:0]
	smallPool.Put(b)
}

// sealSmall is Seal of a plaintext held whole in memory: pt hashes the plaintext, ct
// the age file, which is written to dst in one write. It produces what the pipeline
// would (age's own encoder writes the file either way; only its nonce and keys,
// random, differ from one seal to another).
func sealSmall(dst io.Writer, plain []byte, recipients []age.Recipient, pt, ct io.Writer) error {
	if _, err := pt.Write(plain); err != nil {
		return fmt.Errorf("hashing plaintext: %w", err)
	}
	out := sealedPool.Get().(*bytes.Buffer)
	defer func() {
		if out.Cap() <= maxPooledSealed {
			clear(out.Bytes())
			out.Reset()
			sealedPool.Put(out)
		}
	}()
	w, err := age.Encrypt(out, recipients...)
	if err != nil {
		return fmt.Errorf("encrypting: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return fmt.Errorf("encrypting: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("encrypting: %w", err)
	}
	return wrap("writing sealed payload", writeHashed(dst, ct, out.Bytes()))
}

// Open decrypts the age file src with identities and writes the plaintext to
// dst. dst sees plaintext as each 64 KiB chunk authenticates, before the end
// of the file and before any digest check: use [OpenFile] to get a file only
// when everything verified. Open returns the plaintext digests (with the
// algorithms of WithDigests and WithExpectedPlaintext) and the SHA-256 of the
// age file as read. It is [Verify] with a destination: the same single
// pass, the same Result and errors.
//
// Failures wrap [ErrNoIdentity], [ErrCorrupt], [ErrCiphertextMismatch] or
// [ErrPlaintextMismatch]. On any of them the Result carries the ciphertext
// digest and size; on a digest mismatch the plaintext digests too.
func Open(ctx context.Context, dst io.Writer, src io.Reader, identities []age.Identity, opts ...Option) (Result, error) {
	if dst == nil {
		return Result{}, errors.New("open: nil destination (use Verify)")
	}
	return openPayload(ctx, "open", dst, src, identities, opts)
}

// OpenFile is [Open] into a new file at path (mode 0600): the plaintext goes
// to a temporary file in the same directory, which is renamed to path only
// after the whole payload authenticated and every requested digest matched.
// On any failure no file is left at path (an existing file there is left
// untouched). On success an existing file at path is replaced.
func OpenFile(ctx context.Context, path string, src io.Reader, identities []age.Identity, opts ...Option) (Result, error) {
	f, err := atomicfile.Create(path, 0o600)
	if err != nil {
		return Result{}, fmt.Errorf("open: %w", err)
	}
	res, err := Open(ctx, f, src, identities, opts...)
	if err != nil {
		return res, errors.Join(err, f.Abort())
	}
	if err := f.Commit(); err != nil {
		return Result{}, fmt.Errorf("open: %w", err)
	}
	return res, nil
}

// ageMagic opens every binary age file.
const ageMagic = "age-encryption.org/"

// CiphertextDigest returns the SHA-256 and size of an age file without
// decrypting it: the digest [Seal] returned as Result.Ciphertext. It rejects
// input that does not start like a (binary, unarmored) age file.
func CiphertextDigest(r io.Reader) (digest.Digest, int64, error) {
	head := make([]byte, len(ageMagic))
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return digest.Digest{}, 0, fmt.Errorf("reading sealed payload: %w", err)
	}
	if !bytes.Equal(head[:n], []byte(ageMagic)) {
		return digest.Digest{}, 0, fmt.Errorf("%w: not an age file (it does not start with %q)", ErrCorrupt, ageMagic)
	}
	set, size, err := digest.Reader(io.MultiReader(bytes.NewReader(head), r))
	if err != nil {
		return digest.Digest{}, 0, fmt.Errorf("reading sealed payload: %w", err)
	}
	return set.SHA256(), size, nil
}

func wrap(doing string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", doing, err)
}
