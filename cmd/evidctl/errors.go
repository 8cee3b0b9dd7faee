package main

import (
	"errors"
	"fmt"
	"io/fs"

	"filippo.io/age"

	"github.com/evidctl/evidctl/crypto/seal"
	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
)

// explain turns library errors into hints the user can act on.
func explain(err error) []string {
	var refused *custody.RefusedError
	var nomatch *age.NoIdentityMatchError
	switch {
	case errors.Is(err, sign.ErrWrongPassword):
		return []string{"the password does not open this key; check $EVIDCTL_PASSWORD"}
	case errors.Is(err, seal.ErrNoIdentity), errors.As(err, &nomatch):
		return []string{"the identity file does not hold a key the payload is sealed to; use the age identity of one of its recipients"}
	case errors.Is(err, seal.ErrCiphertextMismatch), errors.Is(err, seal.ErrPlaintextMismatch), errors.Is(err, seal.ErrCorrupt):
		return []string{"the payload is not what the chain of custody records; run 'evidctl verify' for the details"}
	case errors.As(err, &refused):
		return refusalHints(refused)
	case errors.Is(err, custody.ErrUnknownItem):
		return []string{"run 'evidctl show BUNDLE' to list the items and their ids"}
	case errors.Is(err, fs.ErrNotExist):
		return []string{"check the file name"}
	}
	return nil
}

// refusalLines lists every rule a refused operation would have broken, beyond the
// first (which the error message carries).
func refusalLines(err error) []string {
	var refused *custody.RefusedError
	if !errors.As(err, &refused) || len(refused.Violations) < 2 {
		return nil
	}
	var out []string
	for _, v := range refused.Violations[1:] {
		out = append(out, "also "+v.Error())
	}
	return out
}

func refusalHints(r *custody.RefusedError) []string {
	var hints []string
	for _, v := range r.Violations {
		switch v.Rule {
		case custody.RuleCustodian:
			hints = append(hints, "only the item's current custodian may "+string(r.Type)+" it; run 'evidctl show' to see who holds it")
		case custody.RuleRecipient:
			hints = append(hints, "only the recipient named in the transfer may receive it")
		case custody.RuleTransfer:
			hints = append(hints, "there is no open transfer of this item to receive")
		case custody.RuleClosed:
			hints = append(hints, "custody of this item has ended (returned or disposed); only notes may follow")
		case custody.RulePayload:
			hints = append(hints, "the payload file is not the sealed payload of this bundle")
		case custody.RuleDigest:
			hints = append(hints, "the data differs from the preserved data: it was changed since the preservation")
		}
	}
	return hints
}

// fileErr reports a missing or unreadable input file.
func fileErr(what, path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return failErr(fmt.Errorf("%s %s does not exist", what, path), "check the file name")
	}
	return failErr(fmt.Errorf("reading %s %s: %w", what, path, err))
}
