package custody_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
)

// The wire tests pin the bytes of a statement, a bundle and a trust policy built from
// fixed inputs: a refactor of the Go types must not change what is signed, logged or
// trusted. The golden files under testdata/wire were written by the code before the
// model was typed (digest.Set, tlog.Hash, the shared Party); regenerate them with
// -update only for a deliberate change of the formats.

const (
	wireLogKey     = "wire.test/log+e4c1b42d+AcdQTynszqZe7SEZSfUZRq/6XkxgD44IbbcWaIicIWGC"
	wireWitnessKey = "witness.test/w1+a47277c7+AWBL199XQemA9VBk59He9fi7uDFKajcoW/wLCisVM4pF"
	wireKeyID      = "c610b4e1adcfac6136bd31170fc94116ead29a1d286b8133764576f3f6a48e5a"
)

func hexOf(c string, n int) string { return strings.Repeat(c, n) }

// digestSet makes a set of "ALGORITHM:HEX" digests, in the order given.
func digestSet(ds ...string) digest.Set {
	var s digest.Set
	for _, text := range ds {
		d, err := digest.Parse(text)
		if err != nil {
			panic(err)
		}
		s = append(s, d)
	}
	return s
}

func hashOf(b byte) (h tlog.Hash) {
	for i := range h {
		h[i] = b
	}
	return h
}

// wireEvent is a derive event with every field of the predicate set.
func wireEvent() *custody.Event {
	return &custody.Event{
		Type: custody.Derive,
		Item: custody.Item{ID: "case-17/disk-1/report", Description: "examination report <draft> & notes", MediaType: "application/pdf", Size: 4096,
			Digest: digestSet("sha256:"+hexOf("a1", 32), "sha512:"+hexOf("b2", 64), "sha1:"+hexOf("c3", 20), "md5:"+hexOf("d4", 16)),
			Sealed: &custody.Sealed{Digest: digestSet("sha256:" + hexOf("e5", 32)), Size: 4321, Recipients: []string{"age1examplerecipient", "ssh-ed25519 AAAAexample"}}},
		ItemKey: &custody.ItemKey{0: 0x01, 1: 0x23, 30: 0xfe, 31: 0xff},
		Prev:    "sha256:" + hexOf("0f", 32),
		Time:    time.Date(2026, 3, 1, 9, 30, 15, 123456789, time.UTC),
		Actor: custody.Actor{Party: custody.Party{Name: "A. Examiner", Organization: "National Forensic Lab", Role: "examiner", Jurisdiction: "FR"},
			KeyID: wireKeyID, Certificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
		Counterparty: &custody.Actor{Party: custody.Party{Name: "B. Officer", Organization: "Central Authority", Role: "central-authority", Jurisdiction: "DE"},
			KeyID: hexOf("7a", 32)},
		Case:     "2026-17",
		Location: "Lyon",
		Purpose:  "translation",
		Legal: &custody.Legal{Kind: custody.MLA, Basis: "UNTOC art. 18", Reference: "MLA-2026-44",
			Requesting: "MPF (BR)", Requested: "BfJ (DE)"},
		Tool: &custody.Tool{Name: "sleuthkit", Version: "4.12.1", Digest: "sha256:" + hexOf("9e", 32)},
		Parents: []custody.Parent{
			{ID: "case-17/disk-1", Digest: digestSet("sha256:"+hexOf("11", 32), "md5:"+hexOf("22", 16)), Event: "sha256:" + hexOf("33", 32)},
			{ID: "case-17/disk-2", Digest: digestSet("sha256:" + hexOf("44", 32)), Event: "sha256:" + hexOf("55", 32)},
		},
		Transfer: "sha256:" + hexOf("66", 32),
		Note:     "a note with \"quotes\"",
	}
}

func wireBundle(t *testing.T, statement []byte) *custody.Bundle {
	env := &sign.Envelope{PayloadType: custody.PayloadType, Payload: statement,
		Signatures: []sign.Signature{{KeyID: wireKeyID, Sig: []byte("not a real signature")}}}
	proof := "c2sp.org/tlog-proof@v1\nindex 6\n" + strings.Repeat("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", 2) + "\nwire.test/log\n7\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	return &custody.Bundle{
		Events: []*custody.Record{custody.NewRecord(env, proof)},
		Consistency: []custody.Consistency{{Origin: "wire.test/log", OldSize: 3, NewSize: 7,
			Proof: []tlog.Hash{hashOf(0x11), hashOf(0x22)}}},
	}
}

func wirePolicy(t *testing.T) *custody.Policy {
	pub, err := os.ReadFile(filepath.Join("testdata", "wire", "signer.pub.pem"))
	require.NoError(t, err)
	root, err := os.ReadFile(filepath.Join("testdata", "wire", "root.pem"))
	require.NoError(t, err)
	return &custody.Policy{
		Logs: []custody.TrustedLog{{Origin: "wire.test/log", Key: wireLogKey, Witnesses: []string{wireWitnessKey}, Quorum: 1}},
		Signers: []custody.TrustedSigner{
			{Party: custody.Party{Name: "A. Examiner", Organization: "National Forensic Lab", Role: "examiner", Jurisdiction: "FR"}, PublicKey: string(pub)},
			{Party: custody.Party{Name: "B. Officer", Jurisdiction: "DE"}, Roots: string(root),
				Identity: &custody.Identity{Email: "officer@example.de", Subject: "B. Officer"}},
		},
	}
}

// golden compares got with testdata/wire/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "wire", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "the bytes of %s changed", name)
}

func TestWireStatementBytes(t *testing.T) {
	got, err := custody.NewStatement(wireEvent()).Marshal()
	require.NoError(t, err)
	golden(t, "statement.json", got)
}

func TestWireBundleBytes(t *testing.T) {
	st, err := custody.NewStatement(wireEvent()).Marshal()
	require.NoError(t, err)
	got, err := wireBundle(t, st).MarshalJSON()
	require.NoError(t, err)
	golden(t, "bundle.json", got)
	reencodes(t, got, custody.ParseBundle)
}

// reencodes checks that what parses re-encodes to the same bytes.
func reencodes[T json.Marshaler](t *testing.T, data []byte, parse func([]byte) (T, error)) {
	t.Helper()
	v, err := parse(data)
	require.NoError(t, err)
	again, err := v.MarshalJSON()
	require.NoError(t, err)
	require.Equal(t, string(data), string(again))
}

func TestWirePolicyBytes(t *testing.T) {
	got, err := wirePolicy(t).MarshalJSON()
	require.NoError(t, err)
	golden(t, "policy.json", got)
	reencodes(t, got, custody.ParsePolicy)
}

func TestWireReportJSONBytes(t *testing.T) {
	var got bytes.Buffer
	require.NoError(t, goldenReport().WriteJSON(&got))
	golden(t, "report.json", got.Bytes())
}
