// Package tsa gives log checkpoints a trusted time: RFC 3161 time-stamp tokens, one per
// checkpoint, requested from a time-stamping authority (TSA), carried in receipts, and
// verified offline against the TSAs a trust policy names.
//
// A token proves that a checkpoint existed at the token's time, by the word of a TSA the
// verifier trusts; every event under that checkpoint was logged by then. Under eIDAS a
// qualified RFC 3161 time-stamp is presumed accurate.
//
// # Logging with a TSA
//
//	client, err := tsa.NewClient("https://tsa.example/tsr")
//	l, err := posixlog.Open(ctx, dir, key, posixlog.WithDecorator(tsa.Decorator(client)))
//	rcpt, err := l.Append(ctx, commitment) // rcpt.Extra[0] is the token over rcpt.Checkpoint
//	cp, err := l.Checkpoint(ctx)
//	token, err := l.TimestampCheckpoint(ctx, cp) // the anchor's token, for a signer
//
// [Decorator] works on any backend (ledger.WithDecorator; trillianlog takes it as an
// option too), inside ledger.New's checks, and makes the log a ledger.Timestamper. It
// asks the TSA once per checkpoint, not once per event: concurrent appends under one
// checkpoint share one request, and tokens are cached ([Client.Token]). [Inspect]
// checks a token without a policy, as a signer does before citing it.
//
// # Verifying
//
//	auth, err := tsa.ParseAuthority("Example TSA", rootsPEM, nil)
//	v, err := tsa.NewVerifier(auth)
//	ts, err := v.VerifyReceipt(rcpt) // after ledger.Trust.VerifyReceipt(rcpt, leaf)
//	// ts.Time, ts.Accuracy, ts.Authority
//
// A TSA not in the policy is not trusted: its tokens fail with ErrUntrusted.
//
// # What a token covers
//
// Its message imprint is SHA-256 of the checkpoint body: the signed note's text (origin,
// size, root hash, extension lines) without the signature lines ([Imprint]). So one token
// serves every copy of the checkpoint, whatever cosignatures each carries; and a token
// over another checkpoint fails with ErrWrongCheckpoint.
//
// # Wire form
//
// A receipt (C2SP tlog-proof) carries the token as its one "extra" line, base64 of the
// DER TimeStampToken: the CMS ContentInfo of RFC 3161 section 2.4.2, not the
// TimeStampResp around it. The response's status says nothing once the token is there,
// and the token is the standard object other tools read: `openssl ts -verify -token_in
// -in TOKEN -digest HEX -CAfile ROOTS.pem` verifies it.
//
// # Libraries
//
// Requests, responses and tokens are read and written by github.com/digitorus/timestamp
// and github.com/digitorus/pkcs7, the libraries of github.com/sigstore/timestamp-authority;
// no ASN.1 structure is written here. Certificate chains are checked by crypto/x509.
// ledger/tsa/tsatest runs sigstore's TSA server for tests.
package tsa
