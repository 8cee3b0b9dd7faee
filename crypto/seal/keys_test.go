package seal

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/plugin"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

func TestParseRecipient(t *testing.T) {
	keys := testKeys(t)
	x := keys["x25519"].recipient
	tests := []struct {
		name     string
		in       string
		wantType any
		wantErr  string
	}{
		{"x25519", x, &age.X25519Recipient{}, ""},
		{"x25519 with spaces", "  " + x + "\t", &age.X25519Recipient{}, ""},
		{"hybrid", keys["hybrid"].recipient, &age.HybridRecipient{}, ""},
		{"ssh-ed25519", keys["ssh-ed25519"].recipient, &agessh.Ed25519Recipient{}, ""},
		{"ssh-rsa", keys["ssh-rsa"].recipient, &agessh.RSARecipient{}, ""},
		{"plugin", plugin.EncodeRecipient("yubikey", []byte{1, 2, 3}), &plugin.Recipient{}, ""},
		{"empty", "", nil, "empty recipient"},
		{"x25519 bad checksum", x[:len(x)-1] + flipChar(x[len(x)-1]), nil, "malformed X25519 recipient"},
		{"x25519 truncated", x[:20], nil, "malformed X25519 recipient"},
		{"x25519 uppercase", strings.ToUpper(x), nil, "unknown recipient type"},
		{"hybrid truncated", keys["hybrid"].recipient[:100], nil, "malformed post-quantum recipient"},
		{"ssh garbage", "ssh-ed25519 AAAA!!!", nil, "malformed SSH recipient"},
		{"ssh unsupported type", "ssh-dss AAAAB3NzaC1kc3MAAACBAP", nil, "malformed SSH recipient"},
		{"secret key", "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ", nil, "secret key (an identity), not a recipient"},
		{"private key pem", "-----BEGIN OPENSSH PRIVATE KEY-----", nil, "private key, not a recipient"},
		{"public key pem", "-----BEGIN PUBLIC KEY-----", nil, "PEM public key (such as a signing key's .pub), not an age recipient"},
		{"certificate pem", "-----BEGIN CERTIFICATE-----", nil, "PEM certificate, not an age recipient"},
		{"note signing key", "PRIVATE+KEY+example.org/log+0123abcd+AQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ", nil, "private note signing key, not a recipient"},
		{"garbage", "hello", nil, "unknown recipient type"},
		{"github", "github:someone", nil, "unknown recipient type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseRecipient(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.Nil(t, r)
				return
			}
			require.NoError(t, err)
			require.IsType(t, tt.wantType, r)
		})
	}
}

// A secret key given as a recipient is told apart (ErrSecretKey), so that callers can
// say so and never echo it.
func TestParseRecipientSecretKeys(t *testing.T) {
	keys := testKeys(t)
	for name, in := range map[string]string{
		"x25519 identity":  strings.TrimSpace(string(keys["x25519"].identity)),
		"plugin identity":  "AGE-PLUGIN-YUBIKEY-1QQQQQQ",
		"ssh private key":  "-----BEGIN OPENSSH PRIVATE KEY-----",
		"pkcs8 private":    "-----BEGIN PRIVATE KEY-----",
		"sigstore private": "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----",
		"note signing key": "PRIVATE+KEY+example.org/log+0123abcd+AQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseRecipient(in)
			require.ErrorIs(t, err, ErrSecretKey)
			_, err = ParseRecipients(strings.NewReader("# a recipients file\n" + in + "\n"))
			require.ErrorIs(t, err, ErrSecretKey)
		})
	}
	_, err := ParseRecipient("-----BEGIN PUBLIC KEY-----")
	require.NotErrorIs(t, err, ErrSecretKey)
}

func flipChar(c byte) string {
	if c == 'q' {
		return "p"
	}
	return "q"
}

func TestParseRecipients(t *testing.T) {
	keys := testKeys(t)
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr string
	}{
		{"mixed with comments", "# team A\n" + keys["x25519"].recipient + "\n\n" + keys["ssh-ed25519"].recipient + "\r\n# end\n", 2, ""},
		{"only comments", "# nothing\n\n", 0, "no recipients found"},
		{"empty", "", 0, "no recipients found"},
		{"bad line", keys["x25519"].recipient + "\nbogus\n", 0, "recipients file: line 2: unknown recipient type"},
		{"identity in recipients", "AGE-SECRET-KEY-1XYZ\n", 0, "line 1: this is a secret key"},
		{"invalid utf8", "\xff\xfe\n", 0, "line 1 is not valid UTF-8"},
		{"line too long", strings.Repeat("a", 10000), 0, "line 1 is too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := ParseRecipients(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, rs, tt.want)
		})
	}
}

func TestReadRecipients(t *testing.T) {
	keys := testKeys(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "recipients.txt")
	require.NoError(t, os.WriteFile(file, []byte(keys["x25519"].recipient+"\n"+keys["hybrid"].recipient+"\n"), 0o644))
	pub := filepath.Join(dir, "id_ed25519.pub")
	require.NoError(t, os.WriteFile(pub, []byte(keys["ssh-ed25519"].recipient+" user@host\n"), 0o644))
	tests := []struct {
		name    string
		arg     string
		want    int
		wantErr string
	}{
		{"recipient string", keys["x25519"].recipient, 1, ""},
		{"ssh string", keys["ssh-rsa"].recipient, 1, ""},
		{"recipients file", file, 2, ""},
		{"ssh pub file", pub, 1, ""},
		{"missing file", filepath.Join(dir, "nope"), 0, "opening recipients file"},
		{"malformed string", "age1zzzz", 0, "malformed X25519 recipient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := ReadRecipients(tt.arg)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, rs, tt.want)
		})
	}
}

func TestParseIdentities(t *testing.T) {
	keys := testKeys(t)
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	encBlock, err := ssh.MarshalPrivateKeyWithPassphrase(edPriv, "", []byte("hunter2"))
	require.NoError(t, err)
	encSSH := pem.EncodeToMemory(encBlock)
	x, h := string(keys["x25519"].identity), string(keys["hybrid"].identity)
	tests := []struct {
		name     string
		in       string
		wantN    int
		wantType any
		wantErr  string
	}{
		{"x25519", x, 1, &age.X25519Identity{}, ""},
		{"hybrid", h, 1, &age.HybridIdentity{}, ""},
		{"keygen file", "# created: 2024-01-01T00:00:00Z\n# public key: " + keys["x25519"].recipient + "\n" + x, 1, &age.X25519Identity{}, ""},
		{"several", x + "\n" + h + "\r\n", 2, &age.X25519Identity{}, ""},
		{"plugin", plugin.EncodeIdentity("yubikey", []byte{1, 2, 3}), 1, &plugin.Identity{}, ""},
		{"ssh ed25519", string(keys["ssh-ed25519"].identity), 1, &agessh.Ed25519Identity{}, ""},
		{"ssh rsa", string(keys["ssh-rsa"].identity), 1, &agessh.RSAIdentity{}, ""},
		{"ssh with leading blank line", "\n" + string(keys["ssh-ed25519"].identity), 1, &agessh.Ed25519Identity{}, ""},
		{"ssh with passphrase", string(encSSH), 0, nil, "protected by a passphrase"},
		{"ssh garbage", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", 0, nil, "malformed or unsupported SSH private key"},
		{"encrypted age identity", "age-encryption.org/v1\n-> scrypt xx 18\n", 0, nil, "encrypted with a passphrase"},
		{"armored age identity", "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n", 0, nil, "encrypted with a passphrase"},
		{"empty", "", 0, nil, "no identities found"},
		{"only comments", "# hi\n", 0, nil, "no identities found"},
		{"recipient in identity file", keys["x25519"].recipient + "\n", 0, nil, "line 1: this is a recipient"},
		{"bad x25519", "AGE-SECRET-KEY-1ABC\n", 0, nil, "line 1: malformed X25519 identity"},
		{"bad hybrid", "# c\nAGE-SECRET-KEY-PQ-1ABC\n", 0, nil, "line 2: malformed post-quantum identity"},
		{"bad plugin", "AGE-PLUGIN-!!\n", 0, nil, "malformed plugin identity"},
		{"unknown", "password123\n", 0, nil, "unknown identity type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, err := ParseIdentities(strings.NewReader(tt.in))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, ids, tt.wantN)
			require.IsType(t, tt.wantType, ids[0])
		})
	}
}

// TestErrorsDoNotIncludeKeyMaterial feeds secret-looking lines that fail to
// parse, and checks that no error repeats any part of them (after age's
// TestParseErrorsDoNotIncludeLine).
func TestErrorsDoNotIncludeKeyMaterial(t *testing.T) {
	keys := testKeys(t)
	x := strings.TrimSpace(string(keys["x25519"].identity))
	hy := strings.TrimSpace(string(keys["hybrid"].identity))
	sshKey := string(keys["ssh-ed25519"].identity)
	secrets := []string{
		x[:len(x)-1] + flipChar(x[len(x)-1]), // bad checksum
		x[:len(x)-5],                         // truncated
		x + "Q",                              // too long
		strings.Replace(x, "AGE-SECRET-KEY-1", "AGE-SECRET-KEY-2", 1),
		hy[:len(hy)-1] + flipChar(hy[len(hy)-1]),
		strings.ToLower(x),
		"AGE-PLUGIN-YUBIKEY-1" + x[16:],
		"correct horse battery staple " + x[16:],
		strings.Replace(sshKey, "AAAA", "AAAB", 1), // corrupted SSH key body
	}
	parsers := map[string]func(string) error{
		"ParseIdentities": func(s string) error { _, err := ParseIdentities(strings.NewReader(s)); return err },
		"ParseRecipient":  func(s string) error { _, err := ParseRecipient(s); return err },
		"ParseRecipients": func(s string) error { _, err := ParseRecipients(strings.NewReader(s)); return err },
		"ReadIdentities": func(s string) error {
			p := filepath.Join(t.TempDir(), "key.txt")
			require.NoError(t, os.WriteFile(p, []byte(s), 0o600))
			_, err := ReadIdentities(p)
			return err
		},
	}
	for name, parse := range parsers {
		for i, secret := range secrets {
			t.Run(name+"/"+string(rune('a'+i)), func(t *testing.T) {
				err := parse(secret + "\n")
				if err == nil {
					t.Skip("accepted (e.g. lower-case bech32 is valid); nothing leaked")
				}
				msg := err.Error()
				for _, part := range strings.FieldsFunc(secret, func(r rune) bool { return r == '\n' || r == ' ' || r == '-' }) {
					if len(part) >= 8 {
						require.NotContains(t, msg, part, "error leaks input")
					}
				}
				// No 8-character window of the secret may appear either.
				for j := 0; j+8 <= len(secret); j++ {
					w := secret[j : j+8]
					if strings.ContainsAny(w, " \n-#") || strings.HasPrefix(w, "AGE") {
						continue
					}
					require.NotContains(t, msg, w, "error leaks input")
				}
			})
		}
	}
}

func TestFormatIdentity(t *testing.T) {
	x, err := GenerateX25519()
	require.NoError(t, err)
	h, err := GenerateHybrid()
	require.NoError(t, err)
	created := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	tests := []struct {
		name    string
		id      age.Identity
		created time.Time
		prefix  string
	}{
		{"x25519", x, created, "age1"},
		{"hybrid", h, created, "age1pq1"},
		{"no created line", x, time.Time{}, "age1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := FormatIdentity(tt.id, tt.created)
			require.NoError(t, err)
			pub, err := RecipientOf(tt.id)
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(pub, tt.prefix))
			require.Contains(t, string(b), "# public key: "+pub+"\n")
			if tt.created.IsZero() {
				require.NotContains(t, string(b), "# created:")
			} else {
				require.True(t, strings.HasPrefix(string(b), "# created: 2025-03-14T09:26:53Z\n"))
			}
			ids, err := ParseIdentities(bytes.NewReader(b))
			require.NoError(t, err)
			require.Len(t, ids, 1)
			back, err := RecipientOf(ids[0])
			require.NoError(t, err)
			require.Equal(t, pub, back)

			r, err := ParseRecipient(pub)
			require.NoError(t, err)
			sealed, _ := sealBytes(t, []byte("round trip"), r)
			var out bytes.Buffer
			_, err = Open(t.Context(), &out, bytes.NewReader(sealed), ids)
			require.NoError(t, err)
			require.Equal(t, "round trip", out.String())
		})
	}
	_, ids := testKeys(t)["ssh-ed25519"].parse(t)
	_, err = FormatIdentity(ids[0], created)
	require.ErrorContains(t, err, "has no age recipient string")
	_, err = RecipientOf(ids[0])
	require.Error(t, err)
}

func TestPluginRoundTrip(t *testing.T) {
	x, err := GenerateX25519()
	require.NoError(t, err)
	rcpt := plugin.EncodeRecipient(testPluginName, []byte(x.Recipient().String()))
	ident := plugin.EncodeIdentity(testPluginName, []byte(x.String()))

	r, err := ParseRecipient(rcpt)
	require.NoError(t, err)
	ids, err := ParseIdentities(strings.NewReader(ident + "\n"))
	require.NoError(t, err)

	pt := randomBytes(t, 100<<10)
	sealed, res := sealBytes(t, pt, r)
	var out bytes.Buffer
	_, err = Open(t.Context(), &out, bytes.NewReader(sealed), ids, WithExpectedPlaintext(res.Plaintext))
	require.NoError(t, err)
	require.True(t, bytes.Equal(pt, out.Bytes()))

	// The plugin's stanza is a plain X25519 one: the bare identity opens it too.
	_, err = Open(t.Context(), io.Discard, bytes.NewReader(sealed), []age.Identity{x})
	require.NoError(t, err)

	missing, err := ParseRecipient(plugin.EncodeRecipient("notinstalled", []byte{1}))
	require.NoError(t, err, "plugins are looked up when used, not when parsed")
	_, err = Seal(t.Context(), io.Discard, strings.NewReader("x"), []age.Recipient{missing})
	require.ErrorContains(t, err, "age-plugin-notinstalled")
}
