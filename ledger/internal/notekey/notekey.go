// Package notekey keeps a log's C2SP signed-note key: an Ed25519 key generated with
// golang.org/x/mod/sumdb/note, stored in a file of its own with mode 0600 and never
// replaced. The embedded log (posixlog) and the Trillian personality (trillianlog) both
// sign checkpoints with it.
package notekey

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/internal/atomicfile"
	"github.com/evidctl/evidctl/internal/smallfile"
)

// keyFilePerm is the mode of a new key file: Read refuses a key file others may read.
const keyFilePerm = 0o600

// WriteNew generates an Ed25519 note key named origin and writes the signer key to
// path, which must not exist, with mode 0600. It returns the verifier key.
func WriteNew(path, origin string) (string, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return "", fmt.Errorf("generating note key for origin %q: %v", origin, err)
	}
	if _, err := os.Lstat(path); err == nil {
		return "", fmt.Errorf("writing key file: %s: %w", path, fs.ErrExist)
	}
	f, err := atomicfile.Create(path, keyFilePerm)
	if err != nil {
		return "", fmt.Errorf("writing key file: %w", err)
	}
	defer f.Abort()
	if _, err := io.WriteString(f, skey+"\n"); err != nil {
		return "", fmt.Errorf("writing key file: %w", err)
	}
	// CommitNew, unlike Commit, never replaces a key.
	if err := f.CommitNew(); err != nil {
		return "", fmt.Errorf("writing key file: %w", err)
	}
	return vkey, nil
}

// Read loads the signer key from path, refusing a file that others may read.
// It returns the signer and the matching verifier key.
func Read(path string) (note.Signer, string, error) {
	skey, err := ReadSecret(path, "key file")
	if err != nil {
		return nil, "", err
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		// The error from note never includes the key.
		return nil, "", fmt.Errorf("key file %s: not a note signer key: %v", path, err)
	}
	vkey, err := VerifierKey(skey)
	if err != nil {
		return nil, "", fmt.Errorf("key file %s: %w", path, err)
	}
	return s, vkey, nil
}

// maxSecretFile bounds a note signer key file: one line of about a hundred bytes.
const maxSecretFile = 64 << 10

// ReadSecret reads the signer key text in the file at path (following a symbolic link),
// without its final newline, refusing a file that others may read. what names the file
// in errors ("key file", "witness key"); no error quotes the file's content.
func ReadSecret(path, what string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", what, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s %s has mode %04o; it must be readable by its owner only (chmod 600): %w", what, path, fi.Mode().Perm(), fs.ErrPermission)
	}
	b, err := smallfile.Read(path, maxSecretFile)
	if err != nil {
		return "", fmt.Errorf("reading %s %s: %w", what, path, err)
	}
	return strings.TrimSuffix(string(b), "\n"), nil
}

// VerifierKey derives the verifier key from an Ed25519 note signer key,
// "PRIVATE+KEY+name+hash+base64(0x01 || seed)".
func VerifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", errors.New("not an Ed25519 note signer key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("not an Ed25519 note signer key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}
