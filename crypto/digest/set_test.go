package digest

import (
	"encoding/json"
	"slices"
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

func TestSetJSON(t *testing.T) {
	ref := reference([]byte("x"))
	all := `{"md5":"` + ref[MD5] + `","sha1":"` + ref[SHA1] + `","sha256":"` + ref[SHA256] + `","sha512":"` + ref[SHA512] + `"}`
	tests := []struct {
		name    string
		in      string
		want    []Algorithm
		wantErr string
	}{
		{"sha256 only", `{"sha256":"` + ref[SHA256] + `"}`, []Algorithm{SHA256}, ""},
		{"all, sorted keys", all, []Algorithm{SHA256, SHA512, SHA1, MD5}, ""},
		{"null", `null`, nil, "not a JSON object"},
		{"array", `["sha256"]`, nil, "not a JSON object"},
		{"empty", `{}`, nil, "no sha256 digest"},
		{"no sha256", `{"md5":"` + ref[MD5] + `"}`, nil, "no sha256 digest"},
		{"unknown algorithm", `{"sha256":"` + ref[SHA256] + `","sha3-256":"` + ref[SHA256] + `"}`, nil, `unknown digest algorithm "sha3-256"`},
		{"uppercase hex", `{"sha256":"` + strings.ToUpper(ref[SHA256]) + `"}`, nil, "lowercase hex"},
		{"wrong length", `{"sha256":"` + ref[SHA256][:62] + `"}`, nil, "sha256 value must be 64 hex digits"},
		{"md5 of sha1 length", `{"sha256":"` + ref[SHA256] + `","md5":"` + ref[SHA1] + `"}`, nil, "md5 value must be 32 hex digits"},
		{"repeated key", `{"sha256":"` + ref[SHA256] + `","sha256":"` + reference(nil)[SHA256] + `"}`, nil, `"sha256" appears twice`},
		{"number value", `{"sha256":1}`, nil, `the value of "sha256" is not a string`},
		{"object value", `{"sha256":{}}`, nil, `is not a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Set
			err := json.Unmarshal([]byte(tt.in), &s)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.Nil(t, s, "nothing decoded on error")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, s.Algorithms(), "canonical order")
			out, err := json.Marshal(s)
			require.NoError(t, err)
			require.JSONEq(t, tt.in, string(out))
			m := map[string]string{}
			require.NoError(t, json.Unmarshal([]byte(tt.in), &m))
			mapBytes, err := json.Marshal(m)
			require.NoError(t, err)
			require.Equal(t, string(mapBytes), string(out), "the bytes of the in-toto map")
		})
	}
}

func TestSetMarshalJSON(t *testing.T) {
	x, _, err := Reader(strings.NewReader("x"), MD5, SHA1)
	require.NoError(t, err)
	out, err := json.Marshal(struct{ D Set }{x})
	require.NoError(t, err)
	require.Equal(t, `{"D":{"md5":"`+x[1].Hex()+`","sha1":"`+x[2].Hex()+`","sha256":"`+x[0].Hex()+`"}}`, string(out), "keys sorted, whatever the set's order")
	out, err = json.Marshal(struct{ D Set }{})
	require.NoError(t, err)
	require.Equal(t, `{"D":null}`, string(out))
	_, err = json.Marshal(Set{{Algorithm: SHA256, Sum: []byte{1}}})
	require.ErrorContains(t, err, "sum must be 32 bytes")
	_, err = json.Marshal(append(x, x[0]))
	require.ErrorContains(t, err, "sha256 appears twice")
}

// TestSetMarshalJSONIsTheMap: every set of one to four algorithms, in every order,
// encodes as the bytes encoding/json writes for its in-toto map.
func TestSetMarshalJSONIsTheMap(t *testing.T) {
	all, _, err := Reader(strings.NewReader("x"), SHA512, SHA1, MD5)
	require.NoError(t, err)
	var orders func(prefix, rest Set)
	orders = func(prefix, rest Set) {
		if len(prefix) > 0 {
			want, err := json.Marshal(prefix.Map())
			require.NoError(t, err)
			got, err := json.Marshal(prefix)
			require.NoError(t, err)
			require.Equal(t, string(want), string(got), "%v", prefix.Algorithms())
		}
		for i := range rest {
			next := append(slices.Clone(prefix), rest[i])
			orders(next, slices.Concat(rest[:i], rest[i+1:]))
		}
	}
	orders(nil, all)
	got, err := json.Marshal(Set{})
	require.NoError(t, err)
	require.Equal(t, "{}", string(got), "an empty set, as an empty map")
}

func TestSetEqualAndString(t *testing.T) {
	a, _, err := Reader(strings.NewReader("a"), MD5, SHA512)
	require.NoError(t, err)
	b, _, err := Reader(strings.NewReader("a"), SHA512, MD5)
	require.NoError(t, err)
	require.True(t, a.Equal(b), "order does not matter")
	require.False(t, a.Equal(b[:2]), "a missing algorithm")
	require.False(t, a[:1].Equal(Set{mustSet(t, "b")[0]}), "another sum")
	require.False(t, Set(nil).Equal(nil), "empty sets prove nothing")
	require.Equal(t, a.String(), b.String())
	require.Equal(t, "md5:"+a[1].Hex()+" sha256:"+a[0].Hex()+" sha512:"+a[2].Hex(), b.String())
	require.Equal(t, "", Set(nil).String())
}

func mustSet(t *testing.T, content string) Set {
	s, _, err := Reader(strings.NewReader(content))
	require.NoError(t, err)
	return s
}
