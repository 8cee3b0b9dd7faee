package seal_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/crypto/seal"
)

func ExampleSeal() {
	ctx := context.Background()
	id, _ := seal.GenerateX25519()
	recipient, _ := seal.ParseRecipient(id.Recipient().String())

	var payload bytes.Buffer // in practice, an os.File named NAME.age
	res, err := seal.Seal(ctx, &payload, strings.NewReader("disk image bytes"),
		[]age.Recipient{recipient}, seal.WithDigests(digest.MD5))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Plaintext.SHA256())
	fmt.Println(res.Plaintext.Map()["md5"])
	fmt.Println(res.PlaintextSize, "bytes sealed")
	// res.Ciphertext is the sha256 of the payload: random, recorded in the custody event.

	var out bytes.Buffer
	_, err = seal.Open(ctx, &out, &payload, []age.Identity{id},
		seal.WithExpectedPlaintext(res.Plaintext), seal.WithExpectedCiphertext(res.Ciphertext))
	fmt.Println(out.String(), err)
	// Output:
	// sha256:5f333e97f50fa03cfe35902ad05d1acae17c2f0cd2b134d67173728d7a2395d6
	// af7afe547c7b6a69a47f2213bed878c2
	// 16 bytes sealed
	// disk image bytes <nil>
}

func ExampleOpenFile() {
	ctx := context.Background()
	id, _ := seal.GenerateX25519()
	var payload bytes.Buffer
	res, _ := seal.Seal(ctx, &payload, strings.NewReader("evidence"), []age.Recipient{id.Recipient()})

	dir, _ := os.MkdirTemp("", "openfile")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "evidence.bin")

	// A payload altered in transit: the last byte is flipped.
	tampered := bytes.Clone(payload.Bytes())
	tampered[len(tampered)-1] ^= 1
	_, err := seal.OpenFile(ctx, path, bytes.NewReader(tampered), []age.Identity{id},
		seal.WithExpectedCiphertext(res.Ciphertext))
	_, statErr := os.Stat(path)
	fmt.Println(errors.Is(err, seal.ErrCorrupt), os.IsNotExist(statErr))

	// The genuine payload.
	_, err = seal.OpenFile(ctx, path, bytes.NewReader(payload.Bytes()), []age.Identity{id},
		seal.WithExpectedCiphertext(res.Ciphertext), seal.WithExpectedPlaintext(res.Plaintext))
	b, _ := os.ReadFile(path)
	fmt.Println(err, string(b))
	// Output:
	// true true
	// <nil> evidence
}

func ExampleParseRecipient() {
	_, err := seal.ParseRecipient("AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQS3290GG")
	fmt.Println(err)
	r, err := seal.ParseRecipient("age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p")
	fmt.Printf("%T %v\n", r, err)
	// Output:
	// this is a secret key (an identity), not a recipient: share its public key instead
	// *age.X25519Recipient <nil>
}

func ExampleFormatIdentity() {
	id, _ := seal.GenerateHybrid()
	text, _ := seal.FormatIdentity(id, time.Time{})
	// Write text with mode 0600; share the recipient.
	pub, _ := seal.RecipientOf(id)
	fmt.Println(strings.HasPrefix(string(text), "# public key: "+pub+"\nAGE-SECRET-KEY-PQ-1"))
	// Output:
	// true
}

func ExampleCiphertextDigest() {
	id, _ := seal.GenerateX25519()
	var payload bytes.Buffer
	res, _ := seal.Seal(context.Background(), &payload, strings.NewReader("x"), []age.Recipient{id.Recipient()})

	// Anyone can check a payload against its recorded digest, without keys.
	d, size, err := seal.CiphertextDigest(&payload)
	fmt.Println(d.Equal(res.Ciphertext), size == res.CiphertextSize, err)
	// Output:
	// true true <nil>
}
