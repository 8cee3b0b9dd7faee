// Package setup gives the example programs what a real deployment already has: an
// embedded log, parties with signing keys and age identities, and a trust policy.
// It is internal/testkit's set-up (the one the tests and `evidctl demo` use) with the
// examples' error handling; the custody calls themselves are in each example.
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

// Quiet silences the log engine's own logging so the examples print only their story.
func Quiet() { klog.SetOutput(io.Discard); klog.LogToStderr(false) }

// Workdir is a fresh temporary directory; remove it when done.
func Workdir() string {
	dir, err := os.MkdirTemp("", "evidctl-example-")
	Check(err)
	return dir
}

// NewLog initialises and opens an embedded log under dir, and adds it to pol.
func NewLog(dir, origin string, pol *custody.Policy) *testkit.Log {
	l, err := testkit.NewLog(context.Background(), filepath.Join(dir, strings.NewReplacer("/", "_", ".", "_").Replace(origin)), origin, pol)
	Check(err)
	return l
}

// NewParty makes a party appending to l — a signing key, an age identity, a
// custodian — trusted by pol (nil: by nobody).
func NewParty(l ledger.Ledger, pol *custody.Policy, name, org, role, country string) *testkit.Party {
	p, err := testkit.MakeParty(custody.Party{Name: name, Organization: org, Role: role, Jurisdiction: country}, l, pol)
	Check(err)
	return p
}

// Check ends the example on an error.
func Check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "example failed:", err)
		os.Exit(1)
	}
}
