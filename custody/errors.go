package custody

// ArgumentError reports an operation called with an argument it cannot use: a
// missing purpose, no recipients, an invalid actor. It is found before anything is
// read, signed or logged.
type ArgumentError struct {
	Op  string // the operation, as in "transfer" or "verify"
	Arg string // the argument at fault, as the operation's documentation names it
	Err error  // what is wrong with it
}

func (e *ArgumentError) Error() string { return e.Op + ": " + e.Err.Error() }

// Unwrap returns what is wrong with the argument.
func (e *ArgumentError) Unwrap() error { return e.Err }
