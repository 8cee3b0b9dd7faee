// Cross-border hand-off: a lab in France acquires a phone extraction and hands it to
// the German central authority executing a mutual legal assistance request. The
// authority appends to its own national log, re-seals the evidence to the Brazilian
// prosecutor who asked for it (same plaintext digest, new ciphertext, one streaming
// pass, the plaintext never on disk), and transfers it on. One bundle carries receipts
// from both logs; the prosecutor's court trusts both.
//
//	go run ./examples/cross-border-handoff
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"

	"filippo.io/age"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/examples/internal/setup"
)

func main() {
	ctx := context.Background()
	d := setup.Start()
	defer d.Close()
	frLog := d.Log("justice.example.fr/custody")
	deLog := d.Log("bfj.example.de/custody")
	lab := d.Party(frLog, "A. Examiner", "Lab IRCGN", "examiner", "FR")
	authority := d.Party(deLog, "B. Officer", "Bundesamt für Justiz", "central-authority", "DE")
	prosecutor := d.Party(deLog, "C. Promotora", "Ministério Público Federal", "prosecutor", "BR")

	extraction := make([]byte, 2<<20)
	_, _ = io.ReadFull(rand.Reader, extraction)
	var sealed bytes.Buffer
	b, err := lab.Custodian.Acquire(ctx, custody.Evidence{ItemID: "mla-2026-44/phone", Description: "phone extraction", Source: bytes.NewReader(extraction), Sealed: &sealed},
		custody.Sealing{Recipients: []string{lab.Recipient, authority.Recipient}}, custody.Details{Case: "MLA-2026-44"})
	setup.Check(err)
	mla := &custody.Legal{Kind: custody.MLA, Basis: "UNTOC art. 18", Reference: "MLA-2026-44", Requesting: "MPF (BR)", Requested: "BfJ (DE)"}
	_, err = lab.Custodian.Transfer(ctx, b, "", authority.Actor, custody.Details{Purpose: "execution of MLA request", Legal: mla})
	setup.Check(err)
	_, err = authority.Custodian.Receive(ctx, b, "", bytes.NewReader(sealed.Bytes()), custody.Details{Location: "Bonn"})
	setup.Check(err)

	var resealed bytes.Buffer
	_, err = authority.Custodian.Reseal(ctx, b, "", bytes.NewReader(sealed.Bytes()), []age.Identity{authority.Identity}, &resealed,
		custody.Sealing{Recipients: []string{prosecutor.Recipient}}, custody.Details{Purpose: "transmission to the requesting state", Legal: mla})
	setup.Check(err)
	_, err = authority.Custodian.Transfer(ctx, b, "", prosecutor.Actor, custody.Details{Purpose: "transmission to the requesting state", Legal: mla})
	setup.Check(err)
	_, err = prosecutor.Custodian.Receive(ctx, b, "", bytes.NewReader(resealed.Bytes()), custody.Details{Location: "Brasília"})
	setup.Check(err)

	report, err := custody.Verify(ctx, b, d.Policy, custody.WithPayload("phone.age", bytes.NewReader(resealed.Bytes())),
		custody.WithIdentities(prosecutor.Identity), custody.WithEvidence("phone.bin", bytes.NewReader(extraction)))
	setup.Check(err)
	setup.Check(report.WriteText(os.Stdout))
	logs := map[string]int{}
	for _, e := range report.Events {
		logs[e.Log]++
	}
	fmt.Println("events per log:", logs)
	if !report.Valid {
		os.Exit(1)
	}
}
