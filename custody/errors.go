package custody

import (
	"errors"
	"fmt"
)

// Errors: a message never starts with the package name; it says what was being done
// (the operation, "transfer: …", or what was read, "statement: …") and wraps the
// cause with %w. Callers branch on the sentinel and the types below.

// ErrUnknownItem is returned when an operation names an item the bundle does not hold.
var ErrUnknownItem = errors.New("no such item in the bundle")

// ArgumentError reports an operation called with an argument it cannot use: a
// missing purpose, no recipients, an invalid actor, an item id that names nothing. It
// is found before anything is read, signed or logged.
type ArgumentError struct {
	Op  string // the operation, as in "transfer" or "verify"
	Arg string // the argument at fault, as the operation's documentation names it
	Err error  // what is wrong with it
}

func (e *ArgumentError) Error() string { return e.Op + ": " + e.Err.Error() }

// Unwrap returns what is wrong with the argument.
func (e *ArgumentError) Unwrap() error { return e.Err }

// argError is an *ArgumentError whose problem is text.
func argError(op, arg, format string, args ...any) *ArgumentError {
	return &ArgumentError{Op: op, Arg: arg, Err: fmt.Errorf(format, args...)}
}

// Violation is a broken rule found while replaying custody: which rule, what was
// expected and what was found.
type Violation struct {
	Rule     Rule
	Expected string
	Found    string
	Detail   string
}

func (v Violation) Error() string {
	s := fmt.Sprintf("%s: %s", v.Rule, v.Detail)
	switch {
	case v.Expected != "" && v.Found != "":
		s += fmt.Sprintf(" (expected %s; found %s)", v.Expected, v.Found)
	case v.Expected != "":
		s += fmt.Sprintf(" (expected %s)", v.Expected)
	case v.Found != "":
		s += fmt.Sprintf(" (found %s)", v.Found)
	}
	return s
}

// RefusedError is returned when an operation would break a custody rule, for instance
// an access by someone who is not the custodian. Nothing was logged: most refusals come
// before anything is signed; the ledger's refusal of a second successor of an event
// (RuleFork: someone already acted on a copy of the bundle) comes after, and the signed
// statement is discarded. The message names the first violation; Violations lists them
// all.
type RefusedError struct {
	Type       EventType
	Item       string
	Violations []Violation
	// Cause is the ledger's refusal, a *ledger.ConflictError naming the entry logged
	// first, when the ledger refused; nil otherwise.
	Cause error
}

// Unwrap returns Cause.
func (e *RefusedError) Unwrap() error { return e.Cause }

func (e *RefusedError) Error() string {
	s := fmt.Sprintf("refusing %s of item %s", e.Type, e.Item)
	if len(e.Violations) == 0 {
		return s
	}
	return s + ": " + e.Violations[0].Error()
}
