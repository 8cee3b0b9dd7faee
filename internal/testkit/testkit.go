// Package testkit builds a whole fake deployment for tests — an embedded log, parties
// with signing keys and age identities, and a trust policy that trusts them — so that
// an end-to-end custody test is a few lines:
//
//	d := testkit.New(t, "lab", "authority", "prosecutor")
//	b, payload := d.Acquire(t, "lab", []byte("disk image"))
//	report, err := custody.Verify(ctx, b, d.Policy)
package testkit

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/ledger/posixlog"
)

// Party is one participant: its signer, age identity and custodian.
type Party struct {
	Name      string
	Actor     custody.Actor
	Signer    *sign.Signer
	Identity  *age.X25519Identity
	Recipient string // the age recipient of Identity
	PublicPEM []byte
	Custodian *custody.Custodian
}

// Log is one embedded log of the deployment.
type Log struct {
	*posixlog.Log
	Dir, KeyFile string
}

// Deployment is a fake deployment: logs, parties, and a policy trusting all of them.
type Deployment struct {
	Dir     string
	Logs    []*Log
	Parties map[string]*Party
	Policy  *custody.Policy
	clock   time.Time
}

// jurisdictions are handed to parties in order, so a three-party case crosses borders.
var jurisdictions = []string{"FR", "DE", "BR", "KE", "JP", "CA"}

// New creates a deployment with one log and the named parties, each trusted by the
// policy. Parties' clocks advance one second per event, starting at a fixed time.
func New(t testing.TB, names ...string) *Deployment {
	t.Helper()
	d := &Deployment{Dir: t.TempDir(), Parties: map[string]*Party{}, Policy: &custody.Policy{},
		clock: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	l := d.AddLog(t, "evidence.test/log-1")
	for i, n := range names {
		d.AddParty(t, n, jurisdictions[i%len(jurisdictions)], l)
	}
	return d
}

// AddLog creates another embedded log, trusted by the policy.
func (d *Deployment) AddLog(t testing.TB, origin string) *Log {
	t.Helper()
	n := len(d.Logs) + 1
	dir := filepath.Join(d.Dir, fmt.Sprintf("log-%d", n))
	keyFile := filepath.Join(d.Dir, fmt.Sprintf("log-%d.key", n))
	vkey, err := posixlog.Init(dir, keyFile, origin)
	if err != nil {
		t.Fatalf("testkit: init log: %v", err)
	}
	pl, err := posixlog.Open(context.Background(), dir, keyFile)
	if err != nil {
		t.Fatalf("testkit: open log: %v", err)
	}
	t.Cleanup(func() { _ = pl.Close() })
	if err := d.Policy.AddLog(custody.TrustedLog{Origin: origin, Key: vkey}); err != nil {
		t.Fatalf("testkit: trust log: %v", err)
	}
	l := &Log{Log: pl, Dir: dir, KeyFile: keyFile}
	d.Logs = append(d.Logs, l)
	return l
}

// AddParty creates a party appending to l and trusted by the policy.
func (d *Deployment) AddParty(t testing.TB, name, jurisdiction string, l *Log) *Party {
	t.Helper()
	p := NewParty(t, name, jurisdiction)
	c, err := custody.NewCustodian(p.Signer, p.Actor, l, custody.WithClock(d.tick))
	if err != nil {
		t.Fatalf("testkit: custodian %s: %v", name, err)
	}
	p.Custodian = c
	if err := d.Policy.AddSigner(custody.TrustedSigner{Name: p.Actor.Name, Organization: p.Actor.Organization,
		Role: p.Actor.Role, Jurisdiction: jurisdiction, PublicKey: string(p.PublicPEM)}); err != nil {
		t.Fatalf("testkit: trust %s: %v", name, err)
	}
	d.Parties[name] = p
	return p
}

// NewParty makes a party's keys without adding it to any policy (an outsider).
func NewParty(t testing.TB, name, jurisdiction string) *Party {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewSigner(key)
	if err != nil {
		t.Fatalf("testkit: signer: %v", err)
	}
	pub, err := s.PublicKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return &Party{Name: name, Signer: s, Identity: id, Recipient: id.Recipient().String(), PublicPEM: pub,
		Actor: custody.Actor{Name: name, Organization: name + " org", Role: "examiner", Jurisdiction: jurisdiction, KeyID: s.KeyID()}}
}

// Custodian returns an outsider's custodian on the deployment's first log (its
// signatures are not trusted by the policy).
func (d *Deployment) Custodian(t testing.TB, p *Party) *custody.Custodian {
	t.Helper()
	c, err := custody.NewCustodian(p.Signer, p.Actor, d.Logs[0], custody.WithClock(d.tick))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (d *Deployment) tick() time.Time {
	d.clock = d.clock.Add(time.Second)
	return d.clock
}

// Acquire has the named party acquire data sealed to itself; it returns the bundle and
// the sealed payload.
func (d *Deployment) Acquire(t testing.TB, name string, data []byte) (*custody.Bundle, []byte) {
	t.Helper()
	p := d.Parties[name]
	var sealed bytes.Buffer
	b, err := p.Custodian.Acquire(context.Background(),
		custody.Evidence{Description: "image.dd", MediaType: "application/octet-stream", Source: bytes.NewReader(data), Sealed: &sealed},
		custody.Sealing{Recipients: []string{p.Recipient}},
		custody.Details{Case: "CASE-1", Location: "lab", Legal: &custody.Legal{Kind: custody.Domestic, Basis: "CCP art. 56"}})
	if err != nil {
		t.Fatalf("testkit: acquire: %v", err)
	}
	return b, sealed.Bytes()
}

// Handover transfers the bundle's only item from one party to another and has the
// recipient receive it.
func (d *Deployment) Handover(t testing.TB, b *custody.Bundle, from, to string) {
	t.Helper()
	ctx := context.Background()
	r := d.Parties[to]
	if _, err := d.Parties[from].Custodian.Transfer(ctx, b, "", r.Actor, custody.Details{Purpose: "hand-over"}); err != nil {
		t.Fatalf("testkit: transfer %s→%s: %v", from, to, err)
	}
	if _, err := r.Custodian.Receive(ctx, b, "", nil, custody.Details{}); err != nil {
		t.Fatalf("testkit: receive by %s: %v", to, err)
	}
}

// ForkLog copies a log's directory and opens the copy with the same key: two logs that
// share a history and a key but may then diverge — a split view, as a dishonest
// operator would present.
func ForkLog(t testing.TB, l *Log) *posixlog.Log {
	t.Helper()
	dir := l.Dir + "-fork"
	if err := os.CopyFS(dir, os.DirFS(l.Dir)); err != nil {
		t.Fatalf("testkit: fork log: %v", err)
	}
	fl, err := posixlog.Open(context.Background(), dir, l.KeyFile)
	if err != nil {
		t.Fatalf("testkit: open forked log: %v", err)
	}
	t.Cleanup(func() { _ = fl.Close() })
	return fl
}

// Clock is the deployment's clock: each call is one second after the last.
func (d *Deployment) Clock() func() time.Time { return d.tick }
