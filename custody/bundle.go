package custody

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/internal/atomicfile"
	"github.com/evidctl/evidctl/ledger"
)

// BundleMediaType is the media type of a custody bundle file (NAME.custody.json).
const BundleMediaType = "application/vnd.evidctl.bundle.v1+json"

// BundleSuffix and PayloadSuffix name the two files of a case: NAME.custody.json and NAME.age.
const (
	BundleSuffix  = ".custody.json"
	PayloadSuffix = ".age"
)

// Bundle is the portable record of custody: every event's signed envelope with its log
// receipt, consistency proofs between the checkpoints those receipts cite, and the
// checkpoints the statements cite as read before signing (their anchors).
type Bundle struct {
	Events      []*Record
	Consistency []Consistency
	Anchors     []AnchorCheckpoint
}

// Record is one event in a bundle: its DSSE envelope and its tlog-proof receipt.
type Record struct {
	Envelope *sign.Envelope
	Proof    string // c2sp.org/tlog-proof@v1 text

	commitment [32]byte
	commitText string // "sha256:<hex>" of commitment
	maxChain   int    // certificates an actor's chain may hold; 0: the default
	parse      sync.Once
	statement  *Statement
	err        error

	parseProof sync.Once
	receipt    *ledger.Receipt
	proofErr   error // from parsing the receipt

	readHead sync.Once // only audit and Custodian read it; Verify does not
	head     ledger.Head
	headErr  error // from reading its checkpoint's head
}

// Consistency is a consistency proof between two sizes of one log.
type Consistency struct {
	Origin  string      `json:"origin"`
	OldSize uint64      `json:"oldSize"`
	NewSize uint64      `json:"newSize"`
	Proof   []tlog.Hash `json:"proof"` // RFC 6962 hashes, base64 in JSON
}

type wireBundle struct {
	MediaType   string             `json:"mediaType"`
	Events      []wireRecord       `json:"events"`
	Consistency []Consistency      `json:"consistency,omitempty"`
	Anchors     []AnchorCheckpoint `json:"anchors,omitempty"`
}

type wireRecord struct {
	Envelope *sign.Envelope `json:"envelope"`
	Proof    string         `json:"proof"`
}

// NewRecord makes a record of an envelope and the text of its receipt.
func NewRecord(env *sign.Envelope, proof string) *Record {
	return newRecord(env, proof, env.Commitment())
}

// newRecord is NewRecord of an envelope whose commitment c is known.
func newRecord(env *sign.Envelope, proof string, c [32]byte) *Record {
	r := &Record{Envelope: env, Proof: proof}
	r.setCommitment(c)
	return r
}

// commit computes the record's commitment from its envelope.
func (r *Record) commit() { r.setCommitment(r.Envelope.Commitment()) }

// setCommitment sets the record's commitment and its "sha256:<hex>" text.
func (r *Record) setCommitment(c [32]byte) {
	r.commitment, r.commitText = c, "sha256:"+hex.EncodeToString(c[:])
}

// Commitment is the log leaf of the record's envelope: SHA-256 of its DSSE PAE.
func (r *Record) Commitment() [32]byte { return r.commitment }

// CommitmentString is the commitment as "sha256:<hex>", the form prev, transfer and
// parents cite.
func (r *Record) CommitmentString() string { return r.commitText }

// Statement decodes the record's payload as a custody statement. The result is
// cached: callers must not modify it.
func (r *Record) Statement() (*Statement, error) {
	r.parse.Do(func() {
		if r.Envelope.PayloadType != PayloadType {
			r.err = fmt.Errorf("envelope payloadType is %q, want %q", r.Envelope.PayloadType, PayloadType)
			return
		}
		l := DefaultLimits()
		if r.maxChain > 0 {
			l.CertificateChain = r.maxChain
		}
		r.statement, r.err = parseStatement(r.Envelope.Payload, l)
	})
	return r.statement, r.err
}

// Receipt parses the record's tlog-proof. The result is cached: callers must not
// modify it.
func (r *Record) Receipt() (*ledger.Receipt, error) {
	r.parseReceipt()
	return r.receipt, r.proofErr
}

// logHead is what the receipt's checkpoint claims (origin, size, root), unverified:
// enough to find the bundle's latest checkpoint of a log.
func (r *Record) logHead() (ledger.Head, error) {
	r.parseReceipt()
	if r.proofErr != nil {
		return ledger.Head{}, r.proofErr
	}
	r.readHead.Do(func() { r.head, r.headErr = ledger.ReadHeadUnverified(r.receipt.Checkpoint) })
	return r.head, r.headErr
}

func (r *Record) parseReceipt() {
	r.parseProof.Do(func() { r.receipt, r.proofErr = ledger.ParseReceipt([]byte(r.Proof)) })
}

// ParseBundle decodes a bundle strictly under the default limits (see [DecodeBundle]). A bundle without anchors (made before
// statements cited them) parses: its events' times are unanchored below.
func ParseBundle(data []byte) (*Bundle, error) {
	l := DefaultLimits()
	if int64(len(data)) > l.BundleSize {
		return nil, fmt.Errorf("bundle: %w", &LimitError{What: "bytes", Limit: l.BundleSize})
	}
	return decodeBundle(bytes.NewReader(data), l)
}

// DecodeBundle reads a bundle from r strictly: a wrong media type; member names that
// are unknown, repeated or differently cased; base64 that is not canonical; an
// envelope that is not valid DSSE (crypto/sign's rules); an event without a proof; or
// an empty event list are errors. Reading stops at the first error, and at the first
// byte, event or signature beyond the [Limits] ([*LimitError], wrapping [ErrLimit]),
// so a hostile bundle costs no more than what was read.
func DecodeBundle(r io.Reader, opts ...ReadOption) (*Bundle, error) {
	l := limitsOf(opts)
	return decodeBundle(&cappedReader{r: r, left: l.BundleSize, limit: l.BundleSize}, l)
}

func decodeBundle(r io.Reader, l Limits) (*Bundle, error) {
	var w wireBundle
	pf := &prefetch{maxChain: l.CertificateChain}
	defer pf.stop()
	if err := decodeFile(r, &w, &w.MediaType, BundleMediaType, l, pf.add); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if len(w.Events) == 0 {
		return nil, fmt.Errorf("bundle: no events")
	}
	b := &Bundle{Consistency: w.Consistency, Anchors: w.Anchors}
	if len(w.Anchors) > len(w.Events) {
		return nil, fmt.Errorf("bundle: %d anchors for %d events (at most one each)", len(w.Anchors), len(w.Events))
	}
	if err := validateAnchors(w.Anchors); err != nil {
		return nil, err
	}
	for i, wr := range w.Events {
		switch {
		case wr.Envelope == nil:
			return nil, fmt.Errorf("bundle: event %d: no envelope", i+1)
		case wr.Proof == "":
			return nil, fmt.Errorf("bundle: event %d: no proof", i+1)
		}
	}
	b.Events = pf.records()
	return b, nil
}

// validateAnchors validates a bundle's anchors, on every core when there are many, and
// returns the first one's error in bundle order.
func validateAnchors(anchors []AnchorCheckpoint) error {
	errs := make([]error, len(anchors))
	check := func(i int) { errs[i] = anchors[i].validate() }
	if len(anchors) < minParallel {
		for i := range anchors {
			check(i)
		}
	} else {
		inParallel(len(anchors), check)
	}
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("bundle: anchor %d: %w", i+1, err)
		}
	}
	return nil
}

// ReadBundle reads and decodes a bundle file (see [DecodeBundle]).
func ReadBundle(path string, opts ...ReadOption) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading bundle: %w", err)
	}
	defer f.Close()
	b, err := DecodeBundle(bufio.NewReaderSize(f, 1<<16), opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// MarshalJSON encodes the bundle in its file format.
func (b *Bundle) MarshalJSON() ([]byte, error) {
	w := wireBundle{MediaType: BundleMediaType, Consistency: b.Consistency, Anchors: b.Anchors}
	for _, r := range b.Events {
		w.Events = append(w.Events, wireRecord{Envelope: r.Envelope, Proof: r.Proof})
	}
	return json.MarshalIndent(w, "", "  ")
}

// WriteFile writes the bundle atomically: a temporary file renamed over path when
// complete. The file holds the bytes of MarshalJSON and a final newline, encoded one
// event at a time rather than as one document in memory.
func (b *Bundle) WriteFile(path string) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		if err := b.encodeTo(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// encodeTo writes MarshalJSON's bytes and a newline to w: json.MarshalIndent of each
// part at the depth it has in the document gives the same bytes as of the whole.
// w's error is sticky: the last write reports the first that failed.
func (b *Bundle) encodeTo(w *bufio.Writer) error {
	part := func(v any, prefix string) ([]byte, error) {
		data, err := json.MarshalIndent(v, prefix, "  ")
		if err != nil {
			return nil, fmt.Errorf("encoding bundle: %w", err)
		}
		return data, nil
	}
	mediaType, err := part(BundleMediaType, "  ")
	if err != nil {
		return err
	}
	_, _ = w.WriteString("{\n  \"mediaType\": ")
	_, _ = w.Write(mediaType)
	_, _ = w.WriteString(",\n  \"events\": ")
	if len(b.Events) == 0 {
		_, _ = w.WriteString("null")
	}
	for i, r := range b.Events {
		data, err := part(wireRecord{Envelope: r.Envelope, Proof: r.Proof}, "    ")
		if err != nil {
			return err
		}
		sep := ",\n    "
		if i == 0 {
			sep = "[\n    "
		}
		_, _ = w.WriteString(sep)
		_, _ = w.Write(data)
	}
	if len(b.Events) > 0 {
		_, _ = w.WriteString("\n  ]")
	}
	for _, p := range []struct {
		name string
		v    any
		n    int
	}{{"consistency", b.Consistency, len(b.Consistency)}, {"anchors", b.Anchors, len(b.Anchors)}} {
		if p.n == 0 {
			continue // omitempty
		}
		data, err := part(p.v, "  ")
		if err != nil {
			return err
		}
		_, _ = w.WriteString(",\n  \"" + p.name + "\": ")
		_, _ = w.Write(data)
	}
	_, err = w.WriteString("\n}\n")
	return err
}

// Clone returns a copy of the bundle that shares records (which are immutable) but not
// the slices, so appending to one does not change the other.
func (b *Bundle) Clone() *Bundle {
	return &Bundle{
		Events:      append([]*Record(nil), b.Events...),
		Consistency: append([]Consistency(nil), b.Consistency...),
		Anchors:     append([]AnchorCheckpoint(nil), b.Anchors...),
	}
}
