package ledger

import (
	"bytes"
	"encoding/base64"
	"testing"
)

// FuzzDecodeBase64: decodeBase64 accepts exactly the base64 that encodes back to its
// input, and decodes it as the standard decoder does.
func FuzzDecodeBase64(f *testing.F) {
	for _, s := range []string{"", "AA==", "AB==", "AAA=", "AAAA", "AA", "AA=", "AA\n==", "A\rA==", "QUJD", "QUJD\n", "@@@@", "AA==AA=="} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want, err := base64.StdEncoding.DecodeString(string(b))
		canonical := err == nil && base64.StdEncoding.EncodeToString(want) == string(b)
		got, err := decodeBase64(b)
		if (err == nil) != canonical {
			t.Fatalf("%q: decodeBase64 error %v, canonical %v", b, err, canonical)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("%q: decoded %x, want %x", b, got, want)
		}
	})
}
