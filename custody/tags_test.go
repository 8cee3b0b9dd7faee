package custody_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger"
)

// An independent implementation of the tags of docs/TRUST.md, written from the document
// with crypto/hmac alone: the tests compare custody's tags, entries and receipts with it.

// refTag is HMAC-SHA-256(key, message), hex.
func refTag(key []byte, message string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(message))
	return hex.EncodeToString(m.Sum(nil))
}

// refMessage is the HMAC message of a tag of kind "opening" (input: the item id),
// "successor" (input: the custody head, "sha256:<hex>") or "note" (input: the note's own
// commitment, "sha256:<hex>").
func refMessage(kind, input string) string {
	switch kind {
	case "opening":
		return "evidctl successor v1\n" + "id " + input
	case "successor":
		return "evidctl successor v1\n" + "event " + input
	case "note":
		return "evidctl note v1\n" + input
	}
	panic("unknown tag kind " + kind)
}

// refPAE is the DSSE pre-authentication encoding; its SHA-256 is an event's commitment.
func refPAE(payloadType string, payload []byte) []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload)
}

type tagVector struct {
	Name    string `json:"name"`
	ItemKey string `json:"itemKey"` // base64, as statements carry it
	Kind    string `json:"kind"`
	Input   string `json:"input"`
	Message string `json:"message"` // hex of the HMAC message
	Tag     string `json:"tag"`     // hex
}

// vectorInputs are the golden vectors' inputs; -update writes their messages and tags
// with the independent implementation above, never with custody's.
func vectorInputs() []tagVector {
	key := func(seed string) string {
		h := sha256.Sum256([]byte(seed))
		return base64.StdEncoding.EncodeToString(h[:])
	}
	zero := base64.StdEncoding.EncodeToString(make([]byte, 32))
	return []tagVector{
		{Name: "acquisition, urn:uuid id", ItemKey: key("vector 1"), Kind: "opening", Input: "urn:uuid:3f1c2b8e-5d4a-4c7e-9a61-0b2d7e8f9a10"},
		{Name: "acquisition, zero key", ItemKey: zero, Kind: "opening", Input: "disk-1"},
		{Name: "disclosure, non-ASCII id", ItemKey: key("vector 3"), Kind: "opening", Input: "pièce à conviction nº 7"},
		{Name: "opening, id that looks like an event", ItemKey: key("vector 1"), Kind: "opening", Input: "event sha256:" + hexRepeat("ab")},
		{Name: "successor of a custody head", ItemKey: key("vector 1"), Kind: "successor", Input: "sha256:" + hexRepeat("ab")},
		{Name: "successor, zero key", ItemKey: zero, Kind: "successor", Input: "sha256:" + hexRepeat("00")},
		{Name: "note", ItemKey: key("vector 1"), Kind: "note", Input: "sha256:" + hexRepeat("ab")},
		{Name: "note, other commitment", ItemKey: key("vector 3"), Kind: "note", Input: "sha256:" + hexRepeat("5e")},
	}
}

func hexRepeat(b string) string {
	out := ""
	for range 32 {
		out += b
	}
	return out
}

// TestTagVectors: custody's tags equal the golden vectors in testdata/tags.json, which
// the independent implementation wrote and still computes.
func TestTagVectors(t *testing.T) {
	path := filepath.Join("testdata", "tags.json")
	if *update {
		vs := vectorInputs()
		for i := range vs {
			key, err := base64.StdEncoding.DecodeString(vs[i].ItemKey)
			require.NoError(t, err)
			msg := refMessage(vs[i].Kind, vs[i].Input)
			vs[i].Message, vs[i].Tag = hex.EncodeToString([]byte(msg)), refTag(key, msg)
		}
		data, err := json.MarshalIndent(vs, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, append(data, '\n'), 0o644))
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err, "run 'go test -run TestTagVectors -update ./custody/' to write it")
	var vs []tagVector
	require.NoError(t, json.Unmarshal(data, &vs))
	require.Len(t, vs, len(vectorInputs()))
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			var k custody.ItemKey
			require.NoError(t, k.UnmarshalText([]byte(v.ItemKey)))
			msg := refMessage(v.Kind, v.Input)
			require.Equal(t, v.Message, hex.EncodeToString([]byte(msg)))
			require.Equal(t, v.Tag, refTag(k[:], msg), "the independent implementation")
			var got [ledger.TagSize]byte
			switch v.Kind {
			case "opening":
				got = k.OpeningTag(v.Input)
			case "successor":
				got = k.SuccessorTag(commitmentOf(t, v.Input))
			case "note":
				got = k.NoteTag(commitmentOf(t, v.Input))
			}
			require.Equal(t, v.Tag, hex.EncodeToString(got[:]), "custody")
		})
	}
}

func commitmentOf(t *testing.T, s string) [32]byte {
	t.Helper()
	b, err := hex.DecodeString(s[len("sha256:"):])
	require.NoError(t, err)
	return [32]byte(b)
}

// refEntries computes every event's log entry from the bundle's envelopes alone, reading
// the statements as plain JSON: the item key from the item's opening statement, the
// custody head as the item's last event that is not a note.
func refEntries(t *testing.T, b *custody.Bundle) [][]byte {
	t.Helper()
	keys, heads := map[string][]byte{}, map[string]string{}
	var out [][]byte
	for _, r := range b.Events {
		commit := sha256.Sum256(refPAE(r.Envelope.PayloadType, r.Envelope.Payload))
		commitText := "sha256:" + hex.EncodeToString(commit[:])
		var st struct {
			Predicate struct {
				Type    string              `json:"type"`
				Item    struct{ ID string } `json:"item"`
				ItemKey string              `json:"itemKey"`
				Prev    string              `json:"prev"`
			} `json:"predicate"`
		}
		require.NoError(t, json.Unmarshal(r.Envelope.Payload, &st))
		p := st.Predicate
		var msg string
		switch {
		case p.Prev == "":
			key, err := base64.StdEncoding.DecodeString(p.ItemKey)
			require.NoError(t, err)
			require.Len(t, key, 32)
			keys[p.Item.ID] = key
			msg = refMessage("opening", p.Item.ID)
		case p.Type == "note":
			msg = refMessage("note", commitText)
		default:
			msg = refMessage("successor", heads[p.Item.ID])
		}
		if p.Type != "note" {
			heads[p.Item.ID] = commitText
		}
		tag, err := hex.DecodeString(refTag(keys[p.Item.ID], msg))
		require.NoError(t, err)
		out = append(out, append(tag, commit[:]...))
	}
	return out
}

// TestEntriesIndependent: the entry of every event of a real case (notes between
// events, a hand-over, a derivation, a disclosure continuing a preservation) is what
// the independent implementation computes, and each receipt proves exactly that entry.
func TestEntriesIndependent(t *testing.T) {
	for _, tc := range []struct {
		name   string
		bundle func(t *testing.T) (*custody.Bundle, *custody.Policy)
	}{
		{"hand-over with notes", func(t *testing.T) (*custody.Bundle, *custody.Policy) {
			c := newCase(t)
			_, err := c.party("prosecutor").Custodian.Note(context.Background(), c.b, "", "seal intact", custody.Details{})
			require.NoError(t, err)
			return c.b, c.d.Policy
		}},
		{"preservation, disclosure, derivation", func(t *testing.T) (*custody.Bundle, *custody.Policy) {
			mc := newMultiCase(t)
			return mc.b, mc.d.Policy
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, pol := tc.bundle(t)
			want := refEntries(t, b)
			got, err := b.Leaves()
			require.NoError(t, err)
			require.Equal(t, want, got)
			trust := pol.LedgerTrust()
			for i, r := range b.Events {
				rc, err := r.Receipt()
				require.NoError(t, err)
				_, err = trust.VerifyReceipt(rc, want[i])
				require.NoError(t, err, "event %d: the receipt proves the independently computed entry", i+1)
			}
		})
	}
}

// TestItemKeyText: an item key is canonical padded base64 of 32 bytes, and only the
// opening statement carries one.
func TestItemKeyText(t *testing.T) {
	k := custody.NewItemKey()
	text, err := k.MarshalText()
	require.NoError(t, err)
	var back custody.ItemKey
	require.NoError(t, back.UnmarshalText(text))
	require.Equal(t, *k, back)
	require.NotEqual(t, *k, *custody.NewItemKey(), "keys are random")
	canon := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for name, bad := range map[string]string{
		"short":              base64.StdEncoding.EncodeToString(make([]byte, 31)),
		"long":               base64.StdEncoding.EncodeToString(make([]byte, 33)),
		"unpadded":           canon[:43],
		"non-canonical bits": canon[:42] + "B=",
		"url alphabet":       "_" + canon[1:],
		"empty":              "",
		"spaces":             " " + canon,
	} {
		require.Error(t, back.UnmarshalText([]byte(bad)), name)
	}
	require.NoError(t, back.UnmarshalText([]byte(canon)), strconv.Quote(canon))
}

// TestNoKeylessItems: a custodian opens no item without an itemKey, even through the
// unchecked path the tamper tests use: the event is refused before it is signed, and
// nothing is logged (items of before entries had tags: legacy_test.go).
func TestNoKeylessItems(t *testing.T) {
	ctx := context.Background()
	d := testkit.New(t, "lab")
	lab := d.Parties["lab"]
	size := logSize(t, d.Logs[0])
	b := &custody.Bundle{}
	ev := &custody.Event{Type: custody.Acquire, Item: custody.Item{ID: "keyless-1", Size: 4, Digest: sha256Set(hexRepeat("4c"))}}
	_, err := lab.Custodian.RecordUnchecked(ctx, b, ev)
	require.ErrorContains(t, err, "an event that opens an item carries its itemKey")
	require.Empty(t, b.Events)
	require.Equal(t, size, logSize(t, d.Logs[0]), "something was logged")
}

// TestItemKeyOnlyOnOpening: a statement that continues an item carries no itemKey
// (a disclosure continuing a preservation keeps the preservation's).
func TestItemKeyOnlyOnOpening(t *testing.T) {
	c := newCase(t)
	ev := follow(t, c.b, custody.Access)
	ev.ItemKey = custody.NewItemKey()
	cust, err := custody.NewCustodian(c.party("prosecutor").Signer, c.party("prosecutor").Actor, c.d.Logs[0])
	require.NoError(t, err)
	_, err = cust.RecordUnchecked(context.Background(), c.b, ev)
	require.ErrorContains(t, err, "only the event that opens an item carries its itemKey")
}

// TestVerifyOfflineWithoutLog: with entries, bundles and receipts still verify offline:
// the log may be gone.
func TestVerifyOfflineWithoutLog(t *testing.T) {
	c := newCase(t)
	require.NoError(t, c.d.Logs[0].Close())
	require.NoError(t, os.RemoveAll(c.d.Logs[0].Dir))
	data, err := json.Marshal(c.b)
	require.NoError(t, err)
	b, err := custody.ParseBundle(data)
	require.NoError(t, err)
	require.True(t, c.verify(t, b).Valid)
	leaves, err := b.Leaves()
	require.NoError(t, err)
	for i, r := range b.Events {
		rc, err := r.Receipt()
		require.NoError(t, err)
		_, err = c.d.Policy.LedgerTrust().VerifyReceipt(rc, leaves[i])
		require.NoError(t, err, "event %d", i+1)
	}
}
