package seal

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"filippo.io/age/plugin"
)

func FuzzParseRecipient(f *testing.F) {
	f.Add("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")
	f.Add("age1pq1")
	f.Add("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKX7")
	f.Add("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ")
	f.Add(plugin.EncodeRecipient("yubikey", []byte{1, 2, 3}))
	f.Add("AGE-SECRET-KEY-1QQ")
	own := ownText(f)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRecipient(s)
		if (r == nil) == (err == nil) {
			t.Fatalf("ParseRecipient(%q) = %v, %v", s, r, err)
		}
		if s := strings.TrimSpace(s); err != nil && len(s) >= 12 && strings.Contains(err.Error(), s) && !strings.Contains(own, s) {
			t.Fatalf("error echoes the input: %v", err)
		}
		_, _ = ParseRecipients(strings.NewReader(s))
	})
}

// ownText is the source of this package's key parsing: input that matches a
// piece of it (a key prefix such as "AGE-SECRET-KEY-1") may appear in an
// error without anything having leaked.
func ownText(t testing.TB) string {
	b, err := os.ReadFile("keys.go")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func FuzzParseIdentities(f *testing.F) {
	own := ownText(f)
	f.Add([]byte("AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX\n"))
	f.Add([]byte("# created: x\nAGE-SECRET-KEY-PQ-1ABC\n"))
	f.Add([]byte(plugin.EncodeIdentity("yubikey", []byte{1}) + "\n"))
	f.Add([]byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"))
	f.Add([]byte("age-encryption.org/v1\n"))
	f.Add([]byte("\r\n\r\n#\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ids, err := ParseIdentities(bytes.NewReader(b))
		if (len(ids) == 0) == (err == nil) {
			t.Fatalf("ParseIdentities: %d identities, err %v", len(ids), err)
		}
		if err != nil {
			for _, line := range strings.Split(string(b), "\n") {
				line = strings.TrimSpace(line)
				if len(line) >= 16 && strings.Contains(err.Error(), line) && !strings.Contains(own, line) {
					t.Fatalf("error echoes an input line: %v", err)
				}
			}
		}
	})
}
