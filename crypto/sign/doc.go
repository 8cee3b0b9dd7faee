// Package sign signs and verifies custody statements as DSSE envelopes with
// sigstore signers, reads and writes cosign-compatible key files, and names keys
// by key id.
//
// Most users need three calls: [LoadSignerFile] to open a key, [SignEnvelope] to
// sign a statement, and [Envelope.Verify] (after [ParseEnvelope] and
// [LoadVerifier]) to check one:
//
//	s, err := sign.LoadSignerFile("lab.key", pass)
//	env, err := sign.SignEnvelope(ctx, "application/vnd.in-toto+json", statement, s)
//	out, err := json.Marshal(env)
//
//	env, err := sign.ParseEnvelope(out)
//	v, err := sign.LoadVerifier(pubPEM)
//	keyIDs, err := env.Verify(ctx, 1, v)
//
// # Keys
//
// [GenerateKeyPair] makes an ECDSA P-256 (the default), Ed25519 or RSA-3072 key and
// returns it encrypted with a password (scrypt and NaCl secretbox, the format of
// go-securesystemslib/encrypted) as a PEM block of type "ENCRYPTED SIGSTORE PRIVATE
// KEY", with the public key as a "PUBLIC KEY" (PKIX) PEM block. These are the key
// files of cosign and sigstore: sigstore's signature.LoadSignerVerifierFromPEMFile
// opens ours, and [LoadSigner] opens theirs, including older "ENCRYPTED COSIGN
// PRIVATE KEY" files. Unencrypted private keys are refused.
//
// The password comes through a [PassFunc] that the caller writes: read an
// environment variable, prompt on a terminal, ask a secrets manager. A wrong
// password is [ErrWrongPassword]; no error ever contains the password or key bytes.
//
// A key is named by its [KeyID]: the lowercase hex SHA-256 of its DER
// SubjectPublicKeyInfo. The same id appears in every DSSE signature it makes.
//
// # Signers
//
// A [Signer] is one private key behind sigstore's signature.SignerVerifier. Besides
// key files, [NewSigner] wraps any crypto.Signer (an HSM or PKCS #11 token) and
// [LoadKMSSigner] opens a key in a key management service through sigstore's KMS
// registry ("awskms://…", "gcpkms://…", "hashivault://…"). This package registers no
// KMS provider: the program imports the provider packages it wants, or installs a
// sigstore KMS CLI plugin. Signatures made by keys outside the process are verified
// before they are used, so a misconfigured token cannot produce an envelope that
// nobody can verify.
//
// # Verifiers
//
// A [Verifier] is one trusted public key: [LoadVerifier] reads a PEM public key,
// [NewVerifier] takes a crypto.PublicKey, and [VerifierFromCertificate] takes an
// X.509 certificate after checking it chains to given roots at the time of signing
// and names the expected [Identity] (subject common name, URI, email or DNS SAN).
// A certificate that does not chain is [ErrUntrustedCertificate]; one with another
// identity is an [*IdentityMismatchError] naming what was wanted and found.
//
// # Envelopes
//
// An [Envelope] is a DSSE envelope (https://github.com/secure-systems-lab/dsse):
// payloadType, payload and signatures, in JSON with standard base64. Signatures
// cover [PAE](payloadType, payload), never the JSON. [ParseEnvelope] is strict, with
// the semantics of encoding/json/v2: it rejects unknown, duplicate or differently
// cased fields, invalid UTF-8, base64 that is not canonical, a missing payloadType,
// envelopes without signatures, two signatures by one key id ([WithUniqueKeyIDs]), and more than
// [DefaultMaxSignatures] signatures ([ErrTooManySignatures], refused as soon as it is
// seen). [DecodeEnvelope] reads an envelope embedded in a larger JSON document the
// same way, in place.
//
// [Envelope.Commitment] is SHA-256 of the PAE: the 32 bytes the custody ledger
// records. It does not depend on the signatures, so [Envelope.AddSignature] (a
// countersignature) does not change it.
//
// [SignEnvelope] signs through sigstore's DSSE adapter and go-securesystemslib's
// envelope signer, one signature per signer. [Envelope.Verify] counts distinct
// trusted keys whose signatures verify; signatures by keys it does not know are
// skipped, not fatal. Fewer than the threshold is a [*ThresholdError] that lists the
// accepted keys and why each other signature did not count.
//
// # Algorithms
//
// All hashing is SHA-256:
//
//   - ECDSA (P-256; P-384 and P-521 keys are accepted too): ASN.1 DER signature over
//     SHA-256(PAE).
//   - Ed25519: pure Ed25519 over PAE (not Ed25519ph).
//   - RSA (2048 bits or more; 3072 generated): PKCS #1 v1.5 over SHA-256(PAE), as
//     cosign does. RSA-PSS signatures are not accepted.
package sign
