package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"filippo.io/age"

	"github.com/evidctl/evidctl/crypto/seal"
	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/ledger"
)

// exitError is an error with an exit code and hints for the user.
type exitError struct {
	code  int
	err   error
	hints []string
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr is a usage error (exit 2) with hints.
func usageErr(msg string, hints ...string) error {
	return &exitError{code: exitUsage, err: errors.New(msg), hints: hints}
}

// failErr wraps err as a runtime error (exit 2) with hints.
func failErr(err error, hints ...string) error {
	return &exitError{code: exitUsage, err: err, hints: hints}
}

// invalidErr is a verification failure (exit 1).
func invalidErr(err error, hints ...string) error {
	return &exitError{code: exitInvalid, err: err, hints: hints}
}

// errSilentInvalid means the verdict was already printed: exit 1 with no message.
var errSilentInvalid = &exitError{code: exitInvalid, err: errors.New("verification failed")}

// opErr classifies an error of a custody operation: refusals and everything else
// are exit 2; the message names the rule.
func opErr(err error) error {
	var ee *exitError
	if err == nil || errors.As(err, &ee) {
		return err
	}
	return failErr(err)
}

// report prints err as "evidctl: error: …" with its hints and returns the exit code.
func (a *app) report(err error) int {
	if err == errSilentInvalid {
		return exitInvalid
	}
	d := describe(err)
	fmt.Fprintf(a.stderr, "evidctl: error: %s\n", d.Message)
	for _, line := range d.also {
		fmt.Fprintf(a.stderr, "  %s\n", line)
	}
	for _, h := range d.Hints {
		fmt.Fprintf(a.stderr, "hint: %s\n", h)
	}
	return d.code
}

// failure is an error as the user sees it: its message, the further rules a refusal
// broke, the hints, and the exit code; key material is redacted from all of them. Its
// JSON is the error object of docs/schema/error.schema.json.
type failure struct {
	Message string   `json:"message"`
	Hints   []string `json:"hints,omitempty"`
	also    []string
	code    int
}

func describe(err error) failure {
	code, hints := exitUsage, explain(err)
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		hints = append(ee.hints, hints...)
	}
	// Escaped: an error may quote a name or description from a bundle.
	d := failure{Message: escapeMessage(redact(err.Error())), code: code}
	for _, line := range refusalLines(err) {
		d.also = append(d.also, escapeMessage(redact(line)))
	}
	for _, h := range hints {
		if h = escapeMessage(redact(h)); !slices.Contains(d.Hints, h) {
			d.Hints = append(d.Hints, h)
		}
	}
	return d
}

// escapeMessage is custody.Escape but for backslashes, which it leaves as they are: the
// control, format and bidi characters of a message are written as visible escapes, and
// text the message quotes already escaped (%q, custody.Escape) is not escaped twice. A
// backslash cannot move the cursor or reorder a line.
func escapeMessage(s string) string {
	parts := strings.Split(s, `\`)
	for i, p := range parts {
		parts[i] = custody.Escape(p)
	}
	return strings.Join(parts, `\`)
}

// writeJSONError writes err as the JSON error object of docs/schema/error.schema.json,
// for commands whose --json output must stay JSON when they cannot run.
func writeJSONError(w io.Writer, err error) {
	d := describe(err)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(struct {
		Error    failure `json:"error"`
		ExitCode int     `json:"exitCode"`
	}{d, d.code})
}

// explain turns library errors into hints the user can act on.
func explain(err error) []string {
	var refused *custody.RefusedError
	var nomatch *age.NoIdentityMatchError
	var cosigning *ledger.CosigningError
	switch {
	case errors.As(err, &cosigning):
		return []string{"no receipt was issued: the bundle and its payload are unchanged (the entry may still appear in the log later, without effect on them)",
			"the witnesses and their answers are named above; " + cosigning.Hint()}
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
	custody.RuleFork:      "someone already used this bundle's head: a copy of the bundle was acted on; 'evidctl audit BUNDLE --log LEDGER --trust FILE' shows that branch",
	custody.RulePayload:   "give the sealed payload that travels with this bundle (NAME.age)",
}

// fileErr reports a missing or unreadable input file.
func fileErr(what, path string, err error) error {
	if looksSecret(path) {
		return usageErr(fmt.Sprintf("%s: got key material where a file name belongs (not shown)", what),
			"give the name of the file that holds it")
	}
	if errors.Is(err, fs.ErrNotExist) {
		return failErr(fmt.Errorf("%s %s does not exist", what, path), "check the file name")
	}
	return failErr(fmt.Errorf("reading %s %s: %w", what, path, err))
}
