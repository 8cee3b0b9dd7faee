package tsa

import "crypto/sha256"

// Inspect checks what can be checked of a token without a trust policy: it is a
// well-formed RFC 3161 TimeStampToken over checkpoint (its imprint is SHA-256 of the
// checkpoint body), its signature verifies with the certificate it carries, and that
// certificate is a time-stamping certificate. It returns what the token states, with an
// empty Authority: nothing here says the TSA is trusted. A signer uses it to check a
// token before committing to it; a verifier uses [Verifier.Verify].
func Inspect(token, checkpoint []byte) (*Timestamp, error) {
	want, err := Imprint(checkpoint)
	if err != nil {
		return nil, err
	}
	p, err := inspect(token, want)
	if err != nil {
		return nil, err
	}
	return p.timestamp(""), nil
}

// inspect parses a token and checks its imprint (want) and its signer's key usage: all
// but the signer's trust.
func inspect(token []byte, want [sha256.Size]byte) (*parsedToken, error) {
	p, err := parseToken(token)
	if err != nil {
		return nil, err
	}
	if err := p.checkImprint(want); err != nil {
		return nil, err
	}
	if err := checkUsage(p.signer); err != nil {
		return nil, err
	}
	return p, nil
}

// timestamp is what the token states, attributed to authority.
func (p *parsedToken) timestamp(authority string) *Timestamp {
	return &Timestamp{
		Time:      p.ts.Time,
		Accuracy:  p.ts.Accuracy,
		Authority: authority,
		Subject:   p.signer.Subject.String(),
		Serial:    p.ts.SerialNumber,
		Policy:    p.ts.Policy.String(),
	}
}
