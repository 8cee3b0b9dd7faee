// Package ledger is the verifiable, append-only log that evidctl records custody
// events in, and the offline verifier for what the log hands out.
//
// A [Ledger] stores 64-byte entries ([Entry]: a tag, then a commitment, the SHA-256 of a
// DSSE pre-authentication encoding), never case data. [Ledger.Append] returns only when
// the leaf is covered by a published checkpoint signed by the log, and hands back a
// [Receipt]. The receipt is self-contained: anyone holding it, the leaf and a [Trust]
// policy can later prove, offline, that the leaf is in the log.
//
// The transition of issue 12 is over: every ledger refuses a bare 32-byte commitment
// (ErrMalformed, naming entries as tag || commitment). Logs written before it still hold
// such leaves, and their receipts still verify: VerifyReceipt proves whatever leaf it is
// given, and [Scan] reads both sizes.
//
// Backends live in sibling packages (ledger/posixlog is the embedded default); this
// package imports none of them, and the receipt format does not depend on the backend.
//
// # Appending and verifying
//
//	entry := ledger.NewEntry(tag, commitment)
//	rcpt, err := l.Append(ctx, entry[:])
//	...
//	trust := &ledger.Trust{Logs: []ledger.Log{{Origin: origin, VerifierKey: vkey}}}
//	cp, err := trust.VerifyReceipt(rcpt, entry[:])
//
// VerifyReceipt checks, in this order: the checkpoint is well formed; its origin names a
// log in the policy; the log's key signed it; enough trusted witnesses cosigned it (when
// the policy sets a quorum); and the inclusion proof leads from the leaf's RFC 6962 hash
// ([tlog.RecordHash]) at the receipt's index to the checkpoint's root hash.
//
// # Entries and the single-successor rule
//
// An entry's tag can be used once (docs/TRUST.md): every ledger refuses an entry whose
// tag it holds with another commitment, with a [*ConflictError] (errors.Is
// [ErrConflict]) naming the index and commitment of the entry logged first, and answers
// the identical entry with the receipt of the existing one, logging nothing. A ledger
// that authenticates appends (a client of `evidctl serve`) is an
// [AuthenticatedAppender]: its AppendSigned takes the entry and an [EntrySigner]
// (*sign.Signer is one).
//
// # Auditing a whole log
//
// A [LeafReader] reads a log's leaves (posixlog.NewReader, posixlog.Log, httplog.Log,
// trillianlog.Log, trillianlog.OpenReader). [Scan] streams them up to a verified
// checkpoint, hashing them into the checkpoint's root in constant memory
// ([ErrRootMismatch] if they do not hash to it); [FindTags] returns the entries with
// given tags, and [FindConflicts] every tag logged with two commitments. Both return only
// after the root check.
//
// # Receipts
//
// A receipt is a C2SP tlog-proof (https://c2sp.org/tlog-proof), text like this:
//
//	c2sp.org/tlog-proof@v1
//	index 4
//	<base64 SHA-256 hash, one per line: the inclusion path, leaf's sibling first>
//
//	<the signed checkpoint note, verbatim>
//
// An optional "extra <base64>" line may follow the header; it is opaque and not
// authenticated. [ParseReceipt] is strict: it rejects a missing header, non-canonical
// decimals, bad or non-canonical base64, hashes that are not 32 bytes, and trailing
// garbage. Receipts verify with golang.org/x/mod/sumdb/note and sumdb/tlog alone: the
// format is public and nothing in it is specific to evidctl.
//
// # Checkpoints and consistency
//
// A checkpoint is a C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint) inside a C2SP
// signed note: origin line, decimal tree size, base64 root hash, then signatures. Witness
// cosignatures follow C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature).
// [Trust.VerifyCheckpoint] opens one; [VerifyConsistency] proves that a newer checkpoint
// of the same log extends an older one, which is how two receipts issued months apart
// are shown to come from one append-only history.
//
// # Backends
//
// A backend implements the narrow [Backend] interface (store leaves, sign checkpoints,
// build proofs) and hands it to [New], which returns the Ledger: New adds, once for all
// backends, the lifecycle (ErrClosed after Close, Close waiting for operations in
// flight), the argument checks (leaf size, proof arguments), Append as a batch of one,
// and the error prefix. Each backend's type embeds that Ledger and adds what is its own
// (posixlog.Log.Dir, VerifierKey...):
//
//	type Log struct {
//		ledger.Ledger // ledger.New(backend)
//		...
//	}
//
// Behaviour that can be added to any backend, such as witness cosignatures on its
// checkpoints or timestamp tokens on its receipts, is a [Decorator] passed to New with
// [WithDecorator]: a function from Backend to Backend, run inside New's checks.
//
// # Time-stamps
//
// A log whose checkpoints an RFC 3161 time-stamping authority stamps (ledger/tsa's
// Decorator) returns receipts carrying their checkpoint's token, and implements
// [Timestamper]: the token of its latest checkpoint, which a signer cites before signing
// (docs/TRUST.md). Every Ledger New makes implements Timestamper; without a TSA it fails
// with [ErrNoTimestamps]. It stamps only its latest checkpoint, or one it stamped
// before ([ErrNotLatest]).
//
// # Errors
//
// Every verification failure wraps one of the sentinels, for errors.Is, and says what was
// expected and what was found: [ErrMalformed], [ErrUnknownLog], [ErrWrongOrigin],
// [ErrBadSignature], [ErrQuorum], [ErrLeafMismatch], [ErrInconsistent] and
// [ErrRootMismatch]. A closed Ledger's errors wrap [ErrClosed]; a second successor's,
// [ErrConflict].
//
// One prefix policy holds in this package and in every package under ledger/: an error
// begins, once and lowercase, with what was being done or the input being checked
// ("parsing receipt: ", "verifying checkpoint of "ORIGIN": ", "opening log DIR: ",
// "trust policy: "), then gives the reason, with what was expected and what was found,
// and ends with the sentinel, wrapped with %w. Only the layer that knows the operation
// and the log adds that prefix. For a Ledger's methods that is [New]: "appending to
// ORIGIN: ", "reading checkpoint of ORIGIN: ", "inclusion proof for index I at size N in
// ORIGIN: ", "consistency proof from size M to N in ORIGIN: ", "closing ORIGIN: ". So a
// backend returns bare reasons ("leaf 2 of 5: queueing leaf: ...") and names neither the
// log nor the operation again. No error names a package ("memlog: ", "ledger server: ").
// What a caller may act on (a sentinel, a backend's typed error, a context or gRPC status
// error) is wrapped with %w through every layer, for errors.Is and errors.As.
package ledger
