package digest

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func TestParseAlgorithm(t *testing.T) {
	tests := []struct {
		in      string
		want    Algorithm
		wantErr string
	}{
		{"sha256", SHA256, ""},
		{"sha512", SHA512, ""},
		{"sha1", SHA1, ""},
		{"md5", MD5, ""},
		{"SHA256", "", "unknown digest algorithm"},
		{"sha3-256", "", `unknown digest algorithm "sha3-256"`},
		{"", "", "unknown digest algorithm"},
		{" sha256", "", "unknown digest algorithm"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAlgorithm(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.ErrorIs(t, err, ErrUnknownAlgorithm)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseAlgorithms(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []Algorithm
		wantErr string
	}{
		{"empty", "", nil, ""},
		{"blank", "  ", nil, ""},
		{"one", "sha512", []Algorithm{SHA512}, ""},
		{"three with spaces", "sha512, sha1 ,md5", []Algorithm{SHA512, SHA1, MD5}, ""},
		{"sha256 allowed", "sha256,md5", []Algorithm{SHA256, MD5}, ""},
		{"unknown", "sha512,blake3", nil, `unknown digest algorithm "blake3"`},
		{"empty item", "sha1,,md5", nil, "item 2 is empty"},
		{"trailing comma", "sha1,", nil, "item 2 is empty"},
		{"duplicate", "md5,md5", nil, "md5 is listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAlgorithms(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"sha256", "sha256:" + emptySHA256, ""},
		{"sha512", "sha512:" + strings.Repeat("0a", 64), ""},
		{"sha1", "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709", ""},
		{"md5", "md5:d41d8cd98f00b204e9800998ecf8427e", ""},
		{"no colon", emptySHA256, "want ALGORITHM:HEX"},
		{"empty", "", "want ALGORITHM:HEX"},
		{"unknown algorithm", "sha3:" + emptySHA256, `unknown digest algorithm "sha3"`},
		{"uppercase algorithm", "SHA256:" + emptySHA256, "unknown digest algorithm"},
		{"uppercase hex", "sha256:" + strings.ToUpper(emptySHA256), "must be lowercase hex; character 1 is not"},
		{"short", "sha256:" + emptySHA256[:62], "must be 64 hex digits, got 62"},
		{"long", "sha256:" + emptySHA256 + "00", "must be 64 hex digits, got 66"},
		{"sha512 length for sha256", "sha256:" + strings.Repeat("0a", 64), "must be 64 hex digits"},
		{"non hex", "sha256:" + emptySHA256[:63] + "g", "character 64 is not"},
		{"space", "sha256: " + emptySHA256[1:], "character 1 is not"},
		{"double colon", "sha256::" + emptySHA256[1:], "character 1 is not"},
		{"empty value", "md5:", "must be 32 hex digits, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.True(t, d.IsZero())
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.in, d.String(), "round trip")
			b, err := d.MarshalText()
			require.NoError(t, err)
			var back Digest
			require.NoError(t, back.UnmarshalText(b))
			require.True(t, d.Equal(back))
		})
	}
}

func TestParseErrorShortensHugeInput(t *testing.T) {
	_, err := Parse(strings.Repeat("x", 10000))
	require.Error(t, err)
	require.Less(t, len(err.Error()), 300)
}

func TestSHA256Bytes(t *testing.T) {
	d := SHA256Bytes(nil)
	require.Equal(t, "sha256:"+emptySHA256, d.String())
	require.Equal(t, emptySHA256, d.Hex())
}

func TestEqual(t *testing.T) {
	a := SHA256Bytes([]byte("a"))
	b := SHA256Bytes([]byte("b"))
	md := Digest{Algorithm: MD5, Sum: a.Sum[:16]}
	sameBytesOtherAlg := Digest{Algorithm: SHA512, Sum: a.Sum}
	tests := []struct {
		name string
		x, y Digest
		want bool
	}{
		{"same", a, SHA256Bytes([]byte("a")), true},
		{"different sum", a, b, false},
		{"different algorithm", a, sameBytesOtherAlg, false},
		{"different length", a, md, false},
		{"zero vs zero", Digest{}, Digest{}, false},
		{"zero vs value", Digest{}, a, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.x.Equal(tt.y))
			require.Equal(t, tt.want, tt.y.Equal(tt.x))
		})
	}
}

func TestMarshalTextRejectsInvalid(t *testing.T) {
	tests := []struct {
		name string
		d    Digest
	}{
		{"zero", Digest{}},
		{"unknown algorithm", Digest{Algorithm: "crc32", Sum: []byte{1, 2, 3, 4}}},
		{"wrong length", Digest{Algorithm: SHA256, Sum: []byte{1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.d.MarshalText()
			require.Error(t, err)
		})
	}
}

func TestDigestJSON(t *testing.T) {
	type doc struct {
		D Digest `json:"d"`
	}
	in := doc{D: SHA256Bytes([]byte("evidence"))}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	require.Equal(t, `{"d":"`+in.D.String()+`"}`, string(b))
	var out doc
	require.NoError(t, json.Unmarshal(b, &out))
	require.True(t, in.D.Equal(out.D))
	require.Error(t, json.Unmarshal([]byte(`{"d":"sha256:ABC"}`), &out))
}

func TestAlgorithmSize(t *testing.T) {
	require.Equal(t, 32, SHA256.Size())
	require.Equal(t, 64, SHA512.Size())
	require.Equal(t, 20, SHA1.Size())
	require.Equal(t, 16, MD5.Size())
	require.Equal(t, 0, Algorithm("nope").Size())
}

// reference computes the digests of b with the standard library directly.
func reference(b []byte) map[Algorithm]string {
	s256 := sha256.Sum256(b)
	s512 := sha512.Sum512(b)
	s1 := sha1.Sum(b)
	m5 := md5.Sum(b)
	return map[Algorithm]string{
		SHA256: hex.EncodeToString(s256[:]),
		SHA512: hex.EncodeToString(s512[:]),
		SHA1:   hex.EncodeToString(s1[:]),
		MD5:    hex.EncodeToString(m5[:]),
	}
}
