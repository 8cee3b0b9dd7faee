package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	testNoteSigner   = "PRIVATE+KEY+evidence.test/other+f356de11+AevFiCisEyaMLG1TkCDsf6QXsMyH9gfjmGXldppojtbN"
	testNoteVerifier = "evidence.test/other+f356de11+Af2StQ7eh9IzkAygcPU1p53+hg0MQyBCf5DJnSJPYrEN"
	testAgeIdentity  = "AGE-SECRET-KEY-1GQ9778VQXMMJVE8SK7J6VT8UJ4HDQAJUVSFCWCM02D8GEWQ72PVQ2Y5J33"
)

func TestClassifyKey(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want keyKind
	}{
		{"sigstore key", "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJr\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n", signingKey},
		{"cosign key", "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n", signingKey},
		{"pkcs8", "-----BEGIN PRIVATE KEY-----\n", privatePEM},
		{"openssh", "-----BEGIN OPENSSH PRIVATE KEY-----\n", privatePEM},
		{"public key", "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n", publicPEM},
		{"certificate", "-----BEGIN CERTIFICATE-----\n", certificatePEM},
		{"other pem", "-----BEGIN AGE ENCRYPTED FILE-----\n", unknownKey},
		{"age-keygen file", "# created: 2026-01-01T00:00:00Z\n# public key: age1xyz\n" + testAgeIdentity + "\n", ageIdentity},
		{"lower-case identity", strings.ToLower(testAgeIdentity), ageIdentity},
		{"plugin identity", "AGE-PLUGIN-YUBIKEY-1QQQ", ageIdentity},
		{"recipient", "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n", ageRecipient},
		{"ssh public key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILbvCPunuR+8s3QT5a/x2FjziOsYv+ZaVOowl0qu/VLY", sshPublic},
		{"note signing key", testNoteSigner, noteSigner},
		{"note verifier key", testNoteVerifier + "\n", noteVerifier},
		{"empty", "", unknownKey},
		{"comments only", "# nothing\n\n", unknownKey},
		{"prose", "not a key", unknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, classifyKey([]byte(tt.in)))
		})
	}
}

func TestRedact(t *testing.T) {
	pemKey := "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----"
	tests := []struct {
		name, in, secret string
	}{
		{"note key quoted", `bad key "` + testNoteSigner + `": oops`, "AevFiCisEyaMLG1TkCDsf6QX"},
		{"age identity", "line " + testAgeIdentity + " bad", "GQ9778VQXMMJVE8SK7J6VT8U"},
		{"age identity lower case", "x " + strings.ToLower(testAgeIdentity), "gq9778vqxmmjve8sk7j6vt8u"},
		{"pem private key", "open " + pemKey + ": no such file", "b3BlbnNzaC1rZXktdjEAAAAA"},
		{"truncated pem", "open " + pemKey[:60], "b3BlbnNzaC1rZXkt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redact(tt.in)
			require.NotContains(t, got, tt.secret)
			require.Contains(t, got, "[key material not shown]")
		})
	}
	require.Equal(t, "public "+testNoteVerifier, redact("public "+testNoteVerifier), "public keys are shown")
}

func FuzzClassifyKey(f *testing.F) {
	for _, s := range []string{testNoteSigner, testNoteVerifier, testAgeIdentity, "-----BEGIN PUBLIC KEY-----\n", "# c\nage1x", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		k := classifyKey(data)
		_ = k.is()
		_ = redact(string(data))
	})
}
