// Provider disclosure: a service provider receives an expedited preservation request
// through the 24/7 network, commits to the digests of the account's records without
// handing anything over, and later answers the production order: each record is its own
// item, sealed to the requesting prosecutor, continuing its preserved chain — so the
// court can see that nothing changed between preservation and production.
//
//	go run ./examples/provider-disclosure
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/examples/internal/setup"
)

var records = map[string]string{
	"acct-42/subscriber": "name: A. Person\nemail: alice@example.org\ncreated: 2019-04-02\n",
	"acct-42/ip-log":     "2026-01-03T10:00:01Z 198.51.100.7 login\n2026-01-04T22:13:40Z 203.0.113.9 login\n",
	"acct-42/mailbox":    "From: alice@example.org\nSubject: shipment\n\n(message body)\n",
}

var order = []string{"acct-42/subscriber", "acct-42/ip-log", "acct-42/mailbox"}

func main() {
	ctx := context.Background()
	d := setup.Start()
	defer d.Close()
	log := d.Log("provider.example/disclosures")
	provider := d.Party(log, "C. Compliance", "Mail Provider Ltd", "provider", "IE")
	prosecutor := d.Party(log, "D. Prosecutor", "Parquet de Paris", "prosecutor", "FR")

	// 1. Preservation: digests only; the data stays with the provider.
	var preserve []custody.Evidence
	for _, id := range order {
		preserve = append(preserve, custody.Evidence{ItemID: id, Description: id, Source: bytes.NewReader([]byte(records[id]))})
	}
	b, err := provider.Custodian.Preserve(ctx, preserve, nil, custody.Details{Legal: &custody.Legal{Kind: custody.Preservation,
		Basis: "Budapest Convention art. 29", Reference: "24/7-FR-2026-311", Requesting: "OCLCTIC (FR)", Requested: "Mail Provider Ltd"}})
	setup.Check(err)
	fmt.Printf("preserved %d records\n", len(b.Events))

	// 2. Production: each record sealed to the prosecutor, continuing its preserved chain.
	legal := &custody.Legal{Kind: custody.Production, Basis: "Budapest Convention art. 18", Reference: "PO-2026-7",
		Requesting: "Parquet de Paris", Requested: "Mail Provider Ltd"}
	payloads := make([]bytes.Buffer, len(order))
	var disclose []custody.Evidence
	for i, id := range order {
		disclose = append(disclose, custody.Evidence{ItemID: id, Description: id, MediaType: "text/plain", Source: bytes.NewReader([]byte(records[id])), Sealed: &payloads[i]})
	}
	b, err = provider.Custodian.Disclose(ctx, b, disclose, custody.Sealing{Recipients: []string{prosecutor.Recipient}}, custody.Details{Legal: legal})
	setup.Check(err)
	for i, id := range order {
		_, err = provider.Custodian.Transfer(ctx, b, id, prosecutor.Actor, custody.Details{Purpose: "production", Legal: legal})
		setup.Check(err)
		_, err = prosecutor.Custodian.Receive(ctx, b, id, bytes.NewReader(payloads[i].Bytes()), custody.Details{})
		setup.Check(err)
	}
	setup.Check(b.WriteFile(filepath.Join(d.Dir, "PO-2026-7"+custody.BundleSuffix)))

	// A record altered after preservation is refused before anything is signed.
	var sink bytes.Buffer
	_, err = provider.Custodian.Disclose(ctx, b.Clone(), []custody.Evidence{{ItemID: "acct-42/mailbox", Source: bytes.NewReader([]byte("edited")), Sealed: &sink}},
		custody.Sealing{Recipients: []string{prosecutor.Recipient}}, custody.Details{Legal: legal})
	fmt.Println("altered record refused:", err != nil)

	report, err := custody.Verify(ctx, b, d.Policy, custody.WithPayload("acct-42/mailbox.age", bytes.NewReader(payloads[2].Bytes())),
		custody.WithIdentities(prosecutor.Identity))
	setup.Check(err)
	setup.Check(report.WriteText(os.Stdout))
	if !report.Valid {
		os.Exit(1)
	}
}
