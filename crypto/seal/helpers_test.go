package seal

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/pem"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"filippo.io/age"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// keyPair is a recipient string and the identity file text that opens it.
type keyPair struct {
	recipient string // as ParseRecipient accepts
	identity  []byte // as ParseIdentities accepts
}

func (k keyPair) parse(t testing.TB) (age.Recipient, []age.Identity) {
	t.Helper()
	r, err := ParseRecipient(k.recipient)
	require.NoError(t, err)
	ids, err := ParseIdentities(bytes.NewReader(k.identity))
	require.NoError(t, err)
	return r, ids
}

var (
	keysOnce sync.Once
	keys     map[string]keyPair
)

// testKeys returns one key pair of each supported kind, generated once.
func testKeys(t testing.TB) map[string]keyPair {
	t.Helper()
	keysOnce.Do(func() {
		keys = map[string]keyPair{}
		x, err := GenerateX25519()
		require.NoError(t, err)
		keys["x25519"] = keyPair{x.Recipient().String(), []byte(x.String() + "\n")}
		h, err := GenerateHybrid()
		require.NoError(t, err)
		keys["hybrid"] = keyPair{h.Recipient().String(), []byte(h.String() + "\n")}

		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		keys["ssh-ed25519"] = sshPair(t, pub, priv)
		rk, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		keys["ssh-rsa"] = sshPair(t, &rk.PublicKey, rk)
	})
	return keys
}

func sshPair(t testing.TB, pub, priv any) keyPair {
	t.Helper()
	sp, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(priv, "test key")
	require.NoError(t, err)
	return keyPair{strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))), pem.EncodeToMemory(block)}
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return string(hexEncode(s[:]))
}

func hexEncode(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return out
}

// readSizes are readers of a byte slice whose reads have other sizes than
// the reader asked for.
var readSizes = map[string]func([]byte) io.Reader{
	"whole":      func(b []byte) io.Reader { return bytes.NewReader(b) },
	"one byte":   func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
	"data eof":   func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) },
	"half reads": func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
}

// sealBytes seals pt to recipients and returns the age file.
func sealBytes(t testing.TB, pt []byte, rs ...age.Recipient) ([]byte, Result) {
	t.Helper()
	var out bytes.Buffer
	res, err := Seal(t.Context(), &out, bytes.NewReader(pt), rs)
	require.NoError(t, err)
	return out.Bytes(), res
}
