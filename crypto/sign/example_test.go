package sign_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/evidctl/evidctl/crypto/sign"
)

// The whole round: make a key file, open it, sign a statement, check it.
func Example() {
	ctx := context.Background()
	pass := func(bool) ([]byte, error) { return []byte("example password"), nil }

	kp, err := sign.GenerateKeyPair(sign.ECDSAP256, []byte("example password"))
	if err != nil {
		panic(err)
	}
	signer, err := sign.LoadSigner(kp.PrivatePEM, pass)
	if err != nil {
		panic(err)
	}
	env, err := sign.SignEnvelope(ctx, "application/vnd.in-toto+json", []byte(`{"_type":"https://in-toto.io/Statement/v1"}`), signer)
	if err != nil {
		panic(err)
	}
	wire, err := json.Marshal(env)
	if err != nil {
		panic(err)
	}

	// Later, elsewhere: only the envelope and the public key are needed.
	received, err := sign.ParseEnvelope(wire)
	if err != nil {
		panic(err)
	}
	verifier, err := sign.LoadVerifier(kp.PublicPEM)
	if err != nil {
		panic(err)
	}
	ids, err := received.Verify(ctx, 1, verifier)
	if err != nil {
		panic(err)
	}
	fmt.Println(ids[0] == kp.KeyID)

	// A wrong password is told apart from a corrupt file.
	_, err = sign.LoadSigner(kp.PrivatePEM, func(bool) ([]byte, error) { return []byte("guess"), nil })
	fmt.Println(errors.Is(err, sign.ErrWrongPassword))
	// Output:
	// true
	// true
}

func ExamplePAE() {
	fmt.Printf("%q\n", sign.PAE("http://example.com/HelloWorld", []byte("hello world")))
	// Output:
	// "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
}

func ExampleEnvelope_Commitment() {
	env := &sign.Envelope{PayloadType: "http://example.com/HelloWorld", Payload: []byte("hello world")}
	c := env.Commitment()
	fmt.Println(hex.EncodeToString(c[:]))
	// Output:
	// 217751fac2c4f14edb2c9297fbc34abcb016ba88e74757e875ec4ac16fb6b6a1
}

func ExampleKeyID() {
	// A fixed Ed25519 key (RFC 8032 section 7.1, test 1). The id is
	// sha256(302a300506032b6570032100 || public key), checked with sha256sum.
	seed, _ := hex.DecodeString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	pub := ed25519.NewKeyFromSeed(seed).Public()
	id, err := sign.KeyID(pub)
	if err != nil {
		panic(err)
	}
	fmt.Println(id)
	// Output:
	// 06e3fd8fda29bb60ab59557de61edb0aecdb231134be30e75b455f8e1b792fa9
}

func ExampleParseEnvelope() {
	_, err := sign.ParseEnvelope([]byte(`{"payloadType":"text/plain","payload":"aGk=","signatures":[{"sig":"AA=="}],"note":"x"}`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, sign.ErrMalformedEnvelope))
	// Output:
	// malformed DSSE envelope: unknown field "note"
	// true
}

// Two of three trusted keys must sign.
func ExampleEnvelope_Verify() {
	ctx := context.Background()
	var signers []*sign.Signer
	var verifiers []*sign.Verifier
	for _, seedByte := range []byte{1, 2, 3} {
		seed := make([]byte, ed25519.SeedSize)
		seed[0] = seedByte
		s, err := sign.NewSigner(ed25519.NewKeyFromSeed(seed))
		if err != nil {
			panic(err)
		}
		signers = append(signers, s)
		verifiers = append(verifiers, s.Verifier())
	}
	env, err := sign.SignEnvelope(ctx, "text/plain", []byte("hand-off accepted"), signers[0])
	if err != nil {
		panic(err)
	}
	_, err = env.Verify(ctx, 2, verifiers...)
	var te *sign.ThresholdError
	fmt.Println(errors.As(err, &te), len(te.Accepted))

	if err := env.AddSignature(ctx, signers[2]); err != nil {
		panic(err)
	}
	ids, err := env.Verify(ctx, 2, verifiers...)
	fmt.Println(len(ids), err)
	// Output:
	// true 1
	// 2 <nil>
}
