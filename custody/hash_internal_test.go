package custody

import (
	"encoding/base64"
	"testing"

	json "github.com/go-json-experiment/json"
	"golang.org/x/mod/sumdb/tlog"
)

// FuzzDecodeHash: a consistency proof's hash reads exactly when its JSON is a string
// that is the canonical base64 of 32 bytes, escaped or not, and reads as those bytes.
func FuzzDecodeHash(f *testing.F) {
	h := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, s := range []string{`"` + h + `"`, `"` + h[:42] + `B="`, `"\u0041` + h[1:] + `"`, `"` + h[:20] + `\n` + h[20:] + `"`,
		`"AA=="`, `1`, `["` + h + `"]`, `null`, `"` + h + h + `"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want []byte
		var s string
		canonical := json.Unmarshal(data, &s) == nil
		if canonical {
			raw, err := base64.StdEncoding.Strict().DecodeString(s)
			canonical = err == nil && len(raw) == 32 && base64.StdEncoding.EncodeToString(raw) == s
			want = raw
		}
		var got tlog.Hash
		err := decodeBytes(data, &got, DefaultLimits())
		if (err == nil) != canonical {
			t.Fatalf("%q: error %v, canonical %v", data, err, canonical)
		}
		if err == nil && string(got[:]) != string(want) {
			t.Fatalf("%q: read %x, want %x", data, got, want)
		}
	})
}
