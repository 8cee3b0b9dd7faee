package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// KeyType names a kind of key that [GenerateKeyPair] makes.
type KeyType string

// The key types [GenerateKeyPair] makes. The empty KeyType means [ECDSAP256].
const (
	ECDSAP256 KeyType = "ecdsa-p256" // ECDSA on NIST P-256, signatures over SHA-256 (the default)
	Ed25519   KeyType = "ed25519"    // pure Ed25519 over the message
	RSA3072   KeyType = "rsa-3072"   // RSA 3072-bit, PKCS #1 v1.5 signatures over SHA-256
)

// PEM block types of the key files this package reads and writes.
const (
	// SigstorePrivateKeyPEMType is the block type of an encrypted private key written
	// by [GenerateKeyPair] (and by cosign since v2).
	SigstorePrivateKeyPEMType = "ENCRYPTED SIGSTORE PRIVATE KEY"
	// CosignPrivateKeyPEMType is the block type of older cosign key files. The
	// encryption scheme is the same; [LoadSigner] accepts both.
	CosignPrivateKeyPEMType = "ENCRYPTED COSIGN PRIVATE KEY"
	// PublicKeyPEMType is the block type of a PKIX SubjectPublicKeyInfo public key.
	PublicKeyPEMType = "PUBLIC KEY"
)

// minRSABits is the smallest RSA modulus this package signs or verifies with.
const minRSABits = 2048

var (
	// ErrWrongPassword means an encrypted private key did not decrypt with the
	// password given. The encryption is authenticated, so a key file whose
	// ciphertext was altered gives the same error. It never contains the password.
	ErrWrongPassword = errors.New("wrong password for private key")
	// ErrEmptyPassword means [GenerateKeyPair] was asked to protect a key with an
	// empty password.
	ErrEmptyPassword = errors.New("empty password")
	// ErrMalformedKey means a key file or key is not what it claims to be: not PEM,
	// an unexpected PEM block type, or corrupt content.
	ErrMalformedKey = errors.New("malformed key")
	// ErrUnsupportedKey means the key is well formed but of a type or size this
	// package does not sign or verify with.
	ErrUnsupportedKey = errors.New("unsupported key")
	// ErrPrivateKey means a private key was given where a public key is expected
	// ([LoadVerifier]); it comes with [ErrMalformedKey]. The error quotes no part
	// of the key.
	ErrPrivateKey = errors.New("private key where a public key is expected")
)

// PassFunc returns the password of an encrypted private key. confirm is true when a
// new key is being protected (an interactive prompt should ask twice) and false when
// an existing key is being opened. The caller decides where the password comes from
// (an environment variable, a terminal prompt, a secrets manager). It has the same
// shape as sigstore's cryptoutils.PassFunc.
type PassFunc func(confirm bool) ([]byte, error)

// KeyPair is a newly generated key pair, ready to be written to files.
type KeyPair struct {
	// PrivatePEM is the private key, encrypted with the password (scrypt +
	// NaCl secretbox), PEM type "ENCRYPTED SIGSTORE PRIVATE KEY": the format of
	// cosign and sigstore key files.
	PrivatePEM []byte
	// PublicPEM is the public key, PEM type "PUBLIC KEY" (PKIX).
	PublicPEM []byte
	// KeyID is the public key's [KeyID].
	KeyID string
}

// GenerateKeyPair makes a new key of type kt ("" means [ECDSAP256]) and returns it
// encrypted with password in the cosign-compatible format, with its public key and
// key id. The password must not be empty ([ErrEmptyPassword]).
func GenerateKeyPair(kt KeyType, password []byte) (*KeyPair, error) {
	if len(password) == 0 {
		return nil, ErrEmptyPassword
	}
	priv, err := generateKey(kt)
	if err != nil {
		return nil, err
	}
	der, err := cryptoutils.MarshalPrivateKeyToEncryptedDER(priv, func(bool) ([]byte, error) {
		return password, nil
	})
	if err != nil {
		return nil, fmt.Errorf("encrypting private key: %w", err)
	}
	pub := priv.Public()
	pubPEM, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	id, err := KeyID(pub)
	if err != nil {
		return nil, err
	}
	return &KeyPair{
		PrivatePEM: cryptoutils.PEMEncode(SigstorePrivateKeyPEMType, der),
		PublicPEM:  pubPEM,
		KeyID:      id,
	}, nil
}

func generateKey(kt KeyType) (crypto.Signer, error) {
	switch kt {
	case ECDSAP256, "":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case Ed25519:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	default:
		return nil, fmt.Errorf("%w: key type %q (want %q, %q or %q)",
			ErrUnsupportedKey, kt, ECDSAP256, Ed25519, RSA3072)
	}
}

// KeyID returns the key id of a public key: the lowercase hex SHA-256 of its DER
// SubjectPublicKeyInfo. It is the keyid carried by DSSE signatures and the key id
// that custody statements name.
func KeyID(pub crypto.PublicKey) (string, error) {
	if err := checkPublicKey(pub); err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("%w: encoding public key: %w", ErrUnsupportedKey, err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// checkPublicKey accepts ECDSA on P-256, P-384 or P-521, Ed25519 and RSA of at
// least 2048 bits.
func checkPublicKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return fmt.Errorf("%w: nil ECDSA key", ErrMalformedKey)
		}
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return nil
		}
		return fmt.Errorf("%w: ECDSA curve %s", ErrUnsupportedKey, k.Curve.Params().Name)
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: Ed25519 key of %d bytes", ErrMalformedKey, len(k))
		}
		return nil
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return fmt.Errorf("%w: nil RSA key", ErrMalformedKey)
		}
		if k.N.BitLen() < minRSABits {
			return fmt.Errorf("%w: RSA key of %d bits (minimum %d)", ErrUnsupportedKey, k.N.BitLen(), minRSABits)
		}
		return nil
	default:
		return fmt.Errorf("%w: public key type %T", ErrUnsupportedKey, pub)
	}
}

// decodeOnePEM returns the single PEM block of b; anything but whitespace after
// it is an error.
func decodeOnePEM(b []byte, what string) (*pem.Block, error) {
	block, rest := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%w: %s is not PEM", ErrMalformedKey, what)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%w: %s has data after its PEM block", ErrMalformedKey, what)
	}
	return block, nil
}

// parsePublicKeyPEM reads a "PUBLIC KEY" PEM block.
func parsePublicKeyPEM(pubPEM []byte) (crypto.PublicKey, error) {
	block, err := decodeOnePEM(pubPEM, "public key")
	if err != nil {
		return nil, err
	}
	if strings.Contains(block.Type, "PRIVATE KEY") {
		return nil, fmt.Errorf("%w: %w (PEM type %q)", ErrMalformedKey, ErrPrivateKey, block.Type)
	}
	if block.Type != PublicKeyPEMType {
		return nil, fmt.Errorf("%w: PEM type %q, want %q", ErrMalformedKey, block.Type, PublicKeyPEMType)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: parsing public key: %w", ErrMalformedKey, err)
	}
	return pub, nil
}

// encryptedKey mirrors the JSON document of go-securesystemslib/encrypted, so that a
// corrupt file is told apart from a wrong password before any key derivation.
type encryptedKey struct {
	KDF struct {
		Name   string `json:"name"`
		Params struct {
			N int `json:"N"`
			R int `json:"r"`
			P int `json:"p"`
		} `json:"params"`
		Salt []byte `json:"salt"`
	} `json:"kdf"`
	Cipher struct {
		Name  string `json:"name"`
		Nonce []byte `json:"nonce"`
	} `json:"cipher"`
	Ciphertext []byte `json:"ciphertext"`
}

// checkEncryptedKey validates the structure go-securesystemslib/encrypted expects:
// scrypt with one of its three parameter sets, NaCl secretbox with a 24-byte nonce.
func checkEncryptedKey(der []byte) error {
	var k encryptedKey
	if err := json.Unmarshal(der, &k); err != nil {
		return fmt.Errorf("%w: encrypted key is not the sigstore encrypted format", ErrMalformedKey)
	}
	p := k.KDF.Params
	switch {
	case k.KDF.Name != "scrypt":
		return fmt.Errorf("%w: key derivation %q, want scrypt", ErrMalformedKey, k.KDF.Name)
	case p.R != 8 || p.P != 1 || (p.N != 1<<15 && p.N != 1<<16 && p.N != 1<<17):
		return fmt.Errorf("%w: unsupported scrypt parameters N=%d r=%d p=%d", ErrMalformedKey, p.N, p.R, p.P)
	case len(k.KDF.Salt) == 0:
		return fmt.Errorf("%w: empty scrypt salt", ErrMalformedKey)
	case k.Cipher.Name != "nacl/secretbox":
		return fmt.Errorf("%w: cipher %q, want nacl/secretbox", ErrMalformedKey, k.Cipher.Name)
	case len(k.Cipher.Nonce) != 24:
		return fmt.Errorf("%w: nonce of %d bytes, want 24", ErrMalformedKey, len(k.Cipher.Nonce))
	case len(k.Ciphertext) <= 16:
		return fmt.Errorf("%w: ciphertext too short", ErrMalformedKey)
	}
	return nil
}

// parsePrivateKeyPEM decrypts a sigstore or cosign encrypted private key.
//
// It performs the same steps as sigstore's cryptoutils.UnmarshalPEMToPrivateKey
// (go-securesystemslib/encrypted, then PKCS #8) but checks the structure first, so
// that only an authentication failure is reported as [ErrWrongPassword].
func parsePrivateKeyPEM(privPEM []byte, pass PassFunc) (crypto.Signer, error) {
	block, err := decodeOnePEM(privPEM, "private key")
	if err != nil {
		return nil, err
	}
	if block.Type != SigstorePrivateKeyPEMType && block.Type != CosignPrivateKeyPEMType {
		return nil, fmt.Errorf("%w: PEM type %q, want %q or %q (an encrypted key)",
			ErrMalformedKey, block.Type, SigstorePrivateKeyPEMType, CosignPrivateKeyPEMType)
	}
	if err := checkEncryptedKey(block.Bytes); err != nil {
		return nil, err
	}
	if pass == nil {
		return nil, errors.New("opening an encrypted private key needs a PassFunc")
	}
	password, err := pass(false)
	if err != nil {
		return nil, fmt.Errorf("reading password: %w", err)
	}
	der, err := encrypted.Decrypt(block.Bytes, password)
	if err != nil {
		// The structure was checked above: what fails here is authentication.
		return nil, ErrWrongPassword
	}
	defer clear(der)
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: decrypted key is not PKCS #8", ErrMalformedKey)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: private key type %T", ErrUnsupportedKey, key)
	}
	if err := checkPublicKey(signer.Public()); err != nil {
		return nil, err
	}
	return signer, nil
}
