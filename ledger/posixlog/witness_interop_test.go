package posixlog_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger/ledgertest"
)

// TestInteropCosignatures checks a witnessed receipt's cosignatures with
// transparency-dev/formats/note and golang.org/x/mod/sumdb/note alone: a verifier that
// has never heard of evidctl takes the checkpoint out of the receipt text by hand and
// opens it with the log's key and the witnesses' cosignature/v1 keys.
func TestInteropCosignatures(t *testing.T) {
	w := newWitnessedLog(t, 2)
	l := w.open(t, 2)
	before := time.Now().Truncate(time.Second)
	r, err := l.Append(t.Context(), ledgertest.Leaf(t.Name()))
	if err != nil {
		t.Fatal(err)
	}
	text, err := r.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	// c2sp.org/tlog-proof: the signed checkpoint follows the first empty line.
	_, checkpoint, ok := bytes.Cut(text, []byte("\n\n"))
	if !ok {
		t.Fatalf("no checkpoint in receipt:\n%s", text)
	}

	logV, err := note.NewVerifier(w.entry.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	verifiers := []note.Verifier{logV}
	for _, wt := range w.witnesses {
		v, err := fnote.NewVerifierForCosignatureV1(wt.VerifierKey)
		if err != nil {
			t.Fatal(err)
		}
		verifiers = append(verifiers, v)
	}
	n, err := note.Open(checkpoint, note.VerifierList(verifiers...))
	if err != nil {
		t.Fatalf("opening the checkpoint: %v\n%s", err, checkpoint)
	}
	if !strings.HasPrefix(n.Text, w.entry.Origin+"\n") {
		t.Fatalf("checkpoint of another log:\n%s", n.Text)
	}
	signed := map[string]bool{}
	for _, s := range n.Sigs {
		signed[s.Name] = true
		if s.Name == logV.Name() {
			continue
		}
		ts, err := fnote.CoSigV1Timestamp(s)
		if err != nil {
			t.Fatalf("cosignature by %s: %v", s.Name, err)
		}
		if ts.Before(before) || ts.After(time.Now()) {
			t.Errorf("cosignature by %s has timestamp %v, outside the test's run", s.Name, ts)
		}
	}
	for _, name := range []string{logV.Name(), "w1", "w2"} {
		if !signed[name] {
			t.Errorf("no verified signature by %s: %v", name, n.Sigs)
		}
	}
}
