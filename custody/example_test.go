package custody_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/ledger/posixlog"
)

// party is what each example needs of a participant: a signing key and an age identity.
type party struct {
	custodian *custody.Custodian
	identity  *age.X25519Identity
	actor     custody.Actor
	publicPEM []byte
}

func newParty(l *posixlog.Log, name, org, role, country string) party {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, _ := sign.NewSigner(key)
	pub, _ := signer.PublicKeyPEM()
	id, _ := age.GenerateX25519Identity()
	actor := custody.Actor{Name: name, Organization: org, Role: role, Jurisdiction: country}
	c, err := custody.NewCustodian(signer, actor, l)
	if err != nil {
		panic(err)
	}
	return party{custodian: c, identity: id, actor: c.Actor(), publicPEM: pub}
}

// newLog opens a fresh embedded log in a temporary directory, and a policy trusting it.
func newLog(dir string) (*posixlog.Log, *custody.Policy) {
	vkey, err := posixlog.Init(filepath.Join(dir, "log"), filepath.Join(dir, "log.key"), "example.org/evidence-log")
	if err != nil {
		panic(err)
	}
	l, err := posixlog.Open(context.Background(), filepath.Join(dir, "log"), filepath.Join(dir, "log.key"))
	if err != nil {
		panic(err)
	}
	pol := &custody.Policy{}
	if err := pol.AddLog(custody.TrustedLog{Origin: l.Origin(), Key: vkey}); err != nil {
		panic(err)
	}
	return l, pol
}

func trust(pol *custody.Policy, p party) {
	err := pol.AddSigner(custody.TrustedSigner{Name: p.actor.Name, Organization: p.actor.Organization, Role: p.actor.Role,
		Jurisdiction: p.actor.Jurisdiction, PublicKey: string(p.publicPEM)})
	if err != nil {
		panic(err)
	}
}

// A forensic lab acquires a disk image, sealing it to itself, and hands it over to the
// central authority, which receives it.
func Example_labAcquiresAndHandsOver() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	l, _ := newLog(dir)
	defer l.Close()
	lab := newParty(l, "A. Examiner", "National Forensic Lab", "examiner", "FR")
	authority := newParty(l, "B. Officer", "Central Authority", "central-authority", "DE")

	var sealed bytes.Buffer // in practice NAME.age, written through internal/atomicfile
	b, err := lab.custodian.Acquire(ctx,
		custody.Evidence{ItemID: "case-17/disk-1", Description: "laptop disk image", Source: strings.NewReader("disk image bytes"), Sealed: &sealed},
		custody.Sealing{Recipients: []string{lab.identity.Recipient().String()}},
		custody.Details{Case: "2026-17", Location: "Lyon", Legal: &custody.Legal{Kind: custody.Domestic, Basis: "CPP art. 56"}})
	if err != nil {
		panic(err)
	}
	if _, err := lab.custodian.Transfer(ctx, b, "case-17/disk-1", authority.actor,
		custody.Details{Purpose: "execution of MLA request", Legal: &custody.Legal{Kind: custody.MLA, Basis: "UNTOC art. 18", Reference: "MLA-2026-44"}}); err != nil {
		panic(err)
	}
	if _, err := authority.custodian.Receive(ctx, b, "case-17/disk-1", bytes.NewReader(sealed.Bytes()), custody.Details{}); err != nil {
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
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	l, _ := newLog(dir)
	defer l.Close()
	provider := newParty(l, "C. Compliance", "Mail Provider Ltd", "provider", "IE")
	requester := newParty(l, "D. Prosecutor", "Parquet de Paris", "prosecutor", "FR")

	records := "subscriber: alice@example.org\n"
	pres, err := provider.custodian.Preserve(ctx, []custody.Evidence{{ItemID: "acct-42/subscriber", Source: strings.NewReader(records)}}, nil,
		custody.Details{Legal: &custody.Legal{Kind: custody.Preservation, Basis: "Budapest Convention art. 29", Reference: "PR-9"}})
	if err != nil {
		panic(err)
	}
	var sealed bytes.Buffer
	b, err := provider.custodian.Disclose(ctx, pres,
		[]custody.Evidence{{ItemID: "acct-42/subscriber", Source: strings.NewReader(records), Sealed: &sealed}},
		custody.Sealing{Recipients: []string{requester.identity.Recipient().String()}},
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
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	l, pol := newLog(dir)
	defer l.Close()
	lab := newParty(l, "A. Examiner", "National Forensic Lab", "examiner", "FR")
	trust(pol, lab)
	var sealed bytes.Buffer
	b, err := lab.custodian.Acquire(ctx, custody.Evidence{ItemID: "exhibit-1", Source: strings.NewReader("evidence"), Sealed: &sealed},
		custody.Sealing{Recipients: []string{lab.identity.Recipient().String()}}, custody.Details{Case: "2026-17"})
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
