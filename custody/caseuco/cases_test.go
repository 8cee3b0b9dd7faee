package caseuco_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

// verified is a bundle with its verification report.
type verified struct {
	bundle *custody.Bundle
	report *custody.Report
	policy *custody.Policy
}

// party adds a party with a role of its own to the deployment, appending to log l.
func party(t testing.TB, d *testkit.Deployment, l *testkit.Log, name, org, role, country string) *testkit.Party {
	t.Helper()
	p := testkit.NewParty(t, name, country)
	p.Actor.Organization, p.Actor.Role = org, role
	c, err := custody.NewCustodian(p.Signer, p.Actor, l, custody.WithClock(d.Clock()))
	require.NoError(t, err)
	p.Custodian = c
	require.NoError(t, d.Policy.AddSigner(p.TrustedSigner()))
	d.Parties[name] = p
	return p
}

func verify(t testing.TB, b *custody.Bundle, pol *custody.Policy, opts ...custody.VerifyOption) verified {
	t.Helper()
	rep, err := custody.Verify(context.Background(), b, pol, opts...)
	require.NoError(t, err)
	return verified{bundle: b, report: rep, policy: pol}
}

// demoCase is the demo's cross-border case and more, in one bundle: a lab acquires a
// disk image (SHA-256, SHA-512, SHA-1, MD5), examines it with a tool, derives an
// extraction report from it, and transfers the image under an MLA request to a central
// authority, which receives it, re-seals it to a foreign prosecutor and transfers it
// on; the prosecutor receives it and adds a note; a provider, on a log of its own,
// preserves and then discloses a subscriber record under a production order.
func demoCase(t testing.TB) verified {
	t.Helper()
	ctx := context.Background()
	d := testkit.New(t)
	l := d.Logs[0]
	lab := party(t, d, l, "A. Examiner", "National Forensic Lab", "examiner", "FR")
	authority := party(t, d, l, "B. Officer", "Bundesamt für Justiz", "central-authority", "DE")
	prosecutor := party(t, d, l, "C. Promotora", "Ministério Público Federal", "prosecutor", "BR")
	provider := party(t, d, d.AddLog(t, "provider.example/disclosures"), "D. Compliance", "Mail Provider Ltd", "provider", "IE")

	image := bytes.Repeat([]byte("disk image bytes "), 1000)
	var sealed bytes.Buffer
	b, err := lab.Custodian.Acquire(ctx,
		custody.Evidence{ItemID: "2026-17/disk-1", Description: "laptop disk image", MediaType: "application/octet-stream", Source: bytes.NewReader(image), Sealed: &sealed},
		custody.Sealing{Recipients: []string{lab.Recipient, authority.Recipient}, Digests: []digest.Algorithm{digest.SHA512, digest.SHA1, digest.MD5}},
		custody.Details{Case: "2026-17", Location: "Lyon lab, bench 3", Legal: &custody.Legal{Kind: custody.Domestic, Basis: "CPP art. 56", Reference: "PV 2026/1187"},
			Tool: &custody.Tool{Name: "evidctl", Version: "test"}})
	require.NoError(t, err)
	_, err = lab.Custodian.Access(ctx, b, "2026-17/disk-1", custody.Details{Purpose: "file-system triage", Tool: &custody.Tool{Name: "sleuthkit", Version: "4.12.1", Digest: "sha256:" + digest.SHA256Bytes([]byte("tsk")).Hex()}})
	require.NoError(t, err)
	var report bytes.Buffer
	_, err = lab.Custodian.Derive(ctx, b, []string{"2026-17/disk-1"},
		custody.Evidence{ItemID: "2026-17/disk-1/report", Description: "extraction report", MediaType: "application/pdf", Source: bytes.NewReader([]byte("%PDF report")), Sealed: &report},
		custody.Sealing{Recipients: []string{lab.Recipient}}, custody.Details{Case: "2026-17", Purpose: "extraction", Tool: &custody.Tool{Name: "bulk_extractor", Version: "2.1"}})
	require.NoError(t, err)

	resealed := mlaRelay(t, b, "2026-17/disk-1", sealed.Bytes(), lab, authority, prosecutor)
	_, err = prosecutor.Custodian.Note(ctx, b, "2026-17/disk-1", "entered as exhibit 3", custody.Details{})
	require.NoError(t, err)

	record := []byte("subscriber: alice\n")
	pres, err := provider.Custodian.Preserve(ctx, []custody.Evidence{{ItemID: "acct-42/subscriber", Description: "subscriber record", Source: bytes.NewReader(record)}}, nil,
		custody.Details{Legal: &custody.Legal{Kind: custody.Preservation, Basis: "Budapest Convention art. 29", Reference: "24/7-FR-2026-311"}})
	require.NoError(t, err)
	b.Events = append(b.Events, pres.Events...)
	b.Consistency = append(b.Consistency, pres.Consistency...)
	b.Anchors = append(b.Anchors, pres.Anchors...)
	var disclosed bytes.Buffer
	b, err = provider.Custodian.Disclose(ctx, b, []custody.Evidence{{ItemID: "acct-42/subscriber", Description: "subscriber record", MediaType: "text/plain", Source: bytes.NewReader(record), Sealed: &disclosed}},
		custody.Sealing{Recipients: []string{prosecutor.Recipient}},
		custody.Details{Case: "PO-2026-7", Legal: &custody.Legal{Kind: custody.Production, Basis: "Budapest Convention art. 18", Reference: "PO-2026-7", Requesting: "Parquet de Paris", Requested: "Mail Provider Ltd"}})
	require.NoError(t, err)
	return verify(t, b, d.Policy, custody.WithPayload("disk.age", bytes.NewReader(resealed)),
		custody.WithIdentities(prosecutor.Identity), custody.WithEvidence("disk.dd", bytes.NewReader(image)))
}

// labAcquisition is examples/lab-acquisition: an acquisition with legacy digests and
// an examination.
func labAcquisition(t testing.TB) verified {
	t.Helper()
	ctx := context.Background()
	d := testkit.New(t)
	lab := party(t, d, d.Logs[0], "A. Examiner", "National Forensic Lab", "examiner", "FR")
	var sealed bytes.Buffer
	b, err := lab.Custodian.Acquire(ctx,
		custody.Evidence{ItemID: "case-17/disk-1", Description: "laptop disk image", MediaType: "application/octet-stream", Source: bytes.NewReader([]byte("image")), Sealed: &sealed},
		custody.Sealing{Recipients: []string{lab.Recipient}, Digests: []digest.Algorithm{digest.MD5, digest.SHA1}},
		custody.Details{Case: "2026-17", Location: "Lyon lab, bench 3", Legal: &custody.Legal{Kind: custody.Domestic, Basis: "CPP art. 56", Reference: "PV 2026/1187"},
			Tool: &custody.Tool{Name: "evidctl", Version: "example"}})
	require.NoError(t, err)
	_, err = lab.Custodian.Access(ctx, b, "", custody.Details{Purpose: "file-system triage", Tool: &custody.Tool{Name: "sleuthkit", Version: "4.12.1"}})
	require.NoError(t, err)
	return verify(t, b, d.Policy, custody.WithPayload("case-17.age", bytes.NewReader(sealed.Bytes())))
}

// crossBorder is examples/cross-border-handoff: two national logs, a re-seal, two
// hand-overs under one MLA request.
func crossBorder(t testing.TB) verified {
	t.Helper()
	ctx := context.Background()
	d := testkit.New(t)
	fr := d.Logs[0]
	de := d.AddLog(t, "bfj.example.de/custody")
	lab := party(t, d, fr, "A. Examiner", "Lab IRCGN", "examiner", "FR")
	authority := party(t, d, de, "B. Officer", "Bundesamt für Justiz", "central-authority", "DE")
	prosecutor := party(t, d, de, "C. Promotora", "Ministério Público Federal", "prosecutor", "BR")
	var sealed bytes.Buffer
	b, err := lab.Custodian.Acquire(ctx, custody.Evidence{ItemID: "mla-2026-44/phone", Description: "phone extraction", Source: bytes.NewReader([]byte("extraction")), Sealed: &sealed},
		custody.Sealing{Recipients: []string{lab.Recipient, authority.Recipient}}, custody.Details{Case: "MLA-2026-44"})
	require.NoError(t, err)
	resealed := mlaRelay(t, b, "", sealed.Bytes(), lab, authority, prosecutor)
	return verify(t, b, d.Policy, custody.WithPayload("phone.age", bytes.NewReader(resealed)), custody.WithIdentities(prosecutor.Identity))
}

// mlaRelay is the hand-over of an MLA request: the lab transfers the item to the
// central authority, which receives it, re-seals it to the requesting prosecutor and
// transfers it on; the prosecutor receives it. It returns the re-sealed payload.
func mlaRelay(t testing.TB, b *custody.Bundle, item string, sealed []byte, lab, authority, prosecutor *testkit.Party) []byte {
	t.Helper()
	ctx := context.Background()
	mla := &custody.Legal{Kind: custody.MLA, Basis: "UNTOC art. 18", Reference: "MLA-2026-44", Requesting: "MPF (BR)", Requested: "BfJ (DE)"}
	onward := custody.Details{Purpose: "transmission to the requesting state", Legal: mla}
	_, err := lab.Custodian.Transfer(ctx, b, item, authority.Actor, custody.Details{Purpose: "execution of MLA request", Legal: mla})
	require.NoError(t, err)
	_, err = authority.Custodian.Receive(ctx, b, item, bytes.NewReader(sealed), custody.Details{Location: "Bonn"})
	require.NoError(t, err)
	var resealed bytes.Buffer
	_, err = authority.Custodian.Reseal(ctx, b, item, bytes.NewReader(sealed), []age.Identity{authority.Identity}, &resealed,
		custody.Sealing{Recipients: []string{prosecutor.Recipient}}, onward)
	require.NoError(t, err)
	_, err = authority.Custodian.Transfer(ctx, b, item, prosecutor.Actor, onward)
	require.NoError(t, err)
	_, err = prosecutor.Custodian.Receive(ctx, b, item, bytes.NewReader(resealed.Bytes()), custody.Details{Location: "Brasília"})
	require.NoError(t, err)
	return resealed.Bytes()
}

// providerDisclosure is examples/provider-disclosure: three records preserved, then
// disclosed under a production order and handed to the prosecutor.
func providerDisclosure(t testing.TB) verified {
	t.Helper()
	ctx := context.Background()
	d := testkit.New(t)
	provider := party(t, d, d.Logs[0], "C. Compliance", "Mail Provider Ltd", "provider", "IE")
	prosecutor := party(t, d, d.Logs[0], "D. Prosecutor", "Parquet de Paris", "prosecutor", "FR")
	ids := []string{"acct-42/subscriber", "acct-42/ip-log", "acct-42/mailbox"}
	var preserve, disclose []custody.Evidence
	payloads := make([]bytes.Buffer, len(ids))
	for i, id := range ids {
		preserve = append(preserve, custody.Evidence{ItemID: id, Description: id, Source: bytes.NewReader([]byte(id + " data"))})
		disclose = append(disclose, custody.Evidence{ItemID: id, Description: id, MediaType: "text/plain", Source: bytes.NewReader([]byte(id + " data")), Sealed: &payloads[i]})
	}
	b, err := provider.Custodian.Preserve(ctx, preserve, nil, custody.Details{Legal: &custody.Legal{Kind: custody.Preservation,
		Basis: "Budapest Convention art. 29", Reference: "24/7-FR-2026-311", Requesting: "OCLCTIC (FR)", Requested: "Mail Provider Ltd"}})
	require.NoError(t, err)
	legal := &custody.Legal{Kind: custody.Production, Basis: "Budapest Convention art. 18", Reference: "PO-2026-7", Requesting: "Parquet de Paris", Requested: "Mail Provider Ltd"}
	b, err = provider.Custodian.Disclose(ctx, b, disclose, custody.Sealing{Recipients: []string{prosecutor.Recipient}}, custody.Details{Legal: legal})
	require.NoError(t, err)
	for i, id := range ids {
		_, err = provider.Custodian.Transfer(ctx, b, id, prosecutor.Actor, custody.Details{Purpose: "production", Legal: legal})
		require.NoError(t, err)
		_, err = prosecutor.Custodian.Receive(ctx, b, id, bytes.NewReader(payloads[i].Bytes()), custody.Details{})
		require.NoError(t, err)
	}
	return verify(t, b, d.Policy)
}

// witnessedT0 is when everything happens in witnessedCase.
var witnessedT0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

// witnessedCase is an acquisition and an access on a log whose checkpoints a witness
// cosigns, both at witnessedT0 by the lab's clock and the witness's: every event has a
// trusted time interval, from its anchor's cosignature to its receipt's.
func witnessedCase(t testing.TB) verified {
	t.Helper()
	ctx := context.Background()
	now := func() time.Time { return witnessedT0 }
	w := witnesstest.NewCosigner(t, "w1", now)
	l, entry := posixlogtest.NewLog(t, posixlog.WithDecorator(w.Decorator()))
	pol := &custody.Policy{}
	require.NoError(t, pol.AddLog(custody.TrustedLog{Origin: entry.Origin, Key: entry.VerifierKey, Witnesses: []string{w.VerifierKey}, Quorum: 1}))
	lab, err := testkit.MakeParty(custody.Party{Name: "A. Examiner", Organization: "Lab", Role: "examiner", Jurisdiction: "FR"}, l, pol, custody.WithClock(now))
	require.NoError(t, err)
	var sealed bytes.Buffer
	b, err := lab.Custodian.Acquire(ctx, custody.Evidence{ItemID: "disk-1", Source: bytes.NewReader([]byte("image")), Sealed: &sealed},
		custody.Sealing{Recipients: []string{lab.Recipient}}, custody.Details{Case: "TIME-1"})
	require.NoError(t, err)
	_, err = lab.Custodian.Access(ctx, b, "", custody.Details{Purpose: "triage"})
	require.NoError(t, err)
	return verify(t, b, pol)
}

// tampered is the lab acquisition with a note by a signer the policy does not trust:
// an invalid bundle.
func tampered(t testing.TB) verified {
	t.Helper()
	d := testkit.New(t, "lab")
	b, _ := d.Acquire(t, "lab", []byte("image"))
	stranger := testkit.NewParty(t, "S. Tranger", "US")
	_, err := d.Custodian(t, stranger).Note(context.Background(), b, "", "I was here", custody.Details{})
	require.NoError(t, err)
	return verify(t, b, d.Policy)
}

// hostileCase puts text in every free-text field: the item id and description, the
// actor's name and organisation, the location, purpose and legal reference.
func hostileCase(t testing.TB, text string) verified {
	t.Helper()
	ctx := context.Background()
	d := testkit.New(t)
	// Custody refuses such text when an event is made: the statement is forged, signed
	// by a trusted key and logged, as a dishonest signer could.
	lab := party(t, d, d.Logs[0], "lab", "lab org", "examiner", "FR")
	ev := custody.Event{Type: custody.Acquire, Time: d.Clock()(),
		Actor: custody.Actor{Party: custody.Party{Name: text, Organization: text, Role: text, Jurisdiction: "FR"}, KeyID: lab.Signer.KeyID()},
		Item: custody.Item{ID: text, Description: text, MediaType: text, Size: 1, Digest: digest.Set{digest.SHA256Bytes([]byte("x"))},
			Sealed: &custody.Sealed{Digest: digest.Set{digest.SHA256Bytes([]byte("sealed x"))}, Size: 8, Recipients: []string{lab.Recipient}}},
		Case: text, Location: text, Purpose: text, Note: text,
		Legal: &custody.Legal{Kind: custody.Domestic, Basis: text, Reference: text, Requesting: text, Requested: text},
		Tool:  &custody.Tool{Name: text, Version: text}, ItemKey: custody.NewItemKey()}
	payload, err := custody.NewStatement(&ev).Marshal()
	require.NoError(t, err)
	env, err := sign.SignEnvelope(ctx, custody.PayloadType, payload, lab.Signer)
	require.NoError(t, err)
	entry := ledger.NewEntry(ev.ItemKey.OpeningTag(ev.Item.ID), env.Commitment())
	rc, err := d.Logs[0].Append(ctx, entry[:])
	require.NoError(t, err)
	proof, err := rc.MarshalText()
	require.NoError(t, err)
	return verify(t, &custody.Bundle{Events: []*custody.Record{custody.NewRecord(env, string(proof))}}, d.Policy)
}
