package custody_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
)

// junkSignatures is a valid case whose first envelope also carries n junk signatures
// (distinct key ids when distinct, else the signer's own key id), as the bytes of a
// bundle: a scaled-down copy of a hostile 500 MB bundle with 2.7 M junk signatures.
func junkSignatures(t testing.TB, n int, distinct bool) []byte {
	b, _ := bigBundle(t, 3)
	env := *b.Events[0].Envelope
	env.Signatures = append([]sign.Signature(nil), env.Signatures...)
	junk := bytes.Repeat([]byte{0x30}, 70)
	for i := range n {
		id := env.Signatures[0].KeyID
		if distinct {
			id = fmt.Sprintf("%064x", i)
		}
		env.Signatures = append(env.Signatures, sign.Signature{KeyID: id, Sig: junk})
	}
	b.Events[0] = custody.NewRecord(&env, b.Events[0].Proof)
	data, err := json.Marshal(b)
	require.NoError(t, err)
	return data
}

// TestHostileBundlesAreRefused: bundles built to exhaust memory or time are refused
// with an error naming the limit. Before the limits, each of these parsed (and the
// junk signatures under the signer's key id were each verified, then judged VALID).
func TestHostileBundlesAreRefused(t *testing.T) {
	for name, data := range map[string][]byte{
		"many junk signatures":             junkSignatures(t, 5000, true),
		"junk signatures under the key id": junkSignatures(t, 50, false),
	} {
		t.Run(name, func(t *testing.T) {
			b, err := custody.ParseBundle(data)
			require.Error(t, err, "a hostile bundle parsed")
			require.Nil(t, b)
		})
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// decodeCounting decodes data as a bundle and returns the error and how many bytes
// were read.
func decodeCounting(data []byte, opts ...custody.ReadOption) (int, error) {
	r := &countingReader{r: bytes.NewReader(data)}
	_, err := custody.DecodeBundle(r, opts...)
	return r.n, err
}

// TestLimitsStopReadingEarly: a bundle over a limit is refused as soon as the limit is
// passed, not after reading it all.
func TestLimitsStopReadingEarly(t *testing.T) {
	t.Run("signatures", func(t *testing.T) {
		data := junkSignatures(t, 50000, true)
		n, err := decodeCounting(data)
		var le *custody.LimitError
		require.ErrorAs(t, err, &le)
		require.ErrorIs(t, err, custody.ErrLimit)
		require.Equal(t, "signatures in one envelope", le.What)
		require.EqualValues(t, custody.DefaultLimits().Signatures, le.Limit)
		require.ErrorContains(t, err, "more than 16 signatures in one envelope")
		require.Less(t, n, len(data)/10, "read %d of %d bytes", n, len(data))
	})
	t.Run("events", func(t *testing.T) {
		data := manyEvents(t, 20000)
		n, err := decodeCounting(data, custody.WithLimits(custody.Limits{Events: 100}))
		var le *custody.LimitError
		require.ErrorAs(t, err, &le)
		require.Equal(t, "events", le.What)
		require.Less(t, n, len(data)/10, "read %d of %d bytes", n, len(data))
		_, err = custody.DecodeBundle(bytes.NewReader(data))
		require.NoError(t, err, "the same bundle under the default limits")
	})
	t.Run("bytes", func(t *testing.T) {
		data := manyEvents(t, 20000)
		n, err := decodeCounting(data, custody.WithLimits(custody.Limits{BundleSize: 100 << 10}))
		var le *custody.LimitError
		require.ErrorAs(t, err, &le)
		require.Equal(t, "bytes", le.What)
		require.LessOrEqual(t, n, 100<<10+1)
	})
}

// manyEvents is a bundle of n well-formed (unverifiable) events.
func manyEvents(t testing.TB, n int) []byte {
	var b strings.Builder
	b.WriteString(`{"mediaType":"application/vnd.evidctl.bundle.v1+json","events":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"envelope":{"payloadType":"application/vnd.in-toto+json","payload":"%s","signatures":[{"keyid":"k","sig":"AA=="}]},"proof":"p"}`,
			base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "event %d", i)))
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// TestDefaultLimitsAdmitLargeCases: the defaults admit a case of 100,000 events: their
// count, and their size at what a real event weighs with a large tree's proofs.
func TestDefaultLimitsAdmitLargeCases(t *testing.T) {
	const events = 100_000
	l := custody.DefaultLimits()
	require.GreaterOrEqual(t, l.Events, events)
	data := manyEvents(t, events)
	b, err := custody.DecodeBundle(bytes.NewReader(data))
	require.NoError(t, err)
	require.Len(t, b.Events, events)

	real, _ := bigBundle(t, 50)
	enc, err := json.Marshal(real)
	require.NoError(t, err)
	perEvent := int64(len(enc)) / 50
	// A tree of a million entries adds 20 hashes to each inclusion path and up to 40
	// to each consistency proof (46 bytes each), and a certificate chain ~4 KiB.
	perEvent += 60*46 + 4096
	require.Less(t, perEvent*events, l.BundleSize, "%d bytes per event", perEvent)
}

// TestCertificateChainLimit: an actor's certificate chain longer than the limit makes
// the statement invalid.
func TestCertificateChainLimit(t *testing.T) {
	c := newCase(t)
	b := c.b.Clone()
	block := "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	payload := c.statementOf(t, b, func(s string) string {
		chain, _ := json.Marshal(strings.Repeat(block, 9))
		return strings.Replace(s, `"keyId":`, `"certificate":`+string(chain)+`,"keyId":`, 1)
	})
	_, err := custody.ParseStatement(payload)
	require.ErrorIs(t, err, custody.ErrLimit)
	c.appendPayload(t, b, c.party("prosecutor"), payload)
	rep := c.verify(t, b)
	require.True(t, rep.Failed(custody.RuleStatement, len(b.Events)), "%+v", rep.Failures)
}
