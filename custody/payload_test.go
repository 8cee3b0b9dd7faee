package custody_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/crypto/seal"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
)

func TestMatchPayload(t *testing.T) {
	mc := newMultiCase(t)
	pros := mc.d.Parties["prosecutor"]
	flipped := bytes.Clone(mc.payloads["rec-2"])
	flipped[len(flipped)-20] ^= 0x80
	var plain bytes.Buffer
	tests := []struct {
		name       string
		payload    []byte
		opts       []custody.PayloadOption
		item       string // the item matched ("" for none)
		violations []custody.Rule
	}{
		{"found by its digest", mc.payloads["rec-2"], nil, "rec-2", nil},
		{"found, another item", mc.payloads["rec-3"], nil, "rec-3", nil},
		{"named item", mc.payloads["rec-2"], []custody.PayloadOption{custody.ForItem("rec-2")}, "rec-2", nil},
		{"named item, another item's payload", mc.payloads["rec-3"], []custody.PayloadOption{custody.ForItem("rec-2")}, "rec-2", []custody.Rule{custody.RulePayload}},
		{"no item's payload", []byte("age-encryption.org/v1\nnot really"), nil, "", []custody.Rule{custody.RulePayload}},
		{"the first item's payload", mc.payloads["rec-1"], nil, "rec-1", nil},
		{"decrypted", mc.payloads["rec-2"], []custody.PayloadOption{custody.DecryptTo(&plain, pros.Identity)}, "rec-2", nil},
		{"flipped byte, decrypted", flipped, []custody.PayloadOption{custody.ForItem("rec-2"), custody.DecryptTo(&plain, pros.Identity)},
			"rec-2", []custody.Rule{custody.RulePayload, custody.RulePlaintext}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain.Reset()
			m, err := mc.b.MatchPayload(context.Background(), bytes.NewReader(tt.payload), tt.opts...)
			require.NoError(t, err)
			var rules []custody.Rule
			for _, v := range m.Violations {
				rules = append(rules, v.Rule)
			}
			require.Equal(t, tt.violations, rules, "%+v", m.Violations)
			if tt.item == "" {
				require.Nil(t, m.Item)
			} else {
				require.Equal(t, tt.item, m.Item.ID)
			}
			require.Equal(t, int64(len(tt.payload)), m.Size)
			if tt.name == "decrypted" {
				require.Equal(t, string(records[1]), plain.String())
				require.NoError(t, m.Plaintext.Match(m.Item.Digest))
			}
		})
	}
}

func TestMatchPayloadCannotRun(t *testing.T) {
	ctx := context.Background()
	mc := newMultiCase(t)
	outsider := testkit.NewParty(t, "mallory", "NL")
	var sink bytes.Buffer
	_, err := mc.b.MatchPayload(ctx, bytes.NewReader(mc.payloads["rec-2"]), custody.DecryptTo(&sink, outsider.Identity))
	require.ErrorIs(t, err, seal.ErrNoIdentity)
	tampered := bytes.Clone(mc.payloads["rec-2"])
	tampered[len(tampered)-1] ^= 1
	m, err := mc.b.MatchPayload(ctx, bytes.NewReader(tampered), custody.DecryptTo(&sink, outsider.Identity))
	require.NoError(t, err, "another file than the chain records is a violation, whatever the keys")
	require.Len(t, m.Violations, 1)
	require.Equal(t, custody.RulePayload, m.Violations[0].Rule)
	require.Nil(t, m.Plaintext)
	_, err = mc.b.MatchPayload(ctx, bytes.NewReader(mc.payloads["rec-2"]), custody.ForItem("rec-9"))
	require.ErrorIs(t, err, custody.ErrUnknownItem)
	_, err = mc.b.MatchPayload(ctx, bytes.NewReader(nil), custody.DecryptTo(&sink))
	var argErr *custody.ArgumentError
	require.ErrorAs(t, err, &argErr)
	_, err = mc.b.MatchPayload(ctx, iotestErrReader{}, custody.ForItem("rec-2"))
	require.ErrorContains(t, err, "reading the payload")

	// A preservation has no sealed payload to match.
	d := testkit.New(t, "provider")
	pres, err := d.Parties["provider"].Custodian.Preserve(ctx, []custody.Evidence{{ItemID: "rec-1", Source: bytes.NewReader(records[0])}}, nil,
		custody.Details{Legal: &custody.Legal{Kind: custody.Preservation}})
	require.NoError(t, err)
	_, err = pres.MatchPayload(ctx, bytes.NewReader(mc.payloads["rec-2"]))
	require.ErrorContains(t, err, "the bundle has no sealed payload")
	_, err = pres.MatchPayload(ctx, bytes.NewReader(mc.payloads["rec-2"]), custody.ForItem("rec-1"))
	require.ErrorContains(t, err, "item rec-1 has no sealed payload")
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// acquireWith has the deployment's lab acquire data sealed to itself, recording the
// extra digests algs; it returns the bundle and the sealed payload.
func acquireWith(t *testing.T, d *testkit.Deployment, data []byte, algs ...digest.Algorithm) (*custody.Bundle, []byte) {
	t.Helper()
	lab := d.Parties["lab"]
	var sealed bytes.Buffer
	b, err := lab.Custodian.Acquire(context.Background(), custody.Evidence{Description: "image.dd", Source: bytes.NewReader(data), Sealed: &sealed},
		custody.Sealing{Recipients: []string{lab.Recipient}, Digests: algs}, custody.Details{})
	require.NoError(t, err)
	return b, sealed.Bytes()
}

func algorithms(s digest.Set) []digest.Algorithm {
	var out []digest.Algorithm
	for _, d := range s {
		out = append(out, d.Algorithm)
	}
	slices.Sort(out)
	return out
}

// A decrypted payload is hashed with the algorithms its item records, and no others.
func TestMatchPayloadHashesRecordedAlgorithms(t *testing.T) {
	tests := []struct {
		name string
		algs []digest.Algorithm
	}{
		{"sha256 only", nil},
		{"sha256 and md5", []digest.Algorithm{digest.MD5}},
		{"every algorithm", []digest.Algorithm{digest.SHA512, digest.SHA1, digest.MD5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := testkit.New(t, "lab")
			b, payload := acquireWith(t, d, evidenceBytes, tt.algs...)
			m, err := b.MatchPayload(context.Background(), bytes.NewReader(payload), custody.DecryptTo(io.Discard, d.Parties["lab"].Identity))
			require.NoError(t, err)
			require.Empty(t, m.Violations)
			require.Equal(t, algorithms(m.Item.Digest), algorithms(m.Plaintext))
			require.True(t, m.Plaintext.Equal(m.Item.Digest))
		})
	}
}

// A payload that does not authenticate is named by its chunk and byte offset, and its
// ciphertext digest is still reported.
func TestMatchPayloadNamesTheCorruptChunk(t *testing.T) {
	d := testkit.New(t, "lab")
	b, payload := acquireWith(t, d, bytes.Repeat([]byte("sector "), 40000), digest.SHA1) // 280,000 bytes: 5 chunks
	hdr := bytes.Index(payload, []byte("\n--- ")) + 1
	hdr += bytes.IndexByte(payload[hdr:], '\n') + 1
	chunk1 := hdr + 16 + 65536 + 16 // header, nonce, chunk 0 with its tag
	bad := bytes.Clone(payload)
	bad[chunk1+100] ^= 0x01
	m, err := b.MatchPayload(context.Background(), bytes.NewReader(bad), custody.DecryptTo(io.Discard, d.Parties["lab"].Identity))
	require.NoError(t, err)
	require.Equal(t, int64(len(bad)), m.Size)
	require.Equal(t, digest.SHA256Bytes(bad), m.Ciphertext)
	require.Len(t, m.Violations, 2, "%+v", m.Violations)
	require.Equal(t, custody.RulePayload, m.Violations[0].Rule)
	require.Equal(t, custody.RulePlaintext, m.Violations[1].Rule)
	require.Contains(t, m.Violations[1].Found, fmt.Sprintf("chunk 1 at offset %d", chunk1))
	require.Contains(t, m.Violations[1].Found, "fails to authenticate")

	rep, err := custody.Verify(context.Background(), b, d.Policy, custody.WithPayload("case.age", bytes.NewReader(bad)),
		custody.WithIdentities(d.Parties["lab"].Identity))
	require.NoError(t, err)
	require.True(t, rep.Failed(custody.RulePayload, 0))
	require.True(t, rep.Failed(custody.RulePlaintext, 0))
	i := slices.IndexFunc(rep.Failures, func(f custody.Failure) bool { return f.Rule == custody.RulePlaintext })
	require.Contains(t, rep.Failures[i].Found, fmt.Sprintf("chunk 1 at offset %d", chunk1))
	require.Contains(t, rep.Failures[slices.IndexFunc(rep.Failures, func(f custody.Failure) bool { return f.Rule == custody.RulePayload })].Found,
		digest.SHA256Bytes(bad).String())
}

// With an identity that opens nothing, a payload that is not the recorded one still
// fails the payload check (the ciphertext is hashed in the same pass); the recorded
// payload makes verification unable to run.
func TestVerifyWithWrongIdentityStillChecksThePayload(t *testing.T) {
	d := testkit.New(t, "lab")
	b, payload := acquireWith(t, d, evidenceBytes)
	stranger := testkit.NewParty(t, "stranger", "NL")
	bad := bytes.Clone(payload)
	bad[len(bad)-1] ^= 1
	rep, err := custody.Verify(context.Background(), b, d.Policy, custody.WithPayload("case.age", bytes.NewReader(bad)),
		custody.WithIdentities(stranger.Identity))
	require.NoError(t, err)
	require.False(t, rep.Valid)
	require.True(t, rep.Failed(custody.RulePayload, 0))
	require.False(t, rep.Failed(custody.RulePlaintext, 0))
	i := slices.IndexFunc(rep.Checks, func(c custody.Check) bool { return c.Rule == custody.RulePlaintext })
	require.GreaterOrEqual(t, i, 0, "%+v", rep.Checks)
	require.Equal(t, custody.StatusNotChecked, rep.Checks[i].Status)
	require.Equal(t, "no identity given opens the payload", rep.Checks[i].Detail)

	_, err = custody.Verify(context.Background(), b, d.Policy, custody.WithPayload("case.age", bytes.NewReader(payload)),
		custody.WithIdentities(stranger.Identity))
	require.ErrorIs(t, err, seal.ErrNoIdentity)
}

// Every algorithm an item records is computed and checked, for a decrypted payload and
// for evidence: an acquisition that records a wrong MD5 (and the right SHA-256) fails.
func TestVerifyChecksEveryRecordedAlgorithm(t *testing.T) {
	d := testkit.New(t, "lab")
	good, payload := acquireWith(t, d, evidenceBytes, digest.MD5)
	st, err := good.Events[0].Statement()
	require.NoError(t, err)
	ev := st.Predicate
	ev.Item.Digest = digest.Set{ev.Item.Digest.SHA256(), md5Of("other data")}
	ev.ItemKey = custody.NewItemKey() // another acquisition of the item, not a second successor
	lab := d.Parties["lab"]
	b := &custody.Bundle{}
	_, err = lab.Custodian.RecordUnchecked(context.Background(), b, &ev)
	require.NoError(t, err)

	for name, opts := range map[string][]custody.VerifyOption{
		"decrypted payload": {custody.WithPayload("case.age", bytes.NewReader(payload)), custody.WithIdentities(lab.Identity)},
		"evidence":          {custody.WithEvidence("image.dd", bytes.NewReader(evidenceBytes))},
	} {
		t.Run(name, func(t *testing.T) {
			rep, err := custody.Verify(context.Background(), b, d.Policy, opts...)
			require.NoError(t, err)
			require.True(t, rep.Failed(custody.RulePlaintext, 0), "%+v", rep.Failures)
			require.False(t, rep.Failed(custody.RulePayload, 0))
			i := slices.IndexFunc(rep.Failures, func(f custody.Failure) bool { return f.Rule == custody.RulePlaintext })
			require.Contains(t, rep.Failures[i].Found, md5Of(string(evidenceBytes)).String())
		})
	}
}

// endless is a payload that never ends: the sealed payload, then zeros for ever. It
// counts what it gave, and fails a read that goes more than a MiB past the longest
// payload that could match (what a reader that reads to the end would do).
type endless struct {
	head  []byte
	read  int64
	limit int64
}

func (e *endless) Read(p []byte) (int, error) {
	if e.read > e.limit+1<<20 {
		return 0, errors.New("read a MiB past the largest size the chain records: the input is being read to its end")
	}
	n := len(p)
	if e.read < int64(len(e.head)) {
		n = copy(p, e.head[e.read:])
	} else {
		clear(p)
	}
	e.read += int64(n)
	return n, nil
}

// A payload longer than the sealed payload it could be is another file: it is read one
// byte past that and no further, so an endless stream or a disk image given by mistake
// is refused at once, and decrypt writes out no more than the recorded size.
func TestPayloadLongerThanRecordedIsNotReadToItsEnd(t *testing.T) {
	ctx := context.Background()
	d := testkit.New(t, "lab", "authority")
	lab := d.Parties["lab"]
	b, payload := d.Acquire(t, "lab", []byte("a disk image"))
	size := int64(len(payload))
	more := fmt.Sprintf("more than %d bytes (not read further)", size)
	tests := []struct {
		name string
		r    func() (io.Reader, *endless)
	}{
		{"endless", func() (io.Reader, *endless) { e := &endless{head: payload, limit: size}; return e, e }},
		{"one byte more", func() (io.Reader, *endless) { return bytes.NewReader(append(bytes.Clone(payload), 0)), nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name+", matched", func(t *testing.T) {
			r, e := tt.r()
			m, err := b.MatchPayload(ctx, r)
			require.NoError(t, err)
			require.Len(t, m.Violations, 1)
			require.Equal(t, custody.RulePayload, m.Violations[0].Rule)
			require.Equal(t, more, m.Violations[0].Found)
			require.Equal(t, size+1, m.Size)
			if e != nil {
				require.LessOrEqual(t, e.read, size+1<<20)
			}
		})
		t.Run(tt.name+", decrypted", func(t *testing.T) {
			r, _ := tt.r()
			var plain bytes.Buffer
			m, err := b.MatchPayload(ctx, r, custody.DecryptTo(&plain, lab.Identity))
			require.NoError(t, err)
			var rules []custody.Rule
			for _, v := range m.Violations {
				rules = append(rules, v.Rule)
			}
			require.Equal(t, []custody.Rule{custody.RulePayload, custody.RulePlaintext}, rules, "%+v", m.Violations)
			require.Contains(t, m.Violations[1].Found, "not decrypted past the first")
			require.Nil(t, m.Plaintext)
			require.LessOrEqual(t, int64(plain.Len()), size)
		})
		t.Run(tt.name+", verified", func(t *testing.T) {
			r, _ := tt.r()
			rep, err := custody.Verify(ctx, b, d.Policy, custody.WithPayload("case.age", r), custody.WithIdentities(lab.Identity))
			require.NoError(t, err)
			require.False(t, rep.Valid)
			i := slices.IndexFunc(rep.Checks, func(c custody.Check) bool { return c.Rule == custody.RulePayload })
			require.GreaterOrEqual(t, i, 0, "%+v", rep.Checks)
			require.Equal(t, custody.StatusFailed, rep.Checks[i].Status)
			require.Equal(t, more, rep.Checks[i].Found)
			require.True(t, rep.Failed(custody.RulePlaintext, 0))
		})
		t.Run(tt.name+", resealed", func(t *testing.T) {
			r, _ := tt.r()
			var out bytes.Buffer
			_, err := lab.Custodian.Reseal(ctx, b, "", r, []age.Identity{lab.Identity}, &out,
				custody.Sealing{Recipients: []string{d.Parties["authority"].Recipient}}, custody.Details{})
			require.ErrorIs(t, err, seal.ErrCiphertextMismatch)
			require.ErrorContains(t, err, fmt.Sprintf("longer than the %d bytes the chain records", size))
			require.Len(t, b.Events, 1)
		})
	}

	// Received: the hand-over is refused, naming the length.
	auth := d.Parties["authority"]
	_, err := lab.Custodian.Transfer(ctx, b, "", auth.Actor, custody.Details{Purpose: "analysis"})
	require.NoError(t, err)
	_, err = auth.Custodian.Receive(ctx, b, "", &endless{head: payload, limit: size}, custody.Details{})
	var refused *custody.RefusedError
	require.ErrorAs(t, err, &refused)
	require.Equal(t, custody.RulePayload, refused.Violations[0].Rule)
	require.Equal(t, more, refused.Violations[0].Found)

	// The payload itself, exactly as long as recorded, still matches everywhere.
	m, err := b.MatchPayload(ctx, bytes.NewReader(payload), custody.DecryptTo(io.Discard, lab.Identity))
	require.NoError(t, err)
	require.Empty(t, m.Violations)
	_, err = auth.Custodian.Receive(ctx, b, "", bytes.NewReader(payload), custody.Details{})
	require.NoError(t, err)
	rep, err := custody.Verify(ctx, b, d.Policy, custody.WithPayload("case.age", bytes.NewReader(payload)), custody.WithIdentities(lab.Identity))
	require.NoError(t, err)
	require.True(t, rep.Valid, "%+v", rep.Failures)
}

// Plaintext evidence longer than every item the chain records is another file: it is
// read one byte past the largest and no further, with one item or several.
func TestEvidenceLongerThanRecordedIsNotReadToItsEnd(t *testing.T) {
	ctx := context.Background()
	d := testkit.New(t, "lab")
	evidence := []byte("a disk image")
	one, _ := d.Acquire(t, "lab", evidence)
	two, _ := d.Acquire(t, "lab", evidence)
	ids, err := two.Items()
	require.NoError(t, err)
	var sealed bytes.Buffer
	derived := []byte("the disk image's mailbox, which is longer")
	_, err = d.Parties["lab"].Custodian.Derive(ctx, two, ids, custody.Evidence{Description: "mailbox", Source: bytes.NewReader(derived), Sealed: &sealed},
		custody.Sealing{Recipients: []string{d.Parties["lab"].Recipient}}, custody.Details{})
	require.NoError(t, err)
	largest := int64(len(derived))
	tests := []struct {
		name     string
		b        *custody.Bundle
		r        func() (io.Reader, *endless)
		expected string
	}{
		{"endless, one item", one, func() (io.Reader, *endless) {
			e := &endless{head: evidence, limit: int64(len(evidence))}
			return e, e
		}, fmt.Sprintf("%s (%d bytes)", digest.SHA256Bytes(evidence), len(evidence))},
		{"one byte more, one item", one, func() (io.Reader, *endless) { return bytes.NewReader(append(bytes.Clone(evidence), 0)), nil },
			fmt.Sprintf("%s (%d bytes)", digest.SHA256Bytes(evidence), len(evidence))},
		{"endless, two items", two, func() (io.Reader, *endless) { e := &endless{head: derived, limit: largest}; return e, e },
			fmt.Sprintf("one of 2 items, of at most %d bytes", largest)},
		{"one byte more than the largest of two items", two, func() (io.Reader, *endless) {
			return bytes.NewReader(append(bytes.Clone(derived), 0)), nil
		}, fmt.Sprintf("one of 2 items, of at most %d bytes", largest)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, e := tt.r()
			rep, err := custody.Verify(ctx, tt.b, d.Policy, custody.WithEvidence("image.dd", r))
			require.NoError(t, err)
			require.False(t, rep.Valid)
			i := slices.IndexFunc(rep.Checks, func(c custody.Check) bool { return c.Rule == custody.RulePlaintext && c.Subject == "image.dd" })
			require.GreaterOrEqual(t, i, 0, "%+v", rep.Checks)
			c := rep.Checks[i]
			require.Equal(t, custody.StatusFailed, c.Status)
			require.Equal(t, tt.expected, c.Expected)
			want := int64(len(evidence))
			if tt.b == two {
				want = largest
			}
			require.Equal(t, fmt.Sprintf("more than %d bytes (not read further)", want), c.Found)
			if e != nil {
				require.LessOrEqual(t, e.read, want+1<<20)
			}
		})
	}
	for _, tt := range []struct {
		name string
		b    *custody.Bundle
		data []byte
	}{{"one item", one, evidence}, {"the first of two items", two, evidence}, {"the largest of two items", two, derived}} {
		t.Run("exact evidence still matches: "+tt.name, func(t *testing.T) {
			rep, err := custody.Verify(ctx, tt.b, d.Policy, custody.WithEvidence("image.dd", bytes.NewReader(tt.data)))
			require.NoError(t, err)
			require.False(t, rep.Failed(custody.RulePlaintext, 0), "%+v", rep.Failures)
		})
	}
}
