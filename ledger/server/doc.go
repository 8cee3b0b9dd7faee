// Package server serves any [ledger.Ledger] over HTTP: the service behind `evidctl serve`,
// which labs, providers and authorities append custody events to, and which anyone may
// read checkpoints and proofs from. Its client is ledger/httplog.
//
// # Use
//
//	allow := []*sign.Verifier{labKey, providerKey} // from PEM public keys: sign.LoadVerifier
//	err := server.Serve(ctx, "127.0.0.1:8080", l, allow)
//
// or mount the handler yourself:
//
//	h, err := server.New(l, allow)
//	http.Handle("/", h)
//
// # Who may append
//
// An append is a signed DSSE envelope, never a bare hash: the server verifies its
// signature against the allow list and appends its commitment (SHA-256 of the DSSE
// pre-authentication encoding, [sign.Envelope.Commitment]), the same leaf custody appends
// to a local log. The signature is the authentication; there are no accounts or tokens, and
// the log still stores only the 32-byte commitment. An envelope that is unsigned, or
// signed by no allowed key, is refused with 403 and the log is left unchanged. Reading is
// open to anyone. [WithLeafAppendsUnsafe] turns authentication off, for tests.
//
// # API
//
// Documented in docs/HTTP-API.md; in short:
//
//	POST /append                        DSSE envelope JSON in; C2SP tlog-proof receipt out
//	GET  /checkpoint                    the latest signed checkpoint (C2SP tlog-checkpoint)
//	GET  /proof/inclusion?index=I&size=N  inclusion path, one base64 hash per line
//	GET  /proof/consistency?old=M&new=N   consistency proof, one base64 hash per line
//	GET  /tile/...                      tlog-tiles (https://c2sp.org/tlog-tiles), posixlog only
//
// Errors are one line of text/plain. 400: malformed input; 403: not signed by an allowed
// key; 408: body not received in time; 413: body over the limit (256 KiB,
// [WithMaxBodySize]); 415: a bare leaf sent to a
// server that wants envelopes; 429 with Retry-After: the backend pushes back (Tessera's
// ErrPushback, a Trillian quota); 503 with Retry-After: too many appends in flight, the
// backend is unreachable for now, or the leaf was not integrated within the append timeout
// (re-posting the same envelope then returns its receipt), or too many append bodies are
// being received. Anything else is 500 and logged.
//
// # Limits
//
// What the server holds for its clients is bounded, so that many connections that never
// sign anything can neither exhaust its memory nor lock out an allowed signer:
//
//   - the body of one append ([WithMaxBodySize], 256 KiB); a larger declared
//     Content-Length is refused before a byte of it is read;
//   - the bytes of append bodies held at once, across all requests
//     ([WithMaxBufferedBytes], 64 MiB): a request reserves its declared length (or the
//     body limit, when it declares none) before reading, waits its turn while the budget
//     is spent, and gets 503 with Retry-After if the turn does not come within the body
//     read timeout; one client address may hold a sixteenth of the budget, and gets 503
//     at once beyond that;
//   - how long a body may take to arrive ([WithBodyReadTimeout], 10 s), against slow
//     senders;
//   - with [Serve]: the connections open at once, in all ([WithMaxConns], 4096) and from
//     one address ([WithMaxConnsPerAddress], 64; an IPv6 /64 counts as one address); the
//     time to send a request's headers ([ReadHeaderTimeout]) and their size
//     ([MaxHeaderBytes]); and HTTP/2's streams per connection and receive buffers.
//
// # Tiles
//
// Only the tile tree is published: a path must be a tile or entry bundle path of
// tlog-tiles in its canonical form, and the file is opened through an [os.Root] at the
// tile directory, so that neither an encoded dot segment nor a symbolic link inside the
// tree reaches the log's state, its checkpoint file or anything else.
package server
