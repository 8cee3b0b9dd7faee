package ledger_test

import (
	"bytes"
	"testing"

	"github.com/evidctl/evidctl/ledger"
)

// FuzzParseReceipt: bad input yields an error, never a panic, and whatever parses is
// canonical: it encodes back to exactly the input.
func FuzzParseReceipt(f *testing.F) {
	m := newMemLog(f, "example.org/log")
	m.grow(f, 9)
	for _, i := range []int{0, 4, 8} {
		f.Add(mustText(f, m.receipt(f, i, 9)))
	}
	r := m.receipt(f, 0, 1)
	r.Extra = [][]byte{[]byte("extra")}
	f.Add(mustText(f, r))
	f.Add([]byte("c2sp.org/tlog-proof@v1\nindex 0\n\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		r, err := ledger.ParseReceipt(text)
		if err != nil {
			if r != nil {
				t.Fatal("receipt returned with an error")
			}
			return
		}
		out, err := r.MarshalText()
		if err != nil {
			t.Fatalf("parsed receipt does not encode: %v", err)
		}
		if !bytes.Equal(out, text) {
			t.Fatalf("not canonical:\n%q\nencodes as\n%q", text, out)
		}
		_, _ = m.trust().VerifyReceipt(r, leafOf(int(r.Index%9)))
	})
}

// FuzzVerifyCheckpoint: checkpoint notes of any shape are rejected without panicking, and
// an accepted one reports the body it was signed over.
func FuzzVerifyCheckpoint(f *testing.F) {
	m := newMemLog(f, "example.org/log")
	m.grow(f, 5)
	w, wkey := newWitness(f, "witness.example")
	entry := m.entry()
	entry.Witnesses, entry.Quorum = []string{wkey}, 0
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
	for _, size := range []int{0, 1, 5} {
		f.Add(m.checkpoint(f, size))
		f.Add(m.checkpoint(f, size, w))
	}
	f.Add([]byte("example.org/log\n1\nAAAA\n\n— example.org/log AAAAAAA=\n"))
	f.Fuzz(func(t *testing.T, note []byte) {
		cp, err := trust.VerifyCheckpoint(note)
		if err != nil {
			return
		}
		if cp.Origin != m.origin || !bytes.Equal(cp.Note, note) || cp.Size > 5 {
			t.Fatalf("accepted a checkpoint the log never signed: %+v", cp)
		}
	})
}
