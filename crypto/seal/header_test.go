package seal

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"github.com/stretchr/testify/require"
)

func TestReadHeader(t *testing.T) {
	x, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	pq, err := age.GenerateHybridIdentity()
	require.NoError(t, err)
	sshPub := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN"
	sr, err := agessh.ParseRecipient(sshPub)
	require.NoError(t, err)
	var sealed bytes.Buffer
	_, err = Seal(context.Background(), &sealed, strings.NewReader("evidence"), []age.Recipient{x.Recipient(), sr})
	require.NoError(t, err)
	st, err := ReadHeader(bytes.NewReader(sealed.Bytes()))
	require.NoError(t, err)
	require.Len(t, st, 2)
	require.Equal(t, "X25519", st[0].Type)
	require.Equal(t, "ssh-ed25519", st[1].Type)
	require.Len(t, st[1].Args, 2)

	sealed.Reset()
	_, err = Seal(context.Background(), &sealed, strings.NewReader("evidence"), []age.Recipient{pq.Recipient()})
	require.NoError(t, err)
	st, err = ReadHeader(&sealed)
	require.NoError(t, err)
	require.Equal(t, []string{"mlkem768x25519"}, []string{st[0].Type})

	for name, in := range map[string]string{
		"empty":      "",
		"not age":    "hello\n",
		"armored":    "-----BEGIN AGE ENCRYPTED FILE-----\n",
		"no stanzas": "age-encryption.org/v1\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"truncated":  "age-encryption.org/v1\n-> X25519 abc\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadHeader(strings.NewReader(in))
			require.ErrorIs(t, err, ErrCorrupt)
		})
	}
}

// FuzzReadHeader: any input yields stanzas or an error, never a panic; every stanza
// has a type.
func FuzzReadHeader(f *testing.F) {
	x, err := age.GenerateX25519Identity()
	require.NoError(f, err)
	var sealed bytes.Buffer
	_, err = Seal(context.Background(), &sealed, strings.NewReader("evidence"), []age.Recipient{x.Recipient(), x.Recipient()})
	require.NoError(f, err)
	f.Add(sealed.Bytes())
	f.Add([]byte("age-encryption.org/v1\n-> X25519 abc\n\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"))
	f.Add([]byte("age-encryption.org/v1\n-> a b c\n-> d\n\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		st, err := ReadHeader(bytes.NewReader(in))
		if err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
			return
		}
		require.NotEmpty(t, st)
		for _, s := range st {
			require.NotEmpty(t, s.Type)
		}
	})
}
