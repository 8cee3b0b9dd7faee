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

// refusalHints says, for each rule a refused operation would break, what the rule
// means (custody's Rule.Meaning) and, where there is one, what to do about it.
func refusalHints(r *custody.RefusedError) []string {
	var hints []string
	for _, v := range r.Violations {
		if m := v.Rule.Meaning(); m != "" {
			hints = append(hints, m)
		}
		if advice := refusalAdvice[v.Rule]; advice != "" {
			hints = append(hints, advice)
		}
	}
	return hints
}

// refusalAdvice is what to do about a refusal under a rule, beyond its meaning.
var refusalAdvice = map[custody.Rule]string{
	custody.RuleCustodian: "run 'evidctl show' to see who holds it",
	custody.RuleDigest:    "the data was changed since it was preserved",
	custody.RulePayload:   "give the sealed payload that travels with this bundle (NAME.age)",
}

// fileErr reports a missing or unreadable input file.
func fileErr(what, path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return failErr(fmt.Errorf("%s %s does not exist", what, path), "check the file name")
	}
	return failErr(fmt.Errorf("reading %s %s: %w", what, path, err))
}
