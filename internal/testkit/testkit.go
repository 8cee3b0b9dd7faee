// Package testkit builds a whole fake deployment for tests — an embedded log, parties
// with signing keys and age identities, and a trust policy that trusts them — so that
// an end-to-end custody test is a few lines:
//
//	d := testkit.New(t, "lab", "authority", "prosecutor")
//	b, payload := d.Acquire(t, "lab", []byte("disk image"))
//	report, err := custody.Verify(ctx, b, d.Policy)
//
// [MakeParty] and [NewLog] are the same set-up without a testing.TB: the example
// programs and `evidctl demo` make their parties and logs with them.
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
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/posixlog"
)

// Party is one participant: its signer, age identity and, once it appends to a log,
// its custodian.
type Party struct {
	Name      string // the name the deployment knows it by
	Actor     custody.Actor
	Signer    *sign.Signer
	Identity  *age.X25519Identity
	Recipient string // the age recipient of Identity
	PublicPEM []byte
	Custodian *custody.Custodian // nil until the party appends to a log
}

// MakeParty makes a party acting as who, with a fresh ECDSA P-256 signing key and an
// X25519 age identity. When l is not nil the party gets a custodian appending to l
// (configured by opts); when pol is not nil, pol trusts its key for who.
func MakeParty(who custody.Party, l ledger.Ledger, pol *custody.Policy, opts ...custody.Option) (*Party, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	s, err := sign.NewSigner(key)
	if err != nil {
		return nil, fmt.Errorf("signer of %s: %w", who.Name, err)
	}
	pub, err := s.PublicKeyPEM()
	if err != nil {
		return nil, err
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	p := &Party{Name: who.Name, Signer: s, Identity: id, Recipient: id.Recipient().String(), PublicPEM: pub,
		Actor: custody.Actor{Party: who, KeyID: s.KeyID()}}
	if l != nil {
		if p.Custodian, err = custody.NewCustodian(s, p.Actor, l, opts...); err != nil {
			return nil, fmt.Errorf("custodian %s: %w", who.Name, err)
		}
	}
	if pol != nil {
		if err := pol.AddSigner(p.TrustedSigner()); err != nil {
			return nil, fmt.Errorf("trusting %s: %w", who.Name, err)
		}
	}
	return p, nil
}

// TrustedSigner is the policy entry that trusts the party's key for who it is.
func (p *Party) TrustedSigner() custody.TrustedSigner {
	return custody.TrustedSigner{Party: p.Actor.Party, PublicKey: string(p.PublicPEM)}
}

// Log is one embedded log of the deployment.
type Log struct {
	*posixlog.Log
	Dir, KeyFile string
}

// NewLog initialises an embedded log for origin in the new directory dir (its note
// key in dir + ".key"), opens it with opts and, when pol is not nil, has pol trust it.
// Close it when done.
func NewLog(ctx context.Context, dir, origin string, pol *custody.Policy, opts ...posixlog.Option) (*Log, error) {
	keyFile := dir + ".key"
	vkey, err := posixlog.Init(dir, keyFile, origin)
	if err != nil {
		return nil, fmt.Errorf("initialising log %s: %w", origin, err)
	}
	pl, err := posixlog.Open(ctx, dir, keyFile, opts...)
	if err != nil {
		return nil, fmt.Errorf("opening log %s: %w", origin, err)
	}
	if pol != nil {
		if err := pol.AddLog(custody.TrustedLog{Origin: origin, Key: vkey}); err != nil {
			_ = pl.Close()
			return nil, fmt.Errorf("trusting log %s: %w", origin, err)
		}
	}
	return &Log{Log: pl, Dir: dir, KeyFile: keyFile}, nil
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
	l, err := NewLog(context.Background(), filepath.Join(d.Dir, fmt.Sprintf("log-%d", len(d.Logs)+1)), origin, d.Policy)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	d.Logs = append(d.Logs, l)
	return l
}

// who is the identity a test party named name claims.
func who(name, jurisdiction string) custody.Party {
	return custody.Party{Name: name, Organization: name + " org", Role: "examiner", Jurisdiction: jurisdiction}
}

// AddParty creates a party appending to l and trusted by the policy.
func (d *Deployment) AddParty(t testing.TB, name, jurisdiction string, l *Log) *Party {
	t.Helper()
	p, err := MakeParty(who(name, jurisdiction), l, d.Policy, custody.WithClock(d.tick))
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	d.Parties[name] = p
	return p
}

// NewParty makes a party's keys without adding it to any policy (an outsider).
func NewParty(t testing.TB, name, jurisdiction string) *Party {
	t.Helper()
	p, err := MakeParty(who(name, jurisdiction), nil, nil)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	return p
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
