package custody

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
	Item       *ItemStatus
	Ciphertext digest.Digest // SHA-256 of the payload as read
	Size       int64         // bytes read
	Plaintext  digest.Set    // digests of the decrypted plaintext; nil unless decrypted
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
	pr, err := readPayload(ctx, payload, cfg.dst, cfg.ids)
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
	openErr    error         // when it did not
	noIdentity error         // none of the identities given opens it (wraps seal.ErrNoIdentity)
	stanzas    []seal.Stanza // the recipient stanzas of its age header
	headerErr  error         // when the header cannot be read
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

// plaintextAlgorithms are computed when a payload is decrypted: every algorithm an
// item may record, so that each is checked.
var plaintextAlgorithms = []digest.Algorithm{digest.SHA512, digest.SHA1, digest.MD5}

// readPayload reads src to its end, once: it hashes the ciphertext and, given
// identities, decrypts it to dst (nil: discarded) as it goes, hashing the plaintext.
// It is the one place custody reads a sealed payload, so that a decrypt-and-hash
// primitive of crypto/seal that also returns the ciphertext digest when decryption
// fails can replace its body. A payload that no identity opens is noIdentity, one that
// does not decrypt and authenticate is openErr; an error means src could not be read,
// dst could not be written, or the context ended.
func readPayload(ctx context.Context, src io.Reader, dst io.Writer, ids []age.Identity) (payloadRead, error) {
	h, err := digest.NewHasher()
	if err != nil {
		return payloadRead{}, err
	}
	head := &headCapture{max: seal.MaxHeaderSize}
	tee := io.TeeReader(src, io.MultiWriter(h, head))
	pr := payloadRead{decrypted: len(ids) > 0}
	if pr.decrypted {
		if dst == nil {
			dst = io.Discard
		}
		res, err := seal.Open(ctx, dst, tee, ids, seal.WithDigests(plaintextAlgorithms...))
		var nomatch *age.NoIdentityMatchError
		switch {
		case errors.As(err, &nomatch):
			pr.decrypted, pr.noIdentity = false, fmt.Errorf("%w: %w", seal.ErrNoIdentity, nomatch)
		case errors.Is(err, seal.ErrNoIdentity):
			pr.decrypted, pr.noIdentity = false, seal.ErrNoIdentity
		case errors.Is(err, seal.ErrCorrupt):
			pr.openErr = err
		case err != nil:
			h.Sum()
			return payloadRead{}, err
		default:
			pr.plaintext = res.Plaintext
		}
	}
	// Open stops at the first bad chunk: the digest covers the whole file all the same.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		h.Sum()
		return payloadRead{}, fmt.Errorf("reading the payload: %w", err)
	}
	pr.ciphertext, pr.size = h.Sum().SHA256(), h.Size()
	pr.stanzas, pr.headerErr = seal.ReadHeader(bytes.NewReader(head.buf))
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
	if res.item == nil || !is(res.item) {
		res.payload = &Violation{Rule: RulePayload, Found: fmt.Sprintf("%s (%d bytes)", pr.ciphertext, pr.size),
			Detail:   "the payload is not the sealed payload the chain records: altered, truncated or another file",
			Expected: fmt.Sprintf("the sealed payload of one of %d items", len(sealed))}
		if res.item != nil {
			res.payload.Expected = fmt.Sprintf("%s (%d bytes)", res.item.sealed.Digest.SHA256(), res.item.sealed.Size)
		}
	}
	if res.payload == nil {
		res.header = checkHeader(pr, res.item.sealed.Recipients)
	}
	if pr.decrypted && res.item != nil {
		if pr.openErr != nil {
			res.plaintext = &Violation{Rule: RulePlaintext, Found: "decryption failed: " + pr.openErr.Error(),
				Detail: "the payload does not decrypt and authenticate"}
		} else {
			res.plaintext = plaintextViolation(res.item, pr.plaintext)
		}
	}
	return res
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

// plaintextViolation says how plaintext digests differ from an item's, or nil.
func plaintextViolation(st *itemState, set digest.Set) *Violation {
	if set.Match(st.digest) == nil {
		return nil
	}
	return &Violation{Rule: RulePlaintext, Expected: st.digest.String(), Found: set.String(),
		Detail: "the evidence does not match item " + st.id + "'s digest"}
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
	pr, err := readPayload(ctx, payload, nil, nil)
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
	res, err := pipeReseal(ctx, payload, ids, out, rs, st.digest, st.sealed.Digest.SHA256())
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
