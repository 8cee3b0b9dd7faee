package sign

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/internal/smallfile"
)

func TestGenerateLoadSignVerify(t *testing.T) {
	for _, kt := range keyTypes {
		t.Run(string(kt), func(t *testing.T) {
			kp := testKeyPair(t, kt)
			block, _ := pem.Decode(kp.PrivatePEM)
			require.Equal(t, SigstorePrivateKeyPEMType, block.Type)

			s, err := LoadSigner(kp.PrivatePEM, testPass)
			require.NoError(t, err)
			require.Equal(t, kp.KeyID, s.KeyID())
			pubPEM, err := s.PublicKeyPEM()
			require.NoError(t, err)
			require.Equal(t, kp.PublicPEM, pubPEM)

			env, err := SignEnvelope(context.Background(), testInTotoTyp, []byte(testPayload), s)
			require.NoError(t, err)
			b, err := json.Marshal(env)
			require.NoError(t, err)
			parsed, err := ParseEnvelope(b)
			require.NoError(t, err)

			v, err := LoadVerifier(kp.PublicPEM)
			require.NoError(t, err)
			ids, err := parsed.Verify(context.Background(), 1, v)
			require.NoError(t, err)
			require.Equal(t, []string{kp.KeyID}, ids)
		})
	}
}

func TestGenerateKeyPairErrors(t *testing.T) {
	tests := []struct {
		name     string
		kt       KeyType
		password []byte
		want     error
	}{
		{"empty password", ECDSAP256, []byte{}, ErrEmptyPassword},
		{"nil password", Ed25519, nil, ErrEmptyPassword},
		{"unknown key type", "dsa-1024", []byte("pw"), ErrUnsupportedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := GenerateKeyPair(tt.kt, tt.password)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestGenerateKeyPairDefaultIsECDSAP256(t *testing.T) {
	kp, err := GenerateKeyPair("", []byte("pw"))
	require.NoError(t, err)
	v, err := LoadVerifier(kp.PublicPEM)
	require.NoError(t, err)
	pub, ok := v.Public().(*ecdsa.PublicKey)
	require.True(t, ok)
	require.Equal(t, elliptic.P256(), pub.Curve)
}

// rePEM re-encodes the private key of kp with a different PEM type or body.
func rePEM(t *testing.T, kp *KeyPair, typ string, edit func([]byte) []byte) []byte {
	t.Helper()
	block, _ := pem.Decode(kp.PrivatePEM)
	require.NotNil(t, block)
	body := append([]byte(nil), block.Bytes...)
	if edit != nil {
		body = edit(body)
	}
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: body})
}

func TestLoadSignerErrors(t *testing.T) {
	kp := testKeyPair(t, ECDSAP256)
	plain, err := cryptoutils.MarshalPrivateKeyToPEM(rawKey(t, ECDSAP256, "plain"))
	require.NoError(t, err)
	replace := func(old, new string) func([]byte) []byte {
		return func(b []byte) []byte { return []byte(strings.Replace(string(b), old, new, 1)) }
	}
	flipCiphertext := func(b []byte) []byte {
		var doc map[string]any
		require.NoError(t, json.Unmarshal(b, &doc))
		ct := doc["ciphertext"].(string)
		doc["ciphertext"] = "AAAA" + ct[4:]
		out, err := json.Marshal(doc)
		require.NoError(t, err)
		return out
	}
	wrongPass := func(bool) ([]byte, error) { return []byte("Tr0ub4dor&3"), nil }
	failPass := func(bool) ([]byte, error) { return nil, errors.New("no terminal") }
	tests := []struct {
		name string
		pem  []byte
		pass PassFunc
		want error
	}{
		{"wrong password", kp.PrivatePEM, wrongPass, ErrWrongPassword},
		{"empty password", kp.PrivatePEM, func(bool) ([]byte, error) { return nil, nil }, ErrWrongPassword},
		{"tampered ciphertext", rePEM(t, kp, SigstorePrivateKeyPEMType, flipCiphertext), testPass, ErrWrongPassword},
		{"not PEM", []byte("not a key"), testPass, ErrMalformedKey},
		{"empty", nil, testPass, ErrMalformedKey},
		{"truncated PEM", kp.PrivatePEM[:len(kp.PrivatePEM)/2], testPass, ErrMalformedKey},
		{"unencrypted key", plain, testPass, ErrMalformedKey},
		{"public key", kp.PublicPEM, testPass, ErrMalformedKey},
		{"body not JSON", rePEM(t, kp, SigstorePrivateKeyPEMType, func([]byte) []byte { return []byte("garbage") }), testPass, ErrMalformedKey},
		{"unknown kdf", rePEM(t, kp, SigstorePrivateKeyPEMType, replace(`"scrypt"`, `"argon2"`)), testPass, ErrMalformedKey},
		{"costly scrypt parameters", rePEM(t, kp, SigstorePrivateKeyPEMType, replace(`"N":65536`, `"N":1073741824`)), testPass, ErrMalformedKey},
		{"unknown cipher", rePEM(t, kp, SigstorePrivateKeyPEMType, replace(`"nacl/secretbox"`, `"aes"`)), testPass, ErrMalformedKey},
		{"data after PEM", append(append([]byte{}, kp.PrivatePEM...), kp.PublicPEM...), testPass, ErrMalformedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadSigner(tt.pem, tt.pass)
			require.ErrorIs(t, err, tt.want)
		})
	}
	t.Run("nil PassFunc", func(t *testing.T) {
		_, err := LoadSigner(kp.PrivatePEM, nil)
		require.ErrorContains(t, err, "PassFunc")
	})
	t.Run("PassFunc error", func(t *testing.T) {
		_, err := LoadSigner(kp.PrivatePEM, failPass)
		require.ErrorContains(t, err, "no terminal")
	})
}

// Errors must never carry the password or key material (DESIGN: quality bars).
func TestLoadSignerErrorsDoNotLeakSecrets(t *testing.T) {
	kp := testKeyPair(t, Ed25519)
	const wrong = "my-wrong-secret-password"
	_, err := LoadSigner(kp.PrivatePEM, func(bool) ([]byte, error) { return []byte(wrong), nil })
	require.ErrorIs(t, err, ErrWrongPassword)
	require.NotContains(t, err.Error(), wrong)
	require.NotContains(t, err.Error(), testPassword)

	block, _ := pem.Decode(kp.PrivatePEM)
	for _, in := range [][]byte{kp.PrivatePEM[:200], rePEM(t, kp, "RSA PRIVATE KEY", nil)} {
		_, err := LoadSigner(in, testPass)
		require.Error(t, err)
		require.NotContains(t, err.Error(), testPassword)
		require.NotContains(t, err.Error(), string(block.Bytes[:16]))
		require.NotContains(t, err.Error(), string(kp.PrivatePEM[40:80]))
	}
}

func TestLoadSignerCosignPEMType(t *testing.T) {
	kp := testKeyPair(t, ECDSAP256)
	s, err := LoadSigner(rePEM(t, kp, CosignPrivateKeyPEMType, nil), testPass)
	require.NoError(t, err)
	require.Equal(t, kp.KeyID, s.KeyID())
}

// Keys made by sigstore's own generator (an independent code path) load.
func TestLoadSignerSigstoreGenerated(t *testing.T) {
	tests := []struct {
		name string
		gen  func(cryptoutils.PassFunc) ([]byte, []byte, error)
	}{
		{"ecdsa-p256", func(pf cryptoutils.PassFunc) ([]byte, []byte, error) {
			return cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), pf)
		}},
		{"rsa-2048", func(pf cryptoutils.PassFunc) ([]byte, []byte, error) {
			return cryptoutils.GeneratePEMEncodedRSAKeyPair(2048, pf)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			privPEM, pubPEM, err := tt.gen(cryptoutils.PassFunc(testPass))
			require.NoError(t, err)
			s, err := LoadSigner(privPEM, testPass)
			require.NoError(t, err)
			v, err := LoadVerifier(pubPEM)
			require.NoError(t, err)
			require.Equal(t, v.KeyID(), s.KeyID())
		})
	}
}

func TestLoadSignerFile(t *testing.T) {
	kp := testKeyPair(t, ECDSAP256)
	dir := t.TempDir()
	path := filepath.Join(dir, "lab.key")
	require.NoError(t, os.WriteFile(path, kp.PrivatePEM, 0o600))

	s, err := LoadSignerFile(path, testPass)
	require.NoError(t, err)
	require.Equal(t, kp.KeyID, s.KeyID())

	_, err = LoadSignerFile(filepath.Join(dir, "missing.key"), testPass)
	require.ErrorIs(t, err, os.ErrNotExist)

	bad := filepath.Join(dir, "bad.key")
	require.NoError(t, os.WriteFile(bad, []byte("junk"), 0o600))
	_, err = LoadSignerFile(bad, testPass)
	require.ErrorIs(t, err, ErrMalformedKey)
	require.ErrorContains(t, err, "bad.key")

	// A file longer than any key is refused unread past its limit (/dev/zero, an image).
	huge := filepath.Join(dir, "huge.key")
	require.NoError(t, os.WriteFile(huge, append(bytes.Clone(kp.PrivatePEM), make([]byte, maxKeyFile)...), 0o600))
	_, err = LoadSignerFile(huge, testPass)
	require.ErrorIs(t, err, smallfile.ErrTooLarge)
	require.ErrorContains(t, err, "larger than 1048576 bytes")
}

func TestKeyID(t *testing.T) {
	for _, kt := range keyTypes {
		t.Run(string(kt), func(t *testing.T) {
			pub := rawKey(t, kt, "a").Public()
			der, err := x509.MarshalPKIXPublicKey(pub)
			require.NoError(t, err)
			sum := sha256.Sum256(der)
			id, err := KeyID(pub)
			require.NoError(t, err)
			require.Equal(t, hex.EncodeToString(sum[:]), id)
			require.Len(t, id, 64)
		})
	}
}

func TestKeyIDUnsupported(t *testing.T) {
	p224, rsa1024 := weakKeys(t)
	tests := []struct {
		name string
		pub  any
		want error
	}{
		{"ecdsa p-224", &p224.PublicKey, ErrUnsupportedKey},
		{"rsa 1024", &rsa1024.PublicKey, ErrUnsupportedKey},
		{"string", "key", ErrUnsupportedKey},
		{"nil", nil, ErrUnsupportedKey},
		{"nil ecdsa", (*ecdsa.PublicKey)(nil), ErrMalformedKey},
		{"byte slice", []byte{1, 2, 3}, ErrUnsupportedKey},
		{"short ed25519", ed25519.PublicKey{1, 2, 3}, ErrMalformedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := KeyID(tt.pub)
			require.ErrorIs(t, err, tt.want)
			_, err = NewVerifier(tt.pub)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestLoadVerifierErrors(t *testing.T) {
	kp := testKeyPair(t, ECDSAP256)
	_, rsa1024 := weakKeys(t)
	weak, err := cryptoutils.MarshalPublicKeyToPEM(rsa1024.Public())
	require.NoError(t, err)
	tests := []struct {
		name string
		pem  []byte
		want error
	}{
		{"not PEM", []byte("hello"), ErrMalformedKey},
		{"private key", kp.PrivatePEM, ErrMalformedKey},
		{"garbage DER", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{0x30, 0x03, 1, 2, 3}}), ErrMalformedKey},
		{"two blocks", append(append([]byte{}, kp.PublicPEM...), kp.PublicPEM...), ErrMalformedKey},
		{"rsa 1024", weak, ErrUnsupportedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadVerifier(tt.pem)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

// A private key given where a public key is expected is told apart (ErrPrivateKey), and
// the error quotes none of it.
func TestLoadVerifierRefusesPrivateKeys(t *testing.T) {
	kp := testKeyPair(t, ECDSAP256)
	block, _ := pem.Decode(kp.PrivatePEM)
	raw := rawKey(t, Ed25519, "private")
	der, err := x509.MarshalPKCS8PrivateKey(raw)
	require.NoError(t, err)
	for name, in := range map[string][]byte{
		"sigstore encrypted": kp.PrivatePEM,
		"cosign encrypted":   pem.EncodeToMemory(&pem.Block{Type: CosignPrivateKeyPEMType, Bytes: block.Bytes}),
		"pkcs8":              pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		"ec":                 pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}),
		"openssh":            pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: der}),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadVerifier(in)
			require.ErrorIs(t, err, ErrPrivateKey)
			require.ErrorIs(t, err, ErrMalformedKey)
			var body string
			for _, line := range strings.Split(string(in), "\n") {
				if !strings.HasPrefix(line, "-----") {
					body += line
				}
			}
			for i := 0; i+16 <= len(body); i++ {
				require.NotContains(t, err.Error(), body[i:i+16], "error quotes key material")
			}
		})
	}
	_, err = LoadVerifier(kp.PublicPEM)
	require.NoError(t, err)
	_, err = LoadVerifier([]byte("hello"))
	require.NotErrorIs(t, err, ErrPrivateKey)
}
