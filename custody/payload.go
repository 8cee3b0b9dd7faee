package custody

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"filippo.io/age"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/crypto/seal"
)

// A sealed payload (NAME.age) is matched to the item it belongs to in one read: its
// ciphertext is hashed and, given identities, it is decrypted at the same time and its
// plaintext hashed. Receive, Verify and Bundle.MatchPayload all go through readPayload
// and matchPayload below.

// PayloadOption says how [Bundle.MatchPayload] matches a payload.
type PayloadOption func(*payloadConfig)

type payloadConfig struct {
	item string
	dst  io.Writer
	ids  []age.Identity
}

// ForItem matches the payload against the item named id, instead of finding the item
// whose current sealed payload it is.
func ForItem(id string) PayloadOption {
	return func(c *payloadConfig) { c.item = id }
}

// DecryptTo decrypts the payload with ids as it is read, writes the plaintext to dst
// and checks it against the item's digests. dst sees plaintext before anything is
// checked: keep what it received only when the match has no violation (write to an
// internal/atomicfile temporary file and commit it then).
func DecryptTo(dst io.Writer, ids ...age.Identity) PayloadOption {
	return func(c *payloadConfig) { c.dst, c.ids = dst, append(c.ids, ids...) }
}

// PayloadMatch is what one read of a sealed payload found.
type PayloadMatch struct {
	// Item is the item the payload belongs to: the one named with [ForItem], or the
	// one whose current sealed payload has the payload's digest and size; when the
	// payload matches none, the bundle's only sealed item (the one it should have
	// been), else nil.
	Item *ItemStatus
	// Ciphertext is the SHA-256 of the payload as read, and Size the bytes read. A
	// payload is read one byte past the longest sealed payload it could be, and no
	// further (an endless or huge file is not read to its end): one that goes on past
	// it is not read whole, and a RulePayload violation says it is longer.
	Ciphertext digest.Digest
	Size       int64
	Plaintext  digest.Set // digests of the decrypted plaintext; nil unless decrypted
	// Violations are the rules the payload breaks (RulePayload: not the sealed
	// payload the chain records; RulePlaintext: it does not decrypt, or not to the
	// item's digests). None when everything matched.
	Violations []Violation
}

// MatchPayload reads a sealed payload once and matches it to the bundle's chain as
// the bundle presents it (nothing is verified; see [Verify]): it finds the item
// whose current sealed payload it is (or checks the one named with [ForItem]) and,
// with [DecryptTo], decrypts it in the same read and checks the plaintext against
// that item's digests.
//
// A payload that is not what the chain records is not an error but a Violation. An
// error means the match could not run: the bundle's chain is unreadable, the named
// item is unknown ([ErrUnknownItem]) or has no sealed payload, the bundle has no
// sealed payload at all, the payload cannot be read, the plaintext cannot be
// written, or no identity opens the payload ([seal.ErrNoIdentity]).
func (b *Bundle) MatchPayload(ctx context.Context, payload io.Reader, opts ...PayloadOption) (*PayloadMatch, error) {
	var cfg payloadConfig
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.dst != nil && len(cfg.ids) == 0 {
		return nil, argError("matching payload", "DecryptTo", "no identities to decrypt with")
	}
	cs, err := replay(b)
	if err != nil {
		return nil, fmt.Errorf("reading the bundle's chain: %w", err)
	}
	sealed := cs.sealedItems()
	var want *itemState
	switch {
	case cfg.item != "":
		st, ok := cs.items[cfg.item]
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrUnknownItem, cfg.item)
		}
		if st.sealed == nil {
			return nil, fmt.Errorf("item %s has no sealed payload", st.id)
		}
		want = st
	case len(sealed) == 0:
		return nil, errors.New("the bundle has no sealed payload")
	}
	candidates := sealed
	if want != nil {
		candidates = []*itemState{want}
	}
	pr, err := readPayload(ctx, payload, cfg.dst, cfg.ids, recordedAlgorithms(candidates...), longestSealed(candidates))
	if err != nil {
		return nil, err
	}
	res := matchPayload(sealed, want, pr)
	if pr.noIdentity != nil && res.payload == nil {
		// The right payload, but none of the identities opens it: the match could not
		// run. (Another file than the chain records is the answer whatever the keys.)
		return nil, pr.noIdentity
	}
	m := &PayloadMatch{Ciphertext: pr.ciphertext, Size: pr.size, Plaintext: pr.plaintext}
	if res.item != nil {
		s := res.item.status()
		m.Item = &s
	}
	for _, v := range []*Violation{res.payload, res.header, res.plaintext} {
		if v != nil {
			m.Violations = append(m.Violations, *v)
		}
	}
	return m, nil
}

// payloadRead is what one read of a sealed payload found.
type payloadRead struct {
	ciphertext digest.Digest // SHA-256 of every byte read
	size       int64
	decrypted  bool          // it was decrypted: identities were given and one of them opens it
	plaintext  digest.Set    // when it decrypted and authenticated
	plainSize  int64         // the plaintext's length, with plaintext
	openErr    error         // when it did not (wraps seal.ErrCorrupt, as a *seal.CorruptError)
	noIdentity error         // none of the identities given opens it (wraps seal.ErrNoIdentity)
	stanzas    []seal.Stanza // the recipient stanzas of its age header
	headerErr  error         // when the header cannot be read
	// longer: the payload goes on past limit bytes, the longest sealed payload it could
	// be, and was not read further; the digest and size are of what was read.
	longer bool
	limit  int64
}

// longestSealed is the size of the longest sealed payload among items: no payload
// longer than that can be one of theirs.
func longestSealed(items []*itemState) int64 {
	var n int64
	for _, st := range items {
		n = max(n, st.sealed.Size)
	}
	return n
}

// headCapture keeps the first max bytes written to it: the age header of a payload
// as it streams past.
type headCapture struct {
	buf []byte
	max int
}

func (h *headCapture) Write(p []byte) (int, error) {
	if room := h.max - len(h.buf); room > 0 {
		h.buf = append(h.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// recordedAlgorithms are the plaintext digest algorithms beyond SHA-256 that any of
// items records, in a fixed order: what a decrypted payload must be hashed with so that
// whichever of them it turns out to be, every digest that item records is checked.
// Nothing more is computed (SHA-512 or MD5 alone costs more than the decryption).
func recordedAlgorithms(items ...*itemState) []digest.Algorithm {
	var out []digest.Algorithm
	for _, a := range []digest.Algorithm{digest.SHA512, digest.SHA1, digest.MD5} {
		if slices.ContainsFunc(items, func(st *itemState) bool { _, ok := st.digest.Get(a); return ok }) {
			out = append(out, a)
		}
	}
	return out
}

// readPayload reads src once, to its end or one byte past limit, whichever comes
// first, keeping its age header (for the recipient check). A payload longer than
// limit, the longest sealed payload it could be, cannot match: it is not read further
// (a hostile endless stream, or a disk image given by mistake, would be read and, with
// dst, written out to its end) and comes back marked longer. Without identities it
// hashes the ciphertext. With identities it is crypto/seal's single pass
// ([seal.Verify], or [seal.Open] to dst when dst is not nil): the ciphertext is hashed
// once, decrypted as it is read and the plaintext hashed with SHA-256 and algs. The
// ciphertext digest is known whether or not the payload opens. A payload that no
// identity opens is noIdentity, one that does not decrypt and authenticate is openErr
// (a *seal.CorruptError naming the chunk and offset); an error means src could not be
// read, dst could not be written, or the context ended.
func readPayload(ctx context.Context, src io.Reader, dst io.Writer, ids []age.Identity, algs []digest.Algorithm, limit int64) (payloadRead, error) {
	head := &headCapture{max: seal.MaxHeaderSize}
	capped := capReader(src, limit)
	limit = capped.N - 1 // as capReader clamped it
	pr, err := hashOrOpen(ctx, io.TeeReader(capped, head), dst, ids, algs)
	if err != nil {
		return payloadRead{}, err
	}
	pr.stanzas, pr.headerErr = seal.ReadHeader(bytes.NewReader(head.buf))
	if capped.N == 0 {
		pr.longer, pr.limit = true, limit
		if pr.decrypted {
			// Cut short by the cap: it was not decrypted to its end, whatever seal says.
			pr.openErr, pr.plaintext = fmt.Errorf("not decrypted past the first %d bytes: the payload is longer than the sealed payload the chain records", limit+1), nil
		}
	}
	return pr, nil
}

// capReader reads r up to one byte past limit (clamped to [0, MaxInt64-1], so that a
// hostile size cannot overflow it): N is 0 after it when r goes on past limit.
func capReader(r io.Reader, limit int64) *io.LimitedReader {
	return &io.LimitedReader{R: r, N: min(max(limit, 0), math.MaxInt64-1) + 1}
}

// hashOrOpen is readPayload's one pass over src: a hash of the ciphertext, or, with
// identities, crypto/seal's decryption with both digests.
func hashOrOpen(ctx context.Context, src io.Reader, dst io.Writer, ids []age.Identity, algs []digest.Algorithm) (payloadRead, error) {
	if len(ids) == 0 {
		h, err := digest.NewHasher()
		if err != nil {
			return payloadRead{}, err
		}
		n, err := io.Copy(h, src)
		sum := h.Sum()
		if err != nil {
			return payloadRead{}, fmt.Errorf("reading the payload: %w", err)
		}
		return payloadRead{ciphertext: sum.SHA256(), size: n}, nil
	}
	var res seal.Result
	var err error
	if dst == nil {
		res, err = seal.Verify(ctx, src, ids, seal.WithDigests(algs...))
	} else {
		res, err = seal.Open(ctx, dst, src, ids, seal.WithDigests(algs...))
	}
	pr := payloadRead{ciphertext: res.Ciphertext, size: res.CiphertextSize, decrypted: true, plaintext: res.Plaintext, plainSize: res.PlaintextSize}
	var nomatch *age.NoIdentityMatchError
	switch {
	case errors.As(err, &nomatch):
		pr.decrypted, pr.noIdentity = false, fmt.Errorf("%w: %w", seal.ErrNoIdentity, nomatch)
	case errors.Is(err, seal.ErrNoIdentity):
		pr.decrypted, pr.noIdentity = false, seal.ErrNoIdentity
	case errors.Is(err, seal.ErrCorrupt):
		pr.openErr = err
	case err != nil:
		return payloadRead{}, err // seal names what failed: reading, writing, the context
	}
	return pr, nil
}

// payloadResult is a payload read matched to the items.
type payloadResult struct {
	item      *itemState // the item it belongs to, or (when it matches none) the only sealed item
	payload   *Violation // RulePayload; nil when it is the item's current sealed payload
	header    *Violation // RuleHeader, when it is: nil when the header shows the declared recipients
	plaintext *Violation // RulePlaintext; nil when not decrypted or when it matched
}

// matchPayload matches a payload read to want, or, when want is nil, to the sealed
// item (of sealed, in bundle order) whose current sealed payload it is.
func matchPayload(sealed []*itemState, want *itemState, pr payloadRead) payloadResult {
	is := func(st *itemState) bool {
		return st.sealed.Digest.SHA256().Equal(pr.ciphertext) && st.sealed.Size == pr.size
	}
	var res payloadResult
	if want != nil {
		res.item = want
	} else if i := slices.IndexFunc(sealed, is); i >= 0 {
		res.item = sealed[i]
	} else if len(sealed) == 1 {
		res.item = sealed[0]
	}
	if res.item == nil || pr.longer || !is(res.item) {
		res.payload = &Violation{Rule: RulePayload, Found: fmt.Sprintf("%s (%d bytes)", pr.ciphertext, pr.size),
			Detail:   "the payload is not the sealed payload the chain records: altered, truncated or another file",
			Expected: fmt.Sprintf("the sealed payload of one of %d items", len(sealed))}
		switch {
		case pr.longer && len(sealed) == 0:
			res.payload.Found, res.payload.Expected = "a payload (not read further)", ""
			res.payload.Detail = "the chain records no sealed payload"
		case pr.longer:
			res.payload.Found = fmt.Sprintf("more than %d bytes (not read further)", pr.limit)
			res.payload.Detail = "the payload is longer than the sealed payload the chain records: another file"
		}
		if res.item != nil {
			res.payload.Expected = fmt.Sprintf("%s (%d bytes)", res.item.sealed.Digest.SHA256(), res.item.sealed.Size)
		}
	}
	if res.payload == nil {
		res.header = checkHeader(pr, res.item.sealed.Recipients)
	}
	if pr.decrypted && res.item != nil {
		if pr.openErr != nil {
			res.plaintext = &Violation{Rule: RulePlaintext, Found: "decryption failed: " + corruption(pr.openErr),
				Detail: "the payload does not decrypt and authenticate"}
		} else {
			res.plaintext = plaintextViolation(res.item, pr.plaintext, pr.plainSize)
		}
	}
	return res
}

// corruption says what is wrong with a payload that does not open, and where: the
// *seal.CorruptError's kind with its chunk and byte offset.
func corruption(err error) string {
	var ce *seal.CorruptError
	if errors.As(err, &ce) {
		return ce.Error()
	}
	return err.Error()
}

// checkHeader says how the payload's header departs from the declared recipients.
func checkHeader(pr payloadRead, recipients []string) *Violation {
	if pr.headerErr != nil {
		return &Violation{Rule: RuleHeader, Detail: "the sealed payload's age header cannot be read", Found: pr.headerErr.Error()}
	}
	return headerViolation(pr.stanzas, recipients)
}

// checks are the payload's checks for a report: passed, or failed as the violations say.
func (res payloadResult) checks(subject string, decrypted bool) []Check {
	var out []Check
	switch {
	case res.payload != nil:
		out = append(out, res.payload.check(subject), Check{Rule: RuleHeader, Status: StatusNotChecked, Subject: subject,
			Detail: "the payload is not the one the chain records"})
	case res.header != nil:
		out = append(out, Check{Rule: RulePayload, OK: true, Subject: subject, Detail: "matches the sealed payload of item " + res.item.id},
			res.header.check(subject))
	default:
		out = append(out, Check{Rule: RulePayload, OK: true, Subject: subject, Detail: "matches the sealed payload of item " + res.item.id},
			Check{Rule: RuleHeader, OK: true, Subject: subject, Detail: fmt.Sprintf("sealed to the %d declared %s", len(res.item.sealed.Recipients),
				plural(len(res.item.sealed.Recipients), "recipient", "recipients"))})
	}
	switch {
	case !decrypted || res.item == nil:
	case res.plaintext != nil:
		out = append(out, res.plaintext.check(subject))
	default:
		out = append(out, Check{Rule: RulePlaintext, OK: true, Subject: subject, Detail: "matches the digest of item " + res.item.id})
	}
	return out
}

// plaintextViolation says how plaintext of size bytes with digests set differs from an
// item's digest and recorded size, or nil.
func plaintextViolation(st *itemState, set digest.Set, size int64) *Violation {
	switch {
	case set.Match(st.digest) != nil:
		return &Violation{Rule: RulePlaintext, Expected: st.digest.String(), Found: set.String(),
			Detail: "the evidence does not match item " + st.id + "'s digest"}
	case size != st.item.Size:
		return &Violation{Rule: RulePlaintext, Expected: fmt.Sprintf("%d bytes", st.item.Size), Found: fmt.Sprintf("%d bytes", size),
			Detail: "the evidence has item " + st.id + "'s digest but not the size its statement records"}
	}
	return nil
}

// check is the violation as a failed check of a report.
func (v Violation) check(subject string) Check {
	return Check{Rule: v.Rule, Subject: subject, Expected: v.Expected, Found: v.Found, Detail: v.Detail}
}

// checkArrival says why a payload received is not the item's sealed payload, or nil.
func checkArrival(ctx context.Context, payload io.Reader, st *itemState) *Violation {
	if st.sealed == nil {
		return &Violation{Rule: RulePayload, Detail: "the item has no sealed payload"}
	}
	pr, err := readPayload(ctx, payload, nil, nil, nil, st.sealed.Size)
	if err != nil {
		return &Violation{Rule: RulePayload, Detail: err.Error()}
	}
	res := matchPayload([]*itemState{st}, st, pr)
	if res.payload != nil {
		return res.payload
	}
	return res.header
}

// Reseal re-encrypts the item's payload to new recipients in one streaming pass: the
// payload is checked against the chain's ciphertext digest, decrypted with ids, checked
// against the item's plaintext digest and sealed again to out. The plaintext never
// touches a file. On error, out holds garbage the caller must discard.
func (c *Custodian) Reseal(ctx context.Context, b *Bundle, itemID string, payload io.Reader, ids []age.Identity, out io.Writer, s Sealing, d Details) (*Record, error) {
	ev, st, err := c.follow(b, itemID, Reseal)
	if err != nil {
		return nil, err
	}
	if st.sealed == nil {
		return nil, fmt.Errorf("reseal: item %s has no sealed payload", st.id)
	}
	rs, err := s.parse(Reseal)
	if err != nil {
		return nil, err
	}
	capped := capReader(payload, st.sealed.Size)
	res, err := pipeReseal(ctx, capped, ids, out, rs, st.digest, st.sealed.Digest.SHA256())
	if capped.N == 0 {
		// Not read further: whatever seal made of the part it read, this is not the payload.
		err = fmt.Errorf("%w: the payload is longer than the %d bytes the chain records; it was not read further", seal.ErrCiphertextMismatch, st.sealed.Size)
	}
	if err != nil {
		return nil, fmt.Errorf("reseal of item %s: %w", st.id, err)
	}
	ev.Item.Sealed = &Sealed{Digest: digest.Set{res.Ciphertext}, Size: res.CiphertextSize, Recipients: s.Recipients}
	d.apply(ev)
	return c.record(ctx, b, ev)
}

func pipeReseal(ctx context.Context, payload io.Reader, ids []age.Identity, out io.Writer, rs []age.Recipient, want digest.Set, wantCT digest.Digest) (seal.Result, error) {
	pr, pw := io.Pipe()
	openErr := make(chan error, 1)
	go func() {
		_, err := seal.Open(ctx, pw, payload, ids, seal.WithExpectedPlaintext(want), seal.WithExpectedCiphertext(wantCT))
		pw.CloseWithError(err)
		openErr <- err
	}()
	res, err := seal.Seal(ctx, out, pr, rs)
	pr.CloseWithError(errors.New("reseal stopped"))
	if oerr := <-openErr; oerr != nil {
		return seal.Result{}, oerr
	}
	if err != nil {
		return seal.Result{}, err
	}
	return res, nil
}
