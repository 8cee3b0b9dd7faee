package ledger_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
)

func TestReceiptRoundTrip(t *testing.T) {
	m := newMemLog(t, "example.org/log")
	m.grow(t, 11)
	for _, tc := range []struct {
		name string
		r    *ledger.Receipt
	}{
		{"plain", m.receipt(t, 7, 11)},
		{"single leaf, empty path", m.receipt(t, 0, 1)},
		{"extra data", func() *ledger.Receipt { r := m.receipt(t, 3, 11); r.Extra = [][]byte{[]byte("vrf")}; return r }()},
		{"empty extra data", func() *ledger.Receipt { r := m.receipt(t, 3, 11); r.Extra = [][]byte{{}}; return r }()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := mustText(t, tc.r)
			got, err := ledger.ParseReceipt(text)
			require.NoError(t, err)
			require.Equal(t, tc.r.Index, got.Index)
			require.Equal(t, len(tc.r.Proof), len(got.Proof))
			require.Equal(t, tc.r.Checkpoint, got.Checkpoint)
			require.Equal(t, text, mustText(t, got))
			_, err = m.trust().VerifyReceipt(got, leafOf(int(got.Index)))
			require.NoError(t, err)
		})
	}
}

func TestReceiptTextFormat(t *testing.T) {
	r := &ledger.Receipt{Index: 5, Extra: [][]byte{[]byte("hi")}, Proof: []tlog.Hash{{1}}, Checkpoint: []byte("cp\n")}
	want := "c2sp.org/tlog-proof@v1\nextra aGk=\nindex 5\nAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\ncp\n"
	require.Equal(t, want, string(mustText(t, r)))
}

func TestMarshalTextRejects(t *testing.T) {
	for name, r := range map[string]*ledger.Receipt{
		"two extra lines":            {Extra: [][]byte{{1}, {2}}, Checkpoint: []byte("x\n")},
		"empty checkpoint":           {},
		"checkpoint without newline": {Checkpoint: []byte("x")},
		"path longer than 64 hashes": {Proof: make([]tlog.Hash, 65), Checkpoint: []byte("x\n")},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := r.MarshalText()
			require.ErrorIs(t, err, ledger.ErrMalformed)
		})
	}
}

func TestParseReceiptRejects(t *testing.T) {
	m := newMemLog(t, "example.org/log")
	m.grow(t, 5)
	good := string(mustText(t, m.receipt(t, 2, 5)))
	header, rest, _ := strings.Cut(good, "\n")
	idxLine, rest, _ := strings.Cut(rest, "\n")
	path, cp, _ := strings.Cut(rest, "\n\n")
	hash0, _, _ := strings.Cut(path, "\n")
	with := func(idx, p, c string) string { return header + "\n" + idx + "\n" + p + "\n\n" + c }
	cases := map[string]string{
		"empty":                        "",
		"missing header":               strings.TrimPrefix(good, header+"\n"),
		"wrong header":                 strings.Replace(good, "@v1", "@v2", 1),
		"header with CR":               strings.Replace(good, "@v1\n", "@v1\r\n", 1),
		"two extra lines":              strings.Replace(good, "\nindex", "\nextra aGk=\nextra aGk=\nindex", 1),
		"bad extra base64":             strings.Replace(good, "\nindex", "\nextra !!!\nindex", 1),
		"missing index":                with("", path, cp),
		"index with leading zero":      with("index 02", path, cp),
		"index with sign":              with("index +2", path, cp),
		"index with space":             with("index  2", path, cp),
		"index overflow":               with("index 18446744073709551616", path, cp),
		"index hex":                    with("index 0x2", path, cp),
		"hash bad base64":              with(idxLine, "not*base64", cp),
		"hash 31 bytes":                with(idxLine, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", cp),
		"hash 33 bytes":                with(idxLine, hash0+"AA", cp),
		"hash non-canonical padding":   with(idxLine, hash0[:42]+"B=", cp),
		"hash with CR":                 with(idxLine, hash0+"\r", cp),
		"hash unpadded":                with(idxLine, strings.TrimSuffix(hash0, "="), cp),
		"no blank line":                strings.Replace(good, "\n\n", "\n", 1),
		"no checkpoint":                with(idxLine, path, ""),
		"trailing garbage":             good + "garbage\n",
		"trailing unterminated":        good + "x",
		"checkpoint not signed":        with(idxLine, path, m.body(t, m.origin, 5)),
		"checkpoint size leading zero": with(idxLine, path, strings.Replace(cp, "\n5\n", "\n05\n", 1)),
		"path of 65 hashes":            with(idxLine, strings.Repeat(hash0+"\n", 64)+hash0, cp),
		"signature non-canonical":      with(idxLine, path, nonCanonicalSignature(cp)),
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ledger.ParseReceipt([]byte(text))
			require.ErrorIs(t, err, ledger.ErrMalformed)
		})
	}
	_, err := ledger.ParseReceipt([]byte(good))
	require.NoError(t, err, "the unmodified receipt")
}

// nonCanonicalSignature spells the checkpoint's last signature with non-zero padding
// bits: the same bytes to a lax base64 decoder.
func nonCanonicalSignature(cp string) string {
	i := strings.LastIndex(cp, "=\n")
	c := cp[i-1]
	return cp[:i-1] + string(c^1) + cp[i:]
}

func TestParseReceiptDoesNotAlias(t *testing.T) {
	m := newMemLog(t, "example.org/log")
	m.grow(t, 2)
	text := mustText(t, m.receipt(t, 1, 2))
	r, err := ledger.ParseReceipt(text)
	require.NoError(t, err)
	before := bytes.Clone(r.Checkpoint)
	for i := range text {
		text[i] = 0
	}
	require.Equal(t, before, r.Checkpoint)
}
