package sign

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/stretchr/testify/require"
)

func TestPAE(t *testing.T) {
	tests := []struct {
		name, typ, body, want string
	}{
		// The test vector of the DSSE protocol (protocol.md).
		{"spec vector", "http://example.com/HelloWorld", "hello world", "DSSEv1 29 http://example.com/HelloWorld 11 hello world"},
		{"empty", "", "", "DSSEv1 0  0 "},
		{"in-toto", testInTotoTyp, "{}", "DSSEv1 28 application/vnd.in-toto+json 2 {}"},
		{"binary and spaces", "a b", "\x00 \xff\n", "DSSEv1 3 a b 4 \x00 \xff\n"},
		{"multibyte type", "é", "x", "DSSEv1 2 é 1 x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PAE(tt.typ, []byte(tt.body))
			require.Equal(t, tt.want, string(got))
			require.Equal(t, ssldsse.PAE(tt.typ, []byte(tt.body)), got)
		})
	}
}

func TestCommitment(t *testing.T) {
	e := &Envelope{PayloadType: "http://example.com/HelloWorld", Payload: []byte("hello world")}
	require.Equal(t, sha256.Sum256([]byte("DSSEv1 29 http://example.com/HelloWorld 11 hello world")), e.Commitment())

	// Adding a signature does not change the commitment.
	ctx := context.Background()
	env, err := SignEnvelope(ctx, testInTotoTyp, []byte(testPayload), testSigner(t, Ed25519, "a"))
	require.NoError(t, err)
	before := env.Commitment()
	require.NoError(t, env.AddSignature(ctx, testSigner(t, ECDSAP256, "a")))
	require.Len(t, env.Signatures, 2)
	require.Equal(t, before, env.Commitment())
}

func TestParseEnvelope(t *testing.T) {
	const sig = `{"keyid":"k1","sig":"c2lnbmF0dXJl"}`
	env := func(fields string) string { return "{" + fields + "}" }
	valid := `"payloadType":"t","payload":"aGVsbG8=","signatures":[` + sig + `]`
	tests := []struct {
		name    string
		in      string
		wantErr string // "" means valid
	}{
		{"valid", env(valid), ""},
		{"valid, fields reordered", `{"signatures":[` + sig + `],"payload":"aGVsbG8=","payloadType":"t"}`, ""},
		{"valid, empty payload", env(`"payloadType":"t","payload":"","signatures":[` + sig + `]`), ""},
		{"valid, no keyid", env(`"payloadType":"t","payload":"","signatures":[{"sig":"AA=="}]`), ""},
		{"valid, whitespace", " \n" + env(valid) + "\n", ""},
		{"unknown field", env(valid + `,"extra":1`), `unknown field "extra"`},
		{"field in other case", env(`"PayloadType":"t","payload":"","signatures":[` + sig + `]`), `unknown field "PayloadType"`},
		{"duplicate payload", env(valid + `,"payload":"d29ybGQ="`), `duplicate field "payload"`},
		{"missing payloadType", env(`"payload":"aGVsbG8=","signatures":[` + sig + `]`), "missing payloadType"},
		{"empty payloadType", env(`"payloadType":"","payload":"aGVsbG8=","signatures":[` + sig + `]`), "missing payloadType"},
		{"null payloadType", env(`"payloadType":null,"payload":"aGVsbG8=","signatures":[` + sig + `]`), "missing payloadType"},
		{"payloadType not a string", env(`"payloadType":7,"payload":"aGVsbG8=","signatures":[` + sig + `]`), "cannot unmarshal"},
		{"missing payload", env(`"payloadType":"t","signatures":[` + sig + `]`), "missing payload"},
		{"payload bad base64", env(`"payloadType":"t","payload":"!!!","signatures":[` + sig + `]`), "payload: not standard base64"},
		{"payload url-safe base64", env(`"payloadType":"t","payload":"-_8=","signatures":[` + sig + `]`), "payload: not standard base64"},
		{"payload unpadded", env(`"payloadType":"t","payload":"aGVsbG8","signatures":[` + sig + `]`), "payload: not standard base64"},
		{"payload with line break", env(`"payloadType":"t","payload":"aGVs\nbG8=","signatures":[` + sig + `]`), "payload: line break"},
		{"no signatures", env(`"payloadType":"t","payload":"aGVsbG8=","signatures":[]`), "no signatures"},
		{"signatures missing", env(`"payloadType":"t","payload":"aGVsbG8="`), "no signatures"},
		{"signatures null", env(`"payloadType":"t","payload":"aGVsbG8=","signatures":null`), "no signatures"},
		{"empty sig", env(`"payloadType":"t","payload":"","signatures":[{"keyid":"k","sig":""}]`), "signature 0: empty sig"},
		{"missing sig", env(`"payloadType":"t","payload":"","signatures":[` + sig + `,{"keyid":"k"}]`), "signature 1: empty sig"},
		{"sig bad base64", env(`"payloadType":"t","payload":"","signatures":[{"sig":"%%"}]`), "signature 0: sig: not standard base64"},
		{"unknown signature field", env(`"payloadType":"t","payload":"","signatures":[{"sig":"AA==","cert":"x"}]`), `malformed DSSE envelope: signature 0: unknown field "cert"`},
		{"signature field in other case", env(`"payloadType":"t","payload":"","signatures":[{"sig":"AA==","KeyID":"x"}]`), `signature 0: unknown field "KeyID"`},
		{"payload with non-zero padding bits", env(`"payloadType":"t","payload":"aGVsbG9=","signatures":[` + sig + `]`), "payload: not standard base64"},
		{"invalid UTF-8 in keyid", env(`"payloadType":"t","payload":"","signatures":[{"keyid":"` + "\xff" + `","sig":"AA=="}]`), "invalid JSON"},
		{"duplicate keyid", env(`"payloadType":"t","payload":"","signatures":[{"keyid":"a","keyid":"b","sig":"AA=="}]`), `duplicate field "keyid"`},
		{"signature not an object", env(`"payloadType":"t","payload":"","signatures":["AA=="]`), "not a JSON object"},
		{"array", `[` + env(valid) + `]`, "not a JSON object"},
		{"null", `null`, "not a JSON object"},
		{"empty input", ``, "not a JSON object"},
		{"truncated", env(valid)[:30], "invalid JSON"},
		{"trailing data", env(valid) + `{}`, "data after the JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseEnvelope([]byte(tt.in))
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.Equal(t, "t", e.PayloadType)
				require.NotEmpty(t, e.Signatures)
				return
			}
			require.ErrorIs(t, err, ErrMalformedEnvelope)
			require.ErrorContains(t, err, tt.wantErr)
			require.Nil(t, e)
		})
	}
}

func TestParseEnvelopeUniqueKeyIDs(t *testing.T) {
	for name, in := range map[string]string{
		"two signatures by one key":    `{"payloadType":"t","payload":"","signatures":[{"keyid":"k","sig":"AA=="},{"keyid":"k","sig":"AQ=="}]}`,
		"two signatures without keyid": `{"payloadType":"t","payload":"","signatures":[{"sig":"AA=="},{"sig":"AQ=="}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseEnvelope([]byte(in))
			require.NoError(t, err, "allowed by default")
			_, err = ParseEnvelope([]byte(in), WithUniqueKeyIDs())
			require.ErrorIs(t, err, ErrMalformedEnvelope)
			require.ErrorContains(t, err, "signature 1: a second signature by key")
		})
	}
}

func TestParseEnvelopeErrorsDoNotQuotePayload(t *testing.T) {
	secret := "c2VjcmV0IGNhc2UgZGF0YQ" // "secret case data", unpadded
	_, err := ParseEnvelope([]byte(`{"payloadType":"t","payload":"` + secret + `","signatures":[{"sig":"AA=="}]}`))
	require.ErrorIs(t, err, ErrMalformedEnvelope)
	require.NotContains(t, err.Error(), secret)
}

func TestEnvelopeJSON(t *testing.T) {
	e := &Envelope{
		PayloadType: "http://example.com/HelloWorld",
		Payload:     []byte("hello world"),
		Signatures:  []Signature{{KeyID: "k1", Sig: []byte("sig")}},
	}
	b, err := json.Marshal(e)
	require.NoError(t, err)
	require.JSONEq(t, `{"payloadType":"http://example.com/HelloWorld","payload":"aGVsbG8gd29ybGQ=","signatures":[{"keyid":"k1","sig":"c2ln"}]}`, string(b))

	got, err := ParseEnvelope(b)
	require.NoError(t, err)
	require.Equal(t, e, got)

	// Nested in a bundle, an envelope is parsed by the same strict rules.
	var doc struct{ Envelope *Envelope }
	require.NoError(t, json.Unmarshal([]byte(`{"Envelope":`+string(b)+`}`), &doc))
	require.Equal(t, e, doc.Envelope)
	bad := strings.Replace(string(b), `"payloadType"`, `"payloadtype"`, 1)
	require.ErrorIs(t, json.Unmarshal([]byte(`{"Envelope":`+bad+`}`), &doc), ErrMalformedEnvelope)

	// Held by value in another struct, it still encodes as DSSE.
	b, err = json.Marshal(struct{ E Envelope }{*e})
	require.NoError(t, err)
	require.Contains(t, string(b), `"payload":"aGVsbG8gd29ybGQ="`)

	// An envelope without signatures still marshals to valid DSSE shape.
	b, err = json.Marshal(&Envelope{PayloadType: "t"})
	require.NoError(t, err)
	require.JSONEq(t, `{"payloadType":"t","payload":"","signatures":[]}`, string(b))
}

func TestSignEnvelopeErrors(t *testing.T) {
	ctx := context.Background()
	s := testSigner(t, Ed25519, "a")
	_, err := SignEnvelope(ctx, "", []byte("x"), s)
	require.ErrorContains(t, err, "empty payload type")
	_, err = SignEnvelope(ctx, "t", []byte("x"))
	require.ErrorContains(t, err, "no signers")
	_, err = SignEnvelope(ctx, "t", []byte("x"), s, nil)
	require.ErrorContains(t, err, "signer 1 is nil")

	env, err := SignEnvelope(ctx, "t", []byte("x"), s)
	require.NoError(t, err)
	require.ErrorContains(t, env.AddSignature(ctx, s), "already signed by key "+s.KeyID())
	require.Error(t, env.AddSignature(ctx, nil))
	require.ErrorIs(t, (&Envelope{}).AddSignature(ctx, s), ErrMalformedEnvelope)
}

func TestSignEnvelopeCopiesPayload(t *testing.T) {
	payload := []byte("original")
	env, err := SignEnvelope(context.Background(), "t", payload, testSigner(t, Ed25519, "a"))
	require.NoError(t, err)
	copy(payload, "modified")
	require.Equal(t, "original", string(env.Payload))
}

// TestParseEnvelopeStopsAtTooManySignatures: an envelope with a flood of signatures is
// refused at the first one too many, without reading the rest.
func TestParseEnvelopeStopsAtTooManySignatures(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"payloadType":"t","payload":"","signatures":[`)
	for i := range 100000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"keyid":"k%d","sig":"AA=="}`, i)
	}
	b.WriteString(`]}`)
	r := &countingReader{r: strings.NewReader(b.String())}
	dec := jsontext.NewDecoder(r)
	_, err := DecodeEnvelope(dec)
	require.ErrorIs(t, err, ErrTooManySignatures)
	require.ErrorIs(t, err, ErrMalformedEnvelope)
	require.Less(t, r.n, b.Len()/10, "the decoder read %d of %d bytes", r.n, b.Len())

	_, err = ParseEnvelope([]byte(b.String()), WithMaxSignatures(100000))
	require.NoError(t, err)
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
