package tsa

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger"
)

// MaxTokenSize bounds a TimeStampToken: larger tokens are refused unread. A token with
// a P-256 or RSA-4096 signer and a chain of three certificates is 2 to 6 KiB.
const MaxTokenSize = 64 << 10

// oidTSTInfo is id-ct-TSTInfo (RFC 3161 section 2.4.2), the content type a token signs.
var oidTSTInfo = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}

// Imprint returns the message imprint a token over checkpoint must carry: the SHA-256
// of the checkpoint's body, the signed note's text without its signature lines. So
// cosignatures added to the note later do not change what the token covers. The note's
// signatures are not checked here; its syntax is (ErrMalformed).
func Imprint(checkpoint []byte) ([sha256.Size]byte, error) {
	body, err := checkpointBody(checkpoint)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	return sha256.Sum256(body), nil
}

// checkpointBody returns the text of a signed checkpoint note, without signature lines.
func checkpointBody(checkpoint []byte) ([]byte, error) {
	if _, err := ledger.ReadHeadUnverified(checkpoint); err != nil {
		return nil, fmt.Errorf("reading the checkpoint to time-stamp: %w: %w", ErrMalformed, err)
	}
	_, err := note.Open(checkpoint, note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		// With no known verifiers, Open fails as unverified on every well-formed note.
		return nil, fmt.Errorf("reading the checkpoint to time-stamp: not a signed note: %w", ErrMalformed)
	}
	return []byte(unverified.Note.Text), nil
}

// parsedToken is a token whose structure and signature have been checked, but not its
// imprint nor its signer's trust.
type parsedToken struct {
	ts     *timestamp.Timestamp
	signer *x509.Certificate
}

// parseToken reads a DER TimeStampToken with github.com/digitorus/timestamp and
// github.com/digitorus/pkcs7 (the libraries sigstore/timestamp-authority uses), checking
// that it is one DER element, a SignedData over a TSTInfo with exactly one signer whose
// certificate it carries, and that the signature verifies with that certificate.
func parseToken(token []byte) (_ *parsedToken, err error) {
	defer recoverMalformed(&err)
	if len(token) == 0 {
		return nil, malformed("empty")
	}
	if len(token) > MaxTokenSize {
		return nil, malformed("%d bytes, more than the %d allowed", len(token), MaxTokenSize)
	}
	// pkcs7.Parse reads the first element and ignores what follows: refuse trailing data
	// (and BER indefinite lengths) here, so that exactly these bytes are the token.
	var outer asn1.RawValue
	if rest, err := asn1.Unmarshal(token, &outer); err != nil || len(rest) > 0 {
		return nil, malformed("not a single DER element")
	}
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return nil, malformed("not a CMS SignedData: %s", oneLine(err))
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		return nil, malformed("%d signers and %d certificates: want one signer, whose certificate the token carries (certReq)", len(p7.Signers), len(p7.Certificates))
	}
	var contentType asn1.ObjectIdentifier
	if err := p7.UnmarshalSignedAttribute(pkcs7.OIDAttributeContentType, &contentType); err != nil || !contentType.Equal(oidTSTInfo) {
		return nil, malformed("the signed content is not a TSTInfo")
	}
	// timestamp.Parse verifies the signature, as the token carries certificates.
	ts, err := timestamp.Parse(token)
	if err != nil {
		if sigErr := p7.Verify(); sigErr != nil {
			return nil, fmt.Errorf("reading time-stamp token: %w: %s", ErrBadSignature, oneLine(sigErr))
		}
		return nil, malformed("%s", oneLine(err))
	}
	return &parsedToken{ts: ts, signer: signer}, nil
}

// recoverMalformed, deferred, turns a panic into ErrMalformed. The bytes given to the
// digitorus readers are hostile and their BER reader is hand-written: should it ever
// panic, the input is malformed, and the verifier lives on to say so.
func recoverMalformed(err *error) {
	if r := recover(); r != nil {
		*err = malformed("the CMS reader failed: %v", r)
	}
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("reading time-stamp token: %s: %w", fmt.Sprintf(format, args...), ErrMalformed)
}

// oneLine flattens a library's error message (pkcs7 writes digests on lines of their own).
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
