// Package httplog is the client of a remote ledger served by `evidctl serve`
// (ledger/server): a [ledger.Ledger] that appends to, and reads checkpoints and proofs
// from, a ledger server over HTTP or HTTPS.
//
// # Use
//
//	l, err := httplog.Open(ctx, "https://ledger.example.org")
//	defer l.Close()
//	rcpt, err := l.AppendEnvelope(ctx, envelopeJSON) // a DSSE envelope signed by an allowed key
//
// The server appends only signed envelopes: the signature is the authentication, and the
// leaf is the envelope's commitment ([sign.Envelope.Commitment]). So Log implements
// [ledger.EnvelopeAppender], which custody uses whenever a ledger offers it. Append of a
// bare 32-byte leaf is refused by such a server with an error wrapping
// [ErrEnvelopeRequired]; it works only against a server started with
// server.WithLeafAppendsUnsafe, as in tests.
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
// [WithMaxAttempts] times (default 10) and never past ctx. Re-posting an envelope is safe:
// on Trillian the server returns the existing entry's receipt; on a posixlog the leaf is
// logged again and the new receipt proves it just as well. Other refusals are returned at
// once as a [*StatusError] carrying the server's reason (400 malformed, 403 not signed by
// an allowed key, 413 too large).
//
// The API is documented in docs/HTTP-API.md.
package httplog
