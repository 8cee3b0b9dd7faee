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
// An append is a 64-byte log entry (tag || commitment) signed by its custodian: the
// server looks the key id up in the allow list, verifies the signature over the entry
// with that one key ([sign.Verifier.VerifyEntry]) and appends the entry. It never sees
// the statement. The signature is the authentication; there are no accounts or tokens.
// An entry that is unsigned, or signed by no allowed key, is refused and the log is left
// unchanged. Reading is open to anyone. [WithLeafAppendsUnsafe] turns authentication off,
// for tests.
//
// The transition of issue 12 is over: the server no longer appends a signed DSSE
// envelope's 32-byte commitment. It answers an envelope (Content-Type
// application/vnd.dsse.envelope.v1+json) with 415 and a line telling the client to
// upgrade, before reading a byte of its body, as it answers every media type but a
// signed entry.
//
// Every ledger keeps the single-successor rule, so a second entry with a logged tag gets
// 409 naming the first's index, and the same entry again gets the existing
// receipt, with no new log entry. Each key may append at most [DefaultRateLimit] per
// second in bursts of [DefaultRateBurst] ([WithRateLimit]); more get 429.
//
// # API
//
// Documented in docs/HTTP-API.md; in short:
//
//	POST /append                        signed entry JSON in; C2SP tlog-proof receipt out
//	GET  /checkpoint                    the latest signed checkpoint (C2SP tlog-checkpoint)
//	GET  /proof/inclusion?index=I&size=N  inclusion path, one base64 hash per line
//	GET  /proof/consistency?old=M&new=N   consistency proof, one base64 hash per line
//	GET  /tile/...                      tlog-tiles (https://c2sp.org/tlog-tiles), posixlog only
//	GET  /entries?start=S&count=N       entries, for auditors, from any ledger that reads them
//
// Errors are one line of text/plain. 400: malformed input; 403: not signed by an allowed
// key; 408: body not received in time; 409: a second successor (the line names the
// first's index); 413: body over the limit (4 KiB, a signed entry's, or
// [WithMaxBodySize] when lower); 415: any body but a signed entry, read not at all: a
// DSSE envelope (the line says to upgrade the client: envelopes are no longer appended),
// a bare leaf sent to a server that wants signed appends, no or another Content-Type;
// 429 with Retry-After: the key's rate limit, or the backend pushes back
// (Tessera's ErrPushback, a Trillian quota); 503 with Retry-After: too many appends in flight, the
// backend is unreachable for now, or the leaf was not integrated within the append timeout
// (re-posting the same entry then returns its receipt), or too many append bodies are
// being received. Anything else is 500 and logged.
//
// # Limits
//
// What the server holds for its clients is bounded, so that many connections that never
// sign anything can neither exhaust its memory nor lock out an allowed signer:
//
//   - the body of one append (4 KiB, a signed entry's; [WithMaxBodySize] may lower it);
//     a larger declared Content-Length is refused before a byte of it is read, and a
//     body of any media type but a signed entry is not read at all (415);
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
