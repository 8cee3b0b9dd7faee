package sign

import (
	"context"
	"errors"
	"fmt"
)

// EntryPayloadType is the DSSE payload type under which a log entry is signed. Entry
// signatures cover [PAE](EntryPayloadType, entry), so a signature over an entry can never
// verify as a signature over a statement (payload type "application/vnd.in-toto+json"),
// nor the other way round.
const EntryPayloadType = "application/vnd.evidctl.log-entry.v1"

// maxEntrySize bounds what SignEntry and VerifyEntry accept; a log entry is 64 bytes.
const maxEntrySize = 1 << 10

// SignEntry signs a ledger entry (tag || commitment, 64 bytes) so that a ledger server
// can authenticate the append without seeing the statement: the signature covers
// [PAE]([EntryPayloadType], entry), made exactly as a DSSE signature is (ECDSA and RSA
// over SHA-256 of it, Ed25519 over it). It is carried with the signer's [Signer.KeyID].
// With it *Signer is a ledger.EntrySigner.
func (s *Signer) SignEntry(ctx context.Context, entry []byte) ([]byte, error) {
	if err := checkEntry(entry); err != nil {
		return nil, err
	}
	return s.signPAE(ctx, PAE(EntryPayloadType, entry))
}

// VerifyEntry checks sig, made by [Signer.SignEntry], over entry with the verifier's key.
// A signature that does not verify fails with [ErrInvalidSignature].
func (v *Verifier) VerifyEntry(ctx context.Context, entry, sig []byte) error {
	if err := checkEntry(entry); err != nil {
		return err
	}
	if len(sig) == 0 {
		return fmt.Errorf("%w: empty entry signature", ErrInvalidSignature)
	}
	if err := v.verifyPAE(ctx, PAE(EntryPayloadType, entry), sig); err != nil {
		return fmt.Errorf("%w: entry signature by key %s: %w", ErrInvalidSignature, v.keyID, err)
	}
	return nil
}

func checkEntry(entry []byte) error {
	if len(entry) == 0 || len(entry) > maxEntrySize {
		return errors.New("sign: a log entry must be 1 to 1024 bytes")
	}
	return nil
}
