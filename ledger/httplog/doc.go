// Package httplog is the client of a remote ledger served by `evidctl serve`
// (ledger/server): a [ledger.Ledger] that appends to, and reads checkpoints and proofs
// from, a ledger server over HTTP or HTTPS.
//
// # Use
//
//	l, err := httplog.Open(ctx, "https://ledger.example.org", httplog.WithTrust(trust))
//	defer l.Close()
//	rcpt, err := l.AppendSigned(ctx, entry[:], signer) // a 64-byte entry; signer a *sign.Signer
//
// The server appends only signed entries: a 64-byte log entry signed by the custodian's
// key ([ledger.AuthenticatedAppender], which custody uses whenever a ledger offers it).
// The server never sees the statement. (The DSSE-envelope appends of the transition are
// gone: a server answers them 415.) Append of a bare leaf is refused by such a server
// with an error wrapping [ErrSignedEntryRequired]; it works only against a server
// started with
// server.WithLeafAppendsUnsafe, as in tests. A second successor is refused with a
// *ledger.ConflictError naming the entry logged first.
//
// [Log.ReadLeaves] reads the whole log for an audit (ledger.Scan, ledger.FindTags,
// ledger.FindConflicts): from the server's tiles when it publishes them, otherwise from
// GET /entries.
//
// # Verification
//
// The client trusts neither the server nor the network for anything that matters. Open
// takes the [ledger.Trust] (the trust policy's logs, such as custody's
// Policy.LedgerTrust) with [WithTrust], and every checkpoint the server gives — in a
// receipt or from Checkpoint — must verify under it (the log's key, and the witness
// quorum the policy asks for) and be consistent with every checkpoint the client verified
// before, which it proves with a consistency proof fetched from the server; a receipt's
// inclusion path must lead from the appended leaf to the checkpoint's root. Only then is
// anything returned. A man-in-the-middle answering with a checkpoint of its own key fails
// with an error wrapping ledger.ErrUnknownLog; a server showing another history of the
// log (a fork), with ledger.ErrInconsistent. [WithKnownCheckpoint] adds a checkpoint
// verified earlier (a bundle's latest of this log) to be consistent with. Without a trust
// policy Open fails ([ErrNoTrust]), unless told [WithoutCheckpointVerificationUnsafe].
//
// # Retries
//
// When the server pushes back (429, or 503 with Retry-After: too busy, its backend
// unreachable, or the leaf not yet integrated in time) or cannot be reached, requests are
// retried after the server's Retry-After, or an exponential backoff from 100 ms, at most
// [WithMaxAttempts] times (default 10), for at most [WithRetryTimeout] in all (default 1
// minute), and never past ctx; a request that runs out of either fails with a
// [*RetryError] naming the URL, the attempts, the time and the last error. A request that
// takes longer than 2 s is reported to [WithProgress] — which URL, which attempt of how
// many, the last error — and again every 5 s, so that a person is never left waiting in
// silence. Re-posting an entry is safe: the server returns the existing
// entry's receipt. Other refusals are returned at once as a [*StatusError] carrying the
// server's reason (400 malformed, 403 not signed by an allowed key, 413 too large),
// except 409, a *ledger.ConflictError. No message quotes the password of a URL.
//
// The API is documented in docs/HTTP-API.md.
package httplog
