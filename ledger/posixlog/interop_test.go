package posixlog_test

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
)

// TestInteropXMod checks receipts and checkpoints with golang.org/x/mod/sumdb/note and
// sumdb/tlog alone: the tlog-proof text is taken apart by hand here, not by ledger's parser,
// so a verifier that has never heard of evidctl can follow these steps.
func TestInteropXMod(t *testing.T) {
	l, entry := posixlogtest.NewLog(t)
	ctx := t.Context()
	v, err := note.NewVerifier(entry.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	var leaves [][]byte
	var texts [][]byte
	for i := range 12 {
		leaf := ledgertest.Leaf("interop " + strconv.Itoa(i))
		r, err := l.Append(ctx, leaf)
		if err != nil {
			t.Fatal(err)
		}
		text, err := r.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		leaves, texts = append(leaves, leaf), append(texts, text)
	}
	var first, last xmodCheckpoint
	for i, text := range texts {
		index, proof, msg := splitTlogProof(t, text)
		cp := openWithXMod(t, msg, v, entry.Origin)
		if err := tlog.CheckRecord(proof, cp.size, cp.root, index, tlog.RecordHash(leaves[i])); err != nil {
			t.Fatalf("receipt %d: tlog.CheckRecord: %v", i, err)
		}
		if err := tlog.CheckRecord(proof, cp.size, cp.root, index, tlog.RecordHash(leaves[(i+1)%len(leaves)])); err == nil {
			t.Fatalf("receipt %d verifies for another leaf", i)
		}
		if i == 0 {
			first = cp
		}
		last = cp
	}
	if first.size == last.size {
		t.Fatal("all receipts share one checkpoint; want two sizes to check consistency")
	}
	proof, err := l.ConsistencyProof(ctx, uint64(first.size), uint64(last.size))
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(proof, last.size, last.root, first.size, first.root); err != nil {
		t.Fatalf("tlog.CheckTree from %d to %d: %v", first.size, last.size, err)
	}
}

type xmodCheckpoint struct {
	size int64
	root tlog.Hash
}

// splitTlogProof takes c2sp.org/tlog-proof@v1 text apart by hand.
func splitTlogProof(t *testing.T, text []byte) (int64, tlog.RecordProof, []byte) {
	t.Helper()
	head, msg, ok := bytes.Cut(text, []byte("\n\n"))
	if !ok {
		t.Fatalf("no blank line in %q", text)
	}
	lines := strings.Split(string(head), "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" || !strings.HasPrefix(lines[1], "index ") {
		t.Fatalf("bad tlog-proof head %q", head)
	}
	index, err := strconv.ParseInt(strings.TrimPrefix(lines[1], "index "), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	var proof tlog.RecordProof
	for _, l := range lines[2:] {
		h, err := tlog.ParseHash(l)
		if err != nil {
			t.Fatal(err)
		}
		proof = append(proof, h)
	}
	return index, proof, msg
}

// openWithXMod verifies the checkpoint note with note.Open and parses its body by hand.
func openWithXMod(t *testing.T, msg []byte, v note.Verifier, origin string) xmodCheckpoint {
	t.Helper()
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		t.Fatalf("note.Open: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 || lines[0] != origin {
		t.Fatalf("checkpoint body %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		t.Fatalf("root hash %q", lines[2])
	}
	return xmodCheckpoint{size, tlog.Hash(root)}
}
