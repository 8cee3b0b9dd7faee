package seal_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"filippo.io/age"

	"github.com/evidctl/evidctl/crypto/seal"
)

func ExampleVerify() {
	ctx := context.Background()
	id, _ := seal.GenerateX25519()
	var payload bytes.Buffer
	image := bytes.Repeat([]byte("disk image "), 20000) // 220,000 bytes: 4 chunks
	recorded, _ := seal.Seal(ctx, &payload, bytes.NewReader(image), []age.Recipient{id.Recipient()})

	res, err := seal.Verify(ctx, bytes.NewReader(payload.Bytes()), []age.Identity{id},
		seal.WithExpectedCiphertext(recorded.Ciphertext), seal.WithExpectedPlaintext(recorded.Plaintext))
	fmt.Println("intact:", err, res.PlaintextSize)

	// One byte altered in storage, in the second chunk (chunks count from 0).
	altered := bytes.Clone(payload.Bytes())
	altered[len(altered)-100000] ^= 1
	res, err = seal.Verify(ctx, bytes.NewReader(altered), []age.Identity{id},
		seal.WithExpectedCiphertext(recorded.Ciphertext), seal.WithExpectedPlaintext(recorded.Plaintext))
	var ce *seal.CorruptError
	if errors.As(err, &ce) {
		fmt.Println("altered:", errors.Is(err, seal.ErrAltered), "in chunk", ce.Chunk)
	}
	// The digest of what was read is known all the same, for the report.
	fmt.Println("ciphertext digest still known:", !res.Ciphertext.IsZero(), !res.Ciphertext.Equal(recorded.Ciphertext))
	// Output:
	// intact: <nil> 220000
	// altered: true in chunk 1
	// ciphertext digest still known: true true
}
