// Court verification: a court, defence expert or judge checks a bundle offline, years
// later, from the bundle, the sealed payload and a trust policy — nothing else.
//
//	go run ./examples/court-verification CASE.custody.json TRUST.json [CASE.age]
//
// Without arguments it first builds a small case in a temporary directory, then verifies
// it twice: as delivered, and with one byte of the payload flipped in transit.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/examples/internal/setup"
)

func main() {
	if len(os.Args) >= 3 {
		setup.Quiet()
		os.Exit(verifyFiles(os.Args[1], os.Args[2], os.Args[3:]))
	}
	d := setup.Start()
	defer d.Close()
	bundle, trust, payload := buildCase(d)
	if code := verifyFiles(bundle, trust, []string{payload}); code != 0 {
		os.Exit(code)
	}
	data, err := os.ReadFile(payload)
	setup.Check(err)
	data[len(data)/2] ^= 0x01
	setup.Check(os.WriteFile(payload, data, 0o644))
	fmt.Println("\n--- the same case with one payload byte flipped ---")
	if code := verifyFiles(bundle, trust, []string{payload}); code != 1 {
		fmt.Println("tampering went undetected")
		os.Exit(1)
	}
}

// verifyFiles is what a court runs: 0 valid, 1 invalid, 2 could not verify.
func verifyFiles(bundlePath, trustPath string, payloads []string) int {
	b, err := custody.ReadBundle(bundlePath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot verify:", err)
		return 2
	}
	pol, err := custody.ReadPolicy(trustPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot verify:", err)
		return 2
	}
	var opts []custody.VerifyOption
	for _, p := range payloads {
		f, err := os.Open(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cannot verify:", err)
			return 2
		}
		defer f.Close()
		opts = append(opts, custody.WithPayload(filepath.Base(p), f))
	}
	report, err := custody.Verify(context.Background(), b, pol, opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot verify:", err)
		return 2
	}
	setup.Check(report.WriteText(os.Stdout))
	if !report.Valid {
		return 1
	}
	return 0
}

// buildCase writes case.custody.json, case.age and trust.json into the deployment's
// directory.
func buildCase(d *setup.Deployment) (bundle, trust, payload string) {
	ctx := context.Background()
	log := d.Log("court.example/evidence-log")
	lab := d.Party(log, "A. Examiner", "National Forensic Lab", "examiner", "FR")
	clerk := d.Party(log, "E. Greffier", "Tribunal judiciaire", "clerk", "FR")
	var sealed bytes.Buffer
	b, err := lab.Custodian.Acquire(ctx, custody.Evidence{ItemID: "exhibit-3", Description: "seized USB stick", Source: io.LimitReader(strings.NewReader(strings.Repeat("usb", 1<<18)), 1<<19), Sealed: &sealed},
		custody.Sealing{Recipients: []string{lab.Recipient, clerk.Recipient}}, custody.Details{Case: "2026-17"})
	setup.Check(err)
	_, err = lab.Custodian.Transfer(ctx, b, "", clerk.Actor, custody.Details{Purpose: "filing as exhibit 3"})
	setup.Check(err)
	_, err = clerk.Custodian.Receive(ctx, b, "", bytes.NewReader(sealed.Bytes()), custody.Details{})
	setup.Check(err)
	bundle, trust, payload = filepath.Join(d.Dir, "case.custody.json"), filepath.Join(d.Dir, "trust.json"), filepath.Join(d.Dir, "case.age")
	setup.Check(b.WriteFile(bundle))
	setup.Check(d.Policy.WriteFile(trust))
	setup.Check(os.WriteFile(payload, sealed.Bytes(), 0o644))
	return bundle, trust, payload
}
