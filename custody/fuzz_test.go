package custody_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
)

// FuzzParseBundle: any input either fails to parse with an error or parses into a
// bundle that Verify judges without panicking.
func FuzzParseBundle(f *testing.F) {
	b, pol := bigBundle(f, 12)
	data, err := json.Marshal(b)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	anchored, _ := bigWitnessedBundle(f, 4)
	if data, err = json.Marshal(anchored); err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"mediaType":"application/vnd.evidctl.bundle.v1+json","events":[],"anchors":[{"checkpoint":"x\n","token":"AAAA"}]}`))
	f.Add([]byte(`{"mediaType":"application/vnd.evidctl.bundle.v1+json","events":[]}`))
	f.Add([]byte(`{"mediaType":"application/vnd.evidctl.bundle.v1+json","events":[{"envelope":{},"proof":""}]}`))
	f.Add([]byte(`{"mediaType":"application/vnd.evidctl.bundle.v1+json","events":[],"EVENTS":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := custody.ParseBundle(data)
		if err != nil {
			return
		}
		if _, err := custody.Verify(context.Background(), b, pol); err != nil {
			t.Fatalf("verify of a parsed bundle could not run: %v", err)
		}
		stable(t, data, b, custody.ParseBundle)
	})
}

// FuzzParsePolicy: bad policies are errors, never panics; good ones re-encode.
func FuzzParsePolicy(f *testing.F) {
	_, pol := bigBundle(f, 1)
	data, err := json.Marshal(pol)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"mediaType":"application/vnd.evidctl.trust.v1+json","logs":[{"origin":"a","key":"a+00000000+AQ=="}],"signers":[]}`))
	f.Add([]byte(`{"mediaType":"application/vnd.evidctl.trust.v1+json","logs":[],"signers":[],"maxSkew":"5m","maxInterval":"1h30m","requireAnchoredTime":true,"tsas":[{"name":"t","roots":"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"}]}`))
	f.Add([]byte(`{"mediaType":"application/vnd.evidctl.trust.v1+json","logs":[],"signers":[{"name":"x","publicKey":"k","validFrom":"2026-01-01T00:00:00Z","validUntil":"2025-01-01T00:00:00Z","revoked":{"time":"2026-02-01T00:00:00Z","reason":""}}],"maxSkew":"-1s"}`))
	f.Add([]byte(`{"mediaType":"application/vnd.evidctl.trust.v1+json","logs":[{"origin":"evidence.test/witnessed","key":"evidence.test/witnessed+9eb2c015+AQ91/iZO0a0A03lQePLAL9fEvaFnS7WwOKpjraAa52Zx",` +
		`"witnessPolicy":"witness w witness.test/static+2b6ca04f+BIQF4nVGCbZ5uo+YdX2KLvQOiF+MSjq3MVtei+/yLUSX http://127.0.0.1:1\ngroup g any w\nquorum g\n"}],"signers":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := custody.ParsePolicy(data)
		if err != nil {
			return
		}
		stable(t, data, p, custody.ParsePolicy)
	})
}

// FuzzParseStatement: bad statements are errors, never panics; what parses
// re-encodes to bytes that parse to the same statement.
func FuzzParseStatement(f *testing.F) {
	b, _ := bigBundle(f, 3)
	for _, r := range b.Events {
		f.Add(r.Envelope.Payload)
	}
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://evidctl.dev/custody-event/v1","subject":[],"predicate":{"type":"receive","Type":"note"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := custody.ParseStatement(data)
		if err != nil {
			return
		}
		stable(t, data, statementJSON{st}, func(b []byte) (statementJSON, error) {
			st, err := custody.ParseStatement(b)
			return statementJSON{st}, err
		})
	})
}

type statementJSON struct{ *custody.Statement }

func (s statementJSON) MarshalJSON() ([]byte, error) { return s.Marshal() }

// stable checks that v, parsed from data, re-encodes to bytes that parse to a value
// which encodes to the same bytes: the parser and the encoder agree on every value
// the parser accepts.
func stable[T json.Marshaler](t *testing.T, data []byte, v T, parse func([]byte) (T, error)) {
	t.Helper()
	out, err := v.MarshalJSON()
	if err != nil {
		t.Fatalf("a parsed document does not encode: %v\n%s", err, data)
	}
	again, err := parse(out)
	if err != nil {
		t.Fatalf("the re-encoding of an accepted document does not parse: %v\ninput: %s\nre-encoded: %s", err, data, out)
	}
	out2, err := again.MarshalJSON()
	if err != nil || string(out2) != string(out) {
		t.Fatalf("the re-encoding parses to another value: %v\n%s\n%s", err, out, out2)
	}
}

// FuzzVerifyStatement: a validly signed and logged envelope whose payload is anything
// at all is judged, never a panic.
func FuzzVerifyStatement(f *testing.F) {
	b, pol := bigBundle(f, 3)
	for _, r := range b.Events {
		f.Add(r.Envelope.Payload)
	}
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://evidctl.dev/custody-event/v1","subject":[],"predicate":{"type":"receive"}}`))
	anchored, _ := bigWitnessedBundle(f, 3)
	f.Add(anchored.Events[1].Envelope.Payload) // a statement with an anchor, signed by another key
	f.Fuzz(func(t *testing.T, payload []byte) {
		env := &sign.Envelope{PayloadType: custody.PayloadType, Payload: payload, Signatures: b.Events[1].Envelope.Signatures}
		mut := b.Clone()
		mut.Events[1] = custody.NewRecord(env, b.Events[1].Proof)
		rep, err := custody.Verify(context.Background(), mut, pol)
		if err != nil {
			t.Fatalf("verify could not run: %v", err)
		}
		if rep.Valid && string(payload) != string(b.Events[1].Envelope.Payload) {
			t.Fatalf("an altered payload verified")
		}
	})
}

// FuzzItemKey: an item key's text either fails to parse or is the one canonical
// spelling of 32 bytes, which re-encodes to itself.
func FuzzItemKey(f *testing.F) {
	text, err := custody.NewItemKey().MarshalText()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(text)
	f.Add([]byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB="))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, text []byte) {
		var k custody.ItemKey
		if k.UnmarshalText(text) != nil {
			return
		}
		again, err := k.MarshalText()
		if err != nil || string(again) != string(text) {
			t.Fatalf("%q parsed but re-encodes as %q (%v)", text, again, err)
		}
	})
}
