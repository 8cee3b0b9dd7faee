// Package httplog is the client of a remote ledger served by `evidctl serve`
// (ledger/server): a [ledger.Ledger] that appends to, and reads checkpoints and proofs
// from, a ledger server over HTTP or HTTPS.
//
// # Use
//
//	l, err := httplog.Open(ctx, "https://ledger.example.org")
//	defer l.Close()
//	rcpt, err := l.AppendSigned(ctx, entry[:], signer) // a 64-byte entry; signer a *sign.Signer
//
// The server appends only signed appends: a log entry signed by the custodian's key
// ([ledger.AuthenticatedAppender], which custody uses whenever a ledger offers it), or,
// while ledger.LegacyLeaves holds, a signed DSSE envelope whose commitment it logs
// ([ledger.EnvelopeAppender]). The server never needs the statement for the first. Append
// of a bare leaf is refused by such a server with an error wrapping
// [ErrEnvelopeRequired]; it works only against a server started with
// server.WithLeafAppendsUnsafe, as in tests. A second successor is refused with a
// *ledger.ConflictError naming the entry logged first.
//
// [Log.ReadLeaves] reads the whole log for an audit (ledger.Scan, ledger.FindTags,
// ledger.FindConflicts): from the server's tiles when it publishes them, otherwise from
// GET /entries.
//
// Every receipt is checked on arrival: it must be for this log's origin and its
// inclusion path must lead from the appended leaf to the root of the checkpoint it
// carries. The checkpoint's signature is for the verifier to check, with a [ledger.Trust]
// naming the log's key: the client trusts the server for nothing that matters.
//
// # Retries
//
// When the server pushes back (429, or 503 with Retry-After: too busy, its backend
// unreachable, or the leaf not yet integrated in time) or cannot be reached, requests are
// retried after the server's Retry-After, or an exponential backoff from 100 ms, at most
// [WithMaxAttempts] times (default 10) and never past ctx. Re-posting an entry or an
// envelope is safe: the server returns the existing entry's receipt. Other refusals are
// returned at once as a [*StatusError] carrying the server's reason (400 malformed, 403
// not signed by an allowed key, 413 too large), except 409, a *ledger.ConflictError.
//
// The API is documented in docs/HTTP-API.md.
package httplog
