package digest

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add("sha256:" + emptySHA256)
	f.Add("md5:d41d8cd98f00b204e9800998ecf8427e")
	f.Add("sha512:" + strings.Repeat("ab", 64))
	f.Add("sha1:")
	f.Add(":")
	f.Add("SHA256:" + emptySHA256)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			if !d.IsZero() {
				t.Fatalf("Parse(%q) returned a digest with an error", s)
			}
			return
		}
		// Accepted input must round-trip exactly: there is one spelling.
		if got := d.String(); got != s {
			t.Fatalf("Parse(%q).String() = %q", s, got)
		}
		if len(d.Sum) != d.Algorithm.Size() {
			t.Fatalf("Parse(%q): sum length %d for %s", s, len(d.Sum), d.Algorithm)
		}
		if !d.Equal(d) {
			t.Fatalf("Parse(%q): digest not equal to itself", s)
		}
	})
}

func FuzzSetFromMap(f *testing.F) {
	f.Add("sha256", emptySHA256, "md5", "d41d8cd98f00b204e9800998ecf8427e")
	f.Add("sha256", emptySHA256, "sha256", emptySHA256)
	f.Add("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "x", "")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		m := map[string]string{k1: v1, k2: v2}
		s, err := SetFromMap(m)
		if err != nil {
			return
		}
		back := s.Map()
		if len(back) != len(m) {
			t.Fatalf("SetFromMap(%v) lost entries: %v", m, back)
		}
		for k, v := range m {
			if back[k] != v {
				t.Fatalf("SetFromMap(%v) round trip: %v", m, back)
			}
		}
		if err := s.Match(s); err != nil {
			t.Fatalf("set does not match itself: %v", err)
		}
	})
}

func FuzzParseAlgorithms(f *testing.F) {
	f.Add("sha512,sha1,md5")
	f.Add(",")
	f.Fuzz(func(t *testing.T, csv string) {
		algs, err := ParseAlgorithms(csv)
		if err != nil {
			return
		}
		if _, err := NewHasher(algs...); err != nil {
			t.Fatalf("ParseAlgorithms(%q) accepted %v that NewHasher rejects: %v", csv, algs, err)
		}
	})
}

// FuzzSetJSON: a JSON digest set either fails to decode with an error or decodes to
// a set that re-encodes to the bytes encoding/json writes for the same map (the
// in-toto DigestSet), and that SetFromMap accepts from that map.
func FuzzSetJSON(f *testing.F) {
	f.Add(`{"sha256":"` + emptySHA256 + `"}`)
	f.Add(`{"md5":"d41d8cd98f00b204e9800998ecf8427e","sha256":"` + emptySHA256 + `"}`)
	f.Add(`{"sha256":"` + emptySHA256 + `","sha256":"` + emptySHA256 + `"}`)
	f.Add(`{"sha256":null}`)
	f.Add(`null`)
	f.Add(`{"sha1":"da39a3ee5e6b4b0d3255bfef95601890afd80709"} x`)
	f.Fuzz(func(t *testing.T, in string) {
		var s Set
		if err := s.UnmarshalJSON([]byte(in)); err != nil {
			if s != nil {
				t.Fatalf("UnmarshalJSON(%q) set a value with an error", in)
			}
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("a decoded set does not encode: %v", err)
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(in), &m); err != nil {
			t.Fatalf("UnmarshalJSON accepted %q, which is not a JSON object of strings: %v", in, err)
		}
		want, _ := json.Marshal(m)
		if string(out) != string(want) {
			t.Fatalf("UnmarshalJSON(%q) re-encodes as %s, the map as %s", in, out, want)
		}
		back, err := SetFromMap(m)
		if err != nil || !back.Equal(s) {
			t.Fatalf("SetFromMap disagrees with UnmarshalJSON on %q: %v", in, err)
		}
	})
}

// FuzzPlainObject: whatever plainObject accepts, encoding/json's reader reads to the
// same map without error, so the fast path never changes a result.
func FuzzPlainObject(f *testing.F) {
	for _, s := range []string{
		`{"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}`,
		` { "sha256" : "ab" , "md5":"cd" } `, `{}`, `{"a":"b",}`, `{"a":"b""c":"d"}`, `{"a":"b","a":"c"}`,
		`{"a":"\u0062"}`, `{"a":1}`, `{"a":"b"} x`, `{"a":"é"}`, "{\"a\":\"b\"}\n", `{"a":"b"`, `[]`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := plainObject(data)
		if !ok {
			return
		}
		slow, err := readDigestObject(data)
		if err != nil {
			t.Fatalf("plainObject read %q, encoding/json refuses it: %v", data, err)
		}
		if !maps.Equal(fast, slow) {
			t.Fatalf("%q: plainObject %v, encoding/json %v", data, fast, slow)
		}
	})
}

// TestPlainObjectReadsTheCommonCase: the digest sets statements carry take the fast
// path, and what it cannot read falls back to encoding/json's reader.
func TestPlainObjectReadsTheCommonCase(t *testing.T) {
	m, ok := plainObject([]byte(` {"sha256": "ab", "md5":"cd"}` + "\n"))
	if !ok || !maps.Equal(m, map[string]string{"sha256": "ab", "md5": "cd"}) {
		t.Fatalf("plainObject: %v %v", m, ok)
	}
	for _, s := range []string{`{"a":"b","a":"c"}`, `{"a":"\u0062"}`, `{"a":1}`, `{"a":"b"} x`, `{"a":"b",}`} {
		if _, ok := plainObject([]byte(s)); ok {
			t.Errorf("plainObject read %s", s)
		}
	}
	if _, err := decodeDigestObject([]byte(`{"a":"b","a":"c"}`)); err == nil || !strings.Contains(err.Error(), "appears twice") {
		t.Errorf("a repeated key: %v", err)
	}
}
