// Package seal encrypts evidence with age for named recipients and opens it
// again, computing in the same single pass the digests that a chain of
// custody records: the SHA-256 (and optionally SHA-512, SHA-1, MD5) of the
// plaintext, and the SHA-256 of the sealed payload exactly as stored.
//
// The sealed payload is a plain binary age file (age-encryption.org/v1): the
// stock age CLI decrypts it with "age -d -i KEYFILE NAME.age", and files made
// with "age -r RECIPIENT" open here.
//
// # Sealing
//
//	recipients, err := seal.ReadRecipients("court-recipients.txt")
//	...
//	res, err := seal.Seal(ctx, payloadFile, imageFile, recipients, seal.WithDigests(digest.MD5))
//	// res.Plaintext: sha256 (+ md5) of the image; res.Ciphertext: sha256 of the payload.
//
// [Seal] reads its source exactly once and never holds more than a few MiB,
// whatever the input size. Reading and plaintext hashing, encryption of the
// payload's chunks (on every core), and ciphertext hashing and writing run as
// stages connected by a bounded set of reusable buffers, so on a multi-core
// machine they overlap.
//
// # Opening
//
//	ids, err := seal.ReadIdentities("key.txt")
//	...
//	res, err := seal.OpenFile(ctx, "image.dd", payloadFile, ids,
//		seal.WithExpectedCiphertext(recorded.Ciphertext),
//		seal.WithExpectedPlaintext(recorded.Plaintext))
//
// [OpenFile] writes to a temporary file and renames it into place only after
// every chunk authenticated and every expected digest matched: when it fails
// there is no file at all, never a partial or unverified one. [Open] streams
// to any [io.Writer] instead; that writer sees plaintext as each chunk
// authenticates, before the digests are known.
//
// [Verify] is the court's check: the same single pass with no destination,
// so no plaintext is written anywhere.
//
//	res, err := seal.Verify(ctx, payloadFile, ids,
//		seal.WithExpectedCiphertext(recorded.Ciphertext),
//		seal.WithExpectedPlaintext(recorded.Plaintext))
//
// All three read the age file once. The SHA-256 of the file as read, age's
// decryption and authentication of each chunk, and the plaintext digests
// run as three overlapping stages; memory stays at a few MiB whatever the
// size. They read to the end even when the payload does not open, so the
// Result carries the ciphertext digest and size after any failure but an
// I/O error (Plaintext is set only when every chunk authenticated).
//
// Failures of [Verify], [Open] and [OpenFile] are classified so a report can
// say what went wrong: [ErrNoIdentity] (the keys given cannot open it),
// [ErrCorrupt] (not an age file, truncated, altered, or with trailing data),
// [ErrCiphertextMismatch] and [ErrPlaintextMismatch] (authentic age, but not
// the recorded payload or content; these also wrap a
// [*digest.MismatchError] carrying both values). Test them with [errors.Is].
// Exactly one holds, in that order of precedence. An ErrCorrupt failure is
// a [*CorruptError] that says which of [ErrBadHeader], [ErrAltered],
// [ErrTruncated] or [ErrTrailingData] it is, and at which chunk and offset.
//
// [CiphertextDigest] checks a payload against its recorded digest without
// any key, as a court or a courier can.
//
// # Recipients and identities
//
// [ParseRecipient] accepts the recipient forms of the age CLI (all but the
// tagged hardware recipients "age1tag1…"): X25519 ("age1…"), hybrid post-quantum ML-KEM-768 + X25519
// ("age1pq1…"), SSH public keys ("ssh-ed25519 …", "ssh-rsa …") and plugin
// recipients ("age1NAME1…", handled by an age-plugin-NAME program on $PATH).
// Prefer hybrid recipients for material that must stay confidential for
// decades; note that only age v1.3.0 and later can open them, and that age
// refuses to mix them with non-post-quantum recipients in one file.
//
// [ParseIdentities] reads age-keygen files (X25519 and hybrid keys), plugin
// identities ("AGE-PLUGIN-…") and unencrypted OpenSSH Ed25519 or RSA private
// keys. A library cannot prompt, so passphrase-protected keys are rejected
// with an explanation, and plugins run non-interactively (a plugin that asks
// for a PIN or a confirmation fails). [GenerateX25519], [GenerateHybrid],
// [FormatIdentity] and [RecipientOf] create and write new keys in the format
// age-keygen uses.
//
// Errors about keys never contain key material, nor the text of the line
// that failed to parse: only a line number and what kind of key it seemed
// to be. Secret keys must not leak into logs or court reports.
//
// # Cancellation
//
// Every call takes a [context.Context]; cancelling it stops all stages at
// the next chunk boundary and returns the context's cause.
package seal
