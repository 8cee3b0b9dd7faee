// Package setup gives the example programs what a real deployment already has: an
// embedded log, parties with signing keys and age identities, and a trust policy that
// trusts them. It is internal/testkit's set-up (the one the tests and `evidctl demo`
// use) with the examples' error handling; the custody calls themselves are in each
// example.
package setup

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/klog/v2"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/internal/testkit"
	"github.com/evidctl/evidctl/ledger"
)

// Deployment is what an example runs in: a temporary directory, the embedded logs
// opened there, and a trust policy that trusts them and the parties.
type Deployment struct {
	Dir    string
	Policy *custody.Policy
	logs   []*testkit.Log
}

// Quiet silences the log engine's own logging so the examples print only their story.
func Quiet() { klog.SetOutput(io.Discard); klog.LogToStderr(false) }

// Start makes a deployment in a fresh temporary directory, quietly. Close it when done.
func Start() *Deployment {
	Quiet()
	dir, err := os.MkdirTemp("", "evidctl-example-")
	Check(err)
	return &Deployment{Dir: dir, Policy: &custody.Policy{}}
}

// Log initialises and opens an embedded log for origin, trusted by the policy.
func (d *Deployment) Log(origin string) *testkit.Log {
	dir := filepath.Join(d.Dir, strings.NewReplacer("/", "_", ".", "_").Replace(origin))
	l, err := testkit.NewLog(context.Background(), dir, origin, d.Policy)
	Check(err)
	d.logs = append(d.logs, l)
	return l
}

// Party makes a party appending to l — a signing key, an age identity, a custodian —
// trusted by the policy.
func (d *Deployment) Party(l ledger.Ledger, name, org, role, country string) *testkit.Party {
	p, err := testkit.MakeParty(custody.Party{Name: name, Organization: org, Role: role, Jurisdiction: country}, l, d.Policy)
	Check(err)
	return p
}

// Close closes the logs and removes the directory.
func (d *Deployment) Close() {
	for _, l := range d.logs {
		_ = l.Close()
	}
	_ = os.RemoveAll(d.Dir)
}

// Check ends the example on an error.
func Check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "example failed:", err)
		os.Exit(1)
	}
}
