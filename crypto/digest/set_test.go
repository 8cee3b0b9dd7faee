package digest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSetFromMap(t *testing.T) {
	ref := reference([]byte("x"))
	tests := []struct {
		name    string
		in      map[string]string
		want    []Algorithm
		wantErr string
	}{
		{"sha256 only", map[string]string{"sha256": ref[SHA256]}, []Algorithm{SHA256}, ""},
		{"all, canonical order", map[string]string{"md5": ref[MD5], "sha1": ref[SHA1], "sha512": ref[SHA512], "sha256": ref[SHA256]}, []Algorithm{SHA256, SHA512, SHA1, MD5}, ""},
		{"nil", nil, nil, "no sha256 digest"},
		{"no sha256", map[string]string{"md5": ref[MD5]}, nil, "no sha256 digest"},
		{"unknown algorithm", map[string]string{"sha256": ref[SHA256], "gitCommit": "abc"}, nil, `unknown digest algorithm "gitCommit"`},
		{"bad hex", map[string]string{"sha256": strings.ToUpper(ref[SHA256])}, nil, "lowercase hex"},
		{"wrong length", map[string]string{"sha256": ref[SHA256], "md5": ref[SHA1]}, nil, "md5 value must be 32 hex digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := SetFromMap(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, s.Algorithms())
			require.Equal(t, tt.in, s.Map(), "round trip through Map")
			require.Equal(t, ref[SHA256], s.SHA256().Hex())
		})
	}
}

func TestSetGet(t *testing.T) {
	s, err := SetFromMap(map[string]string{"sha256": reference(nil)[SHA256], "md5": reference(nil)[MD5]})
	require.NoError(t, err)
	d, ok := s.Get(MD5)
	require.True(t, ok)
	require.Equal(t, "md5:d41d8cd98f00b204e9800998ecf8427e", d.String())
	_, ok = s.Get(SHA1)
	require.False(t, ok)
	require.True(t, Set(nil).SHA256().IsZero())
}

func TestSetMatch(t *testing.T) {
	mk := func(content string, algs ...Algorithm) Set {
		s, _, err := Reader(strings.NewReader(content), algs...)
		require.NoError(t, err)
		return s
	}
	onlyMD5 := Set{mk("a", MD5)[1]}
	tests := []struct {
		name     string
		got      Set
		want     Set
		mismatch Algorithm // expected *MismatchError algorithm
		wantErr  string
	}{
		{"equal sha256", mk("a"), mk("a"), "", ""},
		{"equal with extras", mk("a", SHA512, MD5), mk("a", MD5, SHA512), "", ""},
		{"extras only on one side", mk("a", SHA1), mk("a", MD5), "", ""},
		{"sha256 differs", mk("a"), mk("b"), SHA256, ""},
		{"extra differs", mk("a", MD5), append(mk("a"), mk("b", MD5)[1]), MD5, ""},
		{"expected lacks sha256", mk("a", MD5), onlyMD5, "", "expected digest set: no sha256 digest"},
		{"computed lacks sha256", onlyMD5, mk("a"), "", "computed digest set: no sha256 digest"},
		{"empty expected", mk("a"), nil, "", "no sha256 digest"},
		{"duplicate algorithm", mk("a"), append(mk("a"), mk("a")[0]), "", "sha256 appears twice"},
		{"malformed digest", mk("a"), Set{{Algorithm: SHA256, Sum: []byte{1}}}, "", "sum must be 32 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.got.Match(tt.want)
			switch {
			case tt.mismatch != "":
				var me *MismatchError
				require.ErrorAs(t, err, &me)
				require.Equal(t, tt.mismatch, me.Algorithm)
				require.Contains(t, err.Error(), string(tt.mismatch)+" digest mismatch: want "+me.Want.String()+", got "+me.Got.String())
			case tt.wantErr != "":
				require.ErrorContains(t, err, tt.wantErr)
			default:
				require.NoError(t, err)
			}
		})
	}
}
