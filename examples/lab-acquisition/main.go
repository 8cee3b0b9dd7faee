// Lab acquisition: a forensic lab takes a disk image into custody — one streaming pass
// computes SHA-256 (and the legacy MD5 and SHA-1 its E01 tools report) while sealing the
// image with age — then records its examination, and writes the two files that travel
// together: NAME.custody.json and NAME.age.
//
//	go run ./examples/lab-acquisition [IMAGE]
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/examples/internal/setup"
	"github.com/evidctl/evidctl/internal/atomicfile"
)

func main() {
	ctx := context.Background()
	d := setup.Start()
	defer d.Close()
	log := d.Log("lab.example/evidence-log")
	lab := d.Party(log, "A. Examiner", "National Forensic Lab", "examiner", "FR")

	var image io.Reader = io.LimitReader(rand.Reader, 8<<20) // a stand-in 8 MiB image
	if len(os.Args) > 1 {
		f, err := os.Open(os.Args[1])
		setup.Check(err)
		defer f.Close()
		image = f
	}

	// The sealed payload goes to a temporary file, renamed only once the event is logged.
	name := filepath.Join(d.Dir, "case-17")
	payload, err := atomicfile.Create(name+custody.PayloadSuffix, 0o644)
	setup.Check(err)
	defer payload.Abort()
	b, err := lab.Custodian.Acquire(ctx,
		custody.Evidence{ItemID: "case-17/disk-1", Description: "laptop disk image", MediaType: "application/octet-stream", Source: image, Sealed: payload},
		custody.Sealing{Recipients: []string{lab.Recipient}, Digests: []digest.Algorithm{digest.MD5, digest.SHA1}},
		custody.Details{Case: "2026-17", Location: "Lyon lab, bench 3", Legal: &custody.Legal{Kind: custody.Domestic, Basis: "CPP art. 56", Reference: "PV 2026/1187"},
			Tool: &custody.Tool{Name: "evidctl", Version: "example"}})
	setup.Check(err)
	_, err = lab.Custodian.Access(ctx, b, "", custody.Details{Purpose: "file-system triage", Tool: &custody.Tool{Name: "sleuthkit", Version: "4.12.1"}})
	setup.Check(err)
	setup.Check(payload.Commit())
	setup.Check(b.WriteFile(name + custody.BundleSuffix))

	st, _ := b.Events[0].Statement()
	fmt.Printf("acquired %s (%d bytes)\n", st.Predicate.Item.ID, st.Predicate.Item.Size)
	for _, alg := range []digest.Algorithm{digest.SHA256, digest.SHA1, digest.MD5} {
		d, _ := st.Predicate.Item.Digest.Get(alg)
		fmt.Printf("  %-6s %s\n", alg, d.Hex())
	}
	fmt.Printf("  sealed sha256 %s\n", st.Predicate.Item.Sealed.Digest.SHA256().Hex())

	// Anyone with the policy can check the pair of files offline.
	reread, err := custody.ReadBundle(name + custody.BundleSuffix)
	setup.Check(err)
	f, err := os.Open(name + custody.PayloadSuffix)
	setup.Check(err)
	defer f.Close()
	report, err := custody.Verify(ctx, reread, d.Policy, custody.WithPayload("case-17.age", f))
	setup.Check(err)
	setup.Check(report.WriteText(os.Stdout))
	if !report.Valid {
		os.Exit(1)
	}
}
