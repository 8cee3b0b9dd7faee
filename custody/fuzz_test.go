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
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := custody.ParseBundle(data)
		if err != nil {
			return
		}
		if _, err := custody.Verify(context.Background(), b, pol); err != nil {
			t.Fatalf("verify of a parsed bundle could not run: %v", err)
		}
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
		if _, err := json.Marshal(p); err != nil {
			t.Fatalf("a parsed policy does not encode: %v", err)
		}
	})
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
