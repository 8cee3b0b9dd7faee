package sign

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// benchPayload is a custody statement of typical size (about 1.5 KiB).
var benchPayload = []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"disk-image-0042.E01","digest":{"sha256":"` +
	strings.Repeat("ab", 32) + `"}}],"predicateType":"https://evidctl.dev/custody-event/v1","predicate":{"type":"transfer","note":"` +
	strings.Repeat("x", 1200) + `"}}`)

// Run: go test -run XXX -bench 'Envelope' -benchmem ./crypto/sign/
func BenchmarkSignEnvelope(b *testing.B) {
	for _, kt := range keyTypes {
		b.Run(string(kt), func(b *testing.B) {
			s := testSigner(b, kt, "bench")
			ctx := context.Background()
			b.SetBytes(int64(len(benchPayload)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := SignEnvelope(ctx, testInTotoTyp, benchPayload, s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifyEnvelope(b *testing.B) {
	for _, kt := range keyTypes {
		b.Run(string(kt), func(b *testing.B) {
			s := testSigner(b, kt, "bench")
			ctx := context.Background()
			env, err := SignEnvelope(ctx, testInTotoTyp, benchPayload, s)
			if err != nil {
				b.Fatal(err)
			}
			v := s.Verifier()
			b.SetBytes(int64(len(benchPayload)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := env.Verify(ctx, 1, v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseVerifyEnvelope is what a court-side check does per event: parse the
// JSON, then verify.
func BenchmarkParseVerifyEnvelope(b *testing.B) {
	s := testSigner(b, ECDSAP256, "bench")
	ctx := context.Background()
	env, err := SignEnvelope(ctx, testInTotoTyp, benchPayload, s)
	if err != nil {
		b.Fatal(err)
	}
	wire, err := json.Marshal(env)
	if err != nil {
		b.Fatal(err)
	}
	v := s.Verifier()
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		e, err := ParseEnvelope(wire)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Verify(ctx, 1, v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadSigner measures opening a key file: dominated by scrypt (N=2^16).
func BenchmarkLoadSigner(b *testing.B) {
	kp := testKeyPair(b, ECDSAP256)
	for b.Loop() {
		if _, err := LoadSigner(kp.PrivatePEM, testPass); err != nil {
			b.Fatal(err)
		}
	}
}
