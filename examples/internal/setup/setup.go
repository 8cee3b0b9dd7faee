// Package setup gives the example programs what a real deployment already has: an
// embedded log, parties with signing keys and age identities, and a trust policy.
// The custody calls themselves are in each example.
package setup

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"k8s.io/klog/v2"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/ledger/posixlog"
)

// Party is a participant: its custodian (signer, identity, log) and age identity.
type Party struct {
	*custody.Custodian
	Identity  *age.X25519Identity
	PublicPEM []byte
}

// Recipient is the party's age recipient.
func (p *Party) Recipient() string { return p.Identity.Recipient().String() }

// Quiet silences the log engine's own logging so the examples print only their story.
func Quiet() { klog.SetOutput(io.Discard); klog.LogToStderr(false) }

// Workdir is a fresh temporary directory; remove it when done.
func Workdir() string {
	dir, err := os.MkdirTemp("", "evidctl-example-")
	Check(err)
	return dir
}

// NewLog initialises and opens an embedded log under dir, and adds it to pol.
func NewLog(dir, origin string, pol *custody.Policy) *posixlog.Log {
	name := strings.NewReplacer("/", "_", ".", "_").Replace(origin)
	vkey, err := posixlog.Init(filepath.Join(dir, name), filepath.Join(dir, name+".key"), origin)
	Check(err)
	l, err := posixlog.Open(context.Background(), filepath.Join(dir, name), filepath.Join(dir, name+".key"))
	Check(err)
	Check(pol.AddLog(custody.TrustedLog{Origin: origin, Key: vkey}))
	return l
}

// NewParty makes a party appending to l, trusted by pol (nil: by nobody).
func NewParty(l *posixlog.Log, pol *custody.Policy, name, org, role, country string) *Party {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	Check(err)
	signer, err := sign.NewSigner(key)
	Check(err)
	pub, err := signer.PublicKeyPEM()
	Check(err)
	id, err := age.GenerateX25519Identity()
	Check(err)
	c, err := custody.NewCustodian(signer, custody.Actor{Name: name, Organization: org, Role: role, Jurisdiction: country}, l)
	Check(err)
	if pol != nil {
		Check(pol.AddSigner(custody.TrustedSigner{Name: name, Organization: org, Role: role, Jurisdiction: country, PublicKey: string(pub)}))
	}
	return &Party{Custodian: c, Identity: id, PublicPEM: pub}
}

// Check ends the example on an error.
func Check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "example failed:", err)
		os.Exit(1)
	}
}
