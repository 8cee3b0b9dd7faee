package httplog

import (
	"bytes"
	"testing"
)

// FuzzParseProof: whatever a server sends as a proof is parsed or refused with an
// error, never a panic, and what parses re-encodes to exactly the input.
func FuzzParseProof(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"))
	f.Add([]byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nnot a hash\n"))
	f.Add([]byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="))
	f.Add([]byte("0000000000000000000000000000000000000000001=\n")) // non-canonical base64: refused
	f.Fuzz(func(t *testing.T, body []byte) {
		hs, err := parseProof(body)
		if err != nil {
			return
		}
		var again bytes.Buffer
		for _, h := range hs {
			again.WriteString(h.String() + "\n")
		}
		if !bytes.Equal(again.Bytes(), body) {
			t.Fatalf("parsed %q but it re-encodes as %q", body, again.Bytes())
		}
	})
}

// FuzzParseRetryAfter: any Retry-After value yields a wait that is not negative.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "3", "-1", "Wed, 21 Oct 2015 07:28:00 GMT", "999999999999999999999", "9227000000" /* overflowed into a negative wait */} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if d := parseRetryAfter(v); d < 0 {
			t.Fatalf("Retry-After %q gave a negative wait %v", v, d)
		}
	})
}
