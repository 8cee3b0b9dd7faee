package custody_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger"
)

// newParty makes a participant appending to l — a signing key, an age identity, a
// custodian — as the programs in examples/ do; pol, when not nil, trusts it.
func newParty(l ledger.Ledger, pol *custody.Policy, name, org, role, country string) *testkit.Party {
	p, err := testkit.MakeParty(custody.Party{Name: name, Organization: org, Role: role, Jurisdiction: country}, l, pol)
	if err != nil {
		panic(err)
	}
	return p
}

// newLog opens a fresh embedded log in a temporary directory, and a policy trusting
// it; done closes the log and removes the directory.
func newLog() (l *testkit.Log, pol *custody.Policy, done func()) {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	pol = &custody.Policy{}
	if l, err = testkit.NewLog(context.Background(), filepath.Join(dir, "log"), "example.org/evidence-log", pol); err != nil {
		panic(err)
	}
	return l, pol, func() { l.Close(); os.RemoveAll(dir) }
}

// A forensic lab acquires a disk image, sealing it to itself, and hands it over to the
// central authority, which receives it.
func Example_labAcquiresAndHandsOver() {
	ctx := context.Background()
	l, _, done := newLog()
	defer done()
	lab := newParty(l, nil, "A. Examiner", "National Forensic Lab", "examiner", "FR")
	authority := newParty(l, nil, "B. Officer", "Central Authority", "central-authority", "DE")

	var sealed bytes.Buffer // in practice NAME.age, written through internal/atomicfile
	b, err := lab.Custodian.Acquire(ctx,
		custody.Evidence{ItemID: "case-17/disk-1", Description: "laptop disk image", Source: strings.NewReader("disk image bytes"), Sealed: &sealed},
		custody.Sealing{Recipients: []string{lab.Recipient}},
		custody.Details{Case: "2026-17", Location: "Lyon", Legal: &custody.Legal{Kind: custody.Domestic, Basis: "CPP art. 56"}})
	if err != nil {
		panic(err)
	}
	if _, err := lab.Custodian.Transfer(ctx, b, "case-17/disk-1", authority.Actor,
		custody.Details{Purpose: "execution of MLA request", Legal: &custody.Legal{Kind: custody.MLA, Basis: "UNTOC art. 18", Reference: "MLA-2026-44"}}); err != nil {
		panic(err)
	}
	if _, err := authority.Custodian.Receive(ctx, b, "case-17/disk-1", bytes.NewReader(sealed.Bytes()), custody.Details{}); err != nil {
		panic(err)
	}
	for _, r := range b.Events {
		st, _ := r.Statement()
		fmt.Println(st.Predicate.Type, "by", st.Predicate.Actor.Name)
	}
	// Output:
	// acquire by A. Examiner
	// transfer by A. Examiner
	// receive by B. Officer
}

// A service provider preserves an account's records on a preservation request, then
// discloses them under the production order that follows: the disclosure continues
// the preserved chain, so any change since preservation would be refused.
func Example_providerDisclosesUnderProductionOrder() {
	ctx := context.Background()
	l, _, done := newLog()
	defer done()
	provider := newParty(l, nil, "C. Compliance", "Mail Provider Ltd", "provider", "IE")
	requester := newParty(l, nil, "D. Prosecutor", "Parquet de Paris", "prosecutor", "FR")

	records := "subscriber: alice@example.org\n"
	pres, err := provider.Custodian.Preserve(ctx, []custody.Evidence{{ItemID: "acct-42/subscriber", Source: strings.NewReader(records)}}, nil,
		custody.Details{Legal: &custody.Legal{Kind: custody.Preservation, Basis: "Budapest Convention art. 29", Reference: "PR-9"}})
	if err != nil {
		panic(err)
	}
	var sealed bytes.Buffer
	b, err := provider.Custodian.Disclose(ctx, pres,
		[]custody.Evidence{{ItemID: "acct-42/subscriber", Source: strings.NewReader(records), Sealed: &sealed}},
		custody.Sealing{Recipients: []string{requester.Recipient}},
		custody.Details{Legal: &custody.Legal{Kind: custody.Production, Basis: "Budapest Convention art. 18", Reference: "PO-2026-7"}})
	if err != nil {
		panic(err)
	}
	st, _ := b.Events[1].Statement()
	fmt.Println(st.Predicate.Type, "under", st.Predicate.Legal.Kind, st.Predicate.Legal.Reference, "continues the preservation:", st.Predicate.Prev == b.Events[0].CommitmentString())
	// Output:
	// disclose under production PO-2026-7 continues the preservation: true
}

// A court in another state verifies a bundle offline: it needs the bundle, the sealed
// payload and a trust policy naming the log and the signers, nothing else.
func Example_courtVerifies() {
	ctx := context.Background()
	l, pol, done := newLog()
	defer done()
	lab := newParty(l, pol, "A. Examiner", "National Forensic Lab", "examiner", "FR")
	var sealed bytes.Buffer
	b, err := lab.Custodian.Acquire(ctx, custody.Evidence{ItemID: "exhibit-1", Source: strings.NewReader("evidence"), Sealed: &sealed},
		custody.Sealing{Recipients: []string{lab.Recipient}}, custody.Details{Case: "2026-17"})
	if err != nil {
		panic(err)
	}

	report, err := custody.Verify(ctx, b, pol, custody.WithPayload("exhibit-1.age", bytes.NewReader(sealed.Bytes())))
	if err != nil {
		panic(err)
	}
	fmt.Println("valid:", report.Valid)

	tampered := bytes.Clone(sealed.Bytes())
	tampered[len(tampered)-1] ^= 1
	report, _ = custody.Verify(ctx, b, pol, custody.WithPayload("exhibit-1.age", bytes.NewReader(tampered)))
	fmt.Println("valid:", report.Valid, "- failed rule:", report.Failures[0].Rule)
	// Output:
	// valid: true
	// valid: false - failed rule: payload
}
