package main

import (
	"fmt"

	"github.com/evidctl/evidctl/custody"
)

// warnRecipient warns, before anything is signed, when the recipient a transfer
// names contradicts what is known of its key: the profile beside --to
// (PREFIX.id.json) and, with --trust, the policy's entry for the key. A verifier fails
// such a transfer (rule counterparty); the sender should know first.
func (a *app) warnRecipient(f *transferFlags, to custody.Actor) error {
	p, err := readProfile(f.to)
	if err != nil {
		return err
	}
	known := custody.Party{Name: p.Name, Organization: p.Organization, Role: p.Role, Jurisdiction: p.Jurisdiction}
	if m := known.Mismatch(to.Party); m != "" {
		a.warn("the recipient's profile %s contradicts the flags: %s", keyBase(f.to)+".id.json", m)
	}
	if f.trust == "" {
		return nil
	}
	pol, err := readPolicy(f.trust)
	if err != nil {
		return err
	}
	entry, ok := pol.Signer(to.KeyID)
	switch {
	case !ok:
		a.warn("the trust policy %s does not trust the recipient's key %.16s: its receive will not verify under it", f.trust, to.KeyID)
	case entry.Mismatch(to.Party) != "":
		a.warn("the trust policy %s contradicts the recipient named: %s; a verifier will fail this transfer (rule counterparty)", f.trust, entry.Mismatch(to.Party))
	}
	return nil
}

// warn prints a warning on stderr, escaped.
func (a *app) warn(format string, args ...any) {
	fmt.Fprintf(a.stderr, "evidctl: warning: %s\n", custody.Escape(fmt.Sprintf(format, args...)))
}
