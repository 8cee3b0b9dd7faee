package httpapi

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
)

var (
	testEntry = bytes.Repeat([]byte{0xe1}, ledger.EntrySize)
	testKeyID = strings.Repeat("ab", 32)
	testSig   = []byte("a signature of some length")
)

func TestSignedEntryRoundTrip(t *testing.T) {
	body := SignedEntry{Entry: testEntry, KeyID: testKeyID, Sig: testSig}.Marshal()
	s, err := ParseSignedEntry(body)
	require.NoError(t, err)
	require.Equal(t, SignedEntry{Entry: testEntry, KeyID: testKeyID, Sig: testSig}, s)
}

func TestParseSignedEntryRefuses(t *testing.T) {
	e64 := base64.StdEncoding.EncodeToString(testEntry)
	s64 := base64.StdEncoding.EncodeToString(testSig)
	ok := `{"entry":"` + e64 + `","keyid":"` + testKeyID + `","sig":"` + s64 + `"}`
	_, err := ParseSignedEntry([]byte(ok))
	require.NoError(t, err)
	cases := map[string]string{
		"not an object":      `[]`,
		"empty":              ``,
		"missing sig":        `{"entry":"` + e64 + `","keyid":"` + testKeyID + `"}`,
		"missing keyid":      `{"entry":"` + e64 + `","sig":"` + s64 + `"}`,
		"duplicate sig":      `{"entry":"` + e64 + `","keyid":"` + testKeyID + `","sig":"` + s64 + `","sig":"` + s64 + `"}`,
		"two signatures":     `{"entry":"` + e64 + `","keyid":"` + testKeyID + `","sig":["` + s64 + `","` + s64 + `"]}`,
		"upper-case member":  `{"Entry":"` + e64 + `","keyid":"` + testKeyID + `","sig":"` + s64 + `"}`,
		"unknown member":     `{"entry":"` + e64 + `","keyid":"` + testKeyID + `","sig":"` + s64 + `","x":""}`,
		"signatures member":  `{"entry":"` + e64 + `","keyid":"` + testKeyID + `","signatures":[]}`,
		"trailing data":      ok + `{}`,
		"short entry":        `{"entry":"` + base64.StdEncoding.EncodeToString(testEntry[:32]) + `","keyid":"` + testKeyID + `","sig":"` + s64 + `"}`,
		"unpadded base64":    `{"entry":"` + strings.TrimRight(base64.StdEncoding.EncodeToString(testEntry), "=") + `","keyid":"` + testKeyID + `","sig":"` + s64 + `"}`,
		"url-safe base64":    `{"entry":"` + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 64)) + `","keyid":"` + testKeyID + `","sig":"` + s64 + `"}`,
		"non-canonical bits": `{"entry":"` + e64 + `","keyid":"` + testKeyID + `","sig":"` + "QR==" + `"}`,
		"empty sig":          `{"entry":"` + e64 + `","keyid":"` + testKeyID + `","sig":""}`,
		"huge sig":           `{"entry":"` + e64 + `","keyid":"` + testKeyID + `","sig":"` + base64.StdEncoding.EncodeToString(make([]byte, MaxSignatureSize+1)) + `"}`,
		"empty keyid":        `{"entry":"` + e64 + `","keyid":"","sig":"` + s64 + `"}`,
		"upper-case keyid":   `{"entry":"` + e64 + `","keyid":"` + strings.ToUpper(testKeyID) + `","sig":"` + s64 + `"}`,
		"short keyid":        `{"entry":"` + e64 + `","keyid":"abcd","sig":"` + s64 + `"}`,
		"keyid not a string": `{"entry":"` + e64 + `","keyid":1,"sig":"` + s64 + `"}`,
		"line break":         `{"entry":"` + e64[:10] + `\n` + e64[10:] + `","keyid":"` + testKeyID + `","sig":"` + s64 + `"}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseSignedEntry([]byte(body))
			require.ErrorIs(t, err, ledger.ErrMalformed)
			require.NotContains(t, err.Error(), s64, "errors quote nothing of the body")
		})
	}
}

func TestConflictLine(t *testing.T) {
	ce := &ledger.ConflictError{Tag: [32]byte{1, 2}, Index: 4071, Commitment: [32]byte{0xff}}
	line := FormatConflict(ce)
	require.Contains(t, line, "index 4071")
	back, err := ParseConflict(line)
	require.NoError(t, err)
	require.Equal(t, ce, back)
	for _, bad := range []string{
		"", "conflict", strings.Replace(line, "4071", "04071", 1), strings.Replace(line, "4071", "+4071", 1),
		strings.ToUpper(line), line + " ", strings.Replace(line, "index", "at", 1), line[:len(line)-2],
	} {
		_, err := ParseConflict(bad)
		require.ErrorIs(t, err, ledger.ErrMalformed, "%q", bad)
	}
}

func FuzzParseSignedEntry(f *testing.F) {
	f.Add(SignedEntry{Entry: testEntry, KeyID: testKeyID, Sig: testSig}.Marshal())
	f.Add([]byte(`{"entry":"","keyid":"","sig":""}`))
	f.Add([]byte(`{"entry":"\u0041","keyid":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSignedEntry(b)
		if err != nil {
			return
		}
		again, err := ParseSignedEntry(s.Marshal())
		if err != nil || !bytes.Equal(again.Entry, s.Entry) || again.KeyID != s.KeyID || !bytes.Equal(again.Sig, s.Sig) {
			t.Fatalf("a parsed body does not survive Marshal: %v", err)
		}
	})
}

func FuzzParseConflict(f *testing.F) {
	f.Add(FormatConflict(&ledger.ConflictError{Index: 3}))
	f.Add("conflict: tag x is already logged at index 1 with commitment y")
	f.Fuzz(func(t *testing.T, line string) {
		ce, err := ParseConflict(line)
		if err == nil && FormatConflict(ce) != line {
			t.Fatalf("%q parsed but is not canonical", line)
		}
	})
}
