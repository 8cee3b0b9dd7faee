package tsa_test

import (
	"crypto/rand"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger/tsa"
)

// The imprint a token over a checkpoint carries is SHA-256 of the checkpoint body, the
// note text above the blank line: `printf 'example.org/log\n5\n...\n' | sha256sum`
// computes it too. Cosignatures added later do not change it.
func ExampleImprint() {
	skey, _, _ := note.GenerateKey(rand.Reader, "example.org/log") // any key: signatures are not covered
	signer, _ := note.NewSigner(skey)
	body := "example.org/log\n5\nQ7VHv9s2dC6SVKK4OQm2L5ZVpFXHyR2SWd9kb8Sqi2Y=\n"
	checkpoint, _ := note.Sign(&note.Note{Text: body}, signer)

	imprint, err := tsa.Imprint(checkpoint)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%x\n", imprint)
	// Output:
	// 9696a56c06be43a3d586d863b68d68d629bf4bf8f3dc7f0db2ebbfebca0de40f
}

// Verifying the token a TSA (here `openssl ts -reply`) issued over a checkpoint.
func ExampleVerifier_Verify() {
	checkpoint, _ := os.ReadFile("testdata/openssl/checkpoint.txt")
	token, _ := os.ReadFile("testdata/openssl/token.der")
	roots, _ := os.ReadFile("testdata/openssl/roots.pem")

	authority, err := tsa.ParseAuthority("Example TSA", roots, nil)
	if err != nil {
		panic(err)
	}
	v, err := tsa.NewVerifier(authority)
	if err != nil {
		panic(err)
	}
	ts, err := v.Verify(token, checkpoint)
	if err != nil {
		panic(err)
	}
	fmt.Println(ts.Authority, "±", ts.Accuracy)
	// Output:
	// Example TSA ± 1.5s
}
