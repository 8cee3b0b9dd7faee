// Command sealbench seals one file with crypto/seal, for bench/seal.sh to
// time against the stock age CLI:
//
//	sealbench -r RECIPIENT -o OUT.age [-digests sha512,md5] FILE
//
// Like "age -o", it writes OUT.age directly (no temporary file, no fsync),
// so that both tools are timed doing the same I/O. It prints the plaintext
// and ciphertext digests and sizes on stdout.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/crypto/seal"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sealbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	recipient := fs.String("r", "", "recipient (age1…, age1pq1…, ssh-…) or recipients file")
	out := fs.String("o", "", "output age file")
	digests := fs.String("digests", "", "extra plaintext digests, e.g. sha512,md5")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *recipient == "" || *out == "" || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: sealbench -r RECIPIENT -o OUT.age [-digests LIST] FILE")
		return 2
	}
	if err := sealFile(context.Background(), fs.Arg(0), *out, *recipient, *digests, stdout); err != nil {
		fmt.Fprintln(stderr, "sealbench: error:", err)
		return 1
	}
	return 0
}

func sealFile(ctx context.Context, in, out, recipient, digests string, stdout io.Writer) error {
	rs, err := seal.ReadRecipients(recipient)
	if err != nil {
		return err
	}
	extra, err := digest.ParseAlgorithms(digests)
	if err != nil {
		return err
	}
	src, err := os.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	// Like "age -o", write the output directly, without fsync, so the two
	// are timed doing the same I/O; remove it on failure.
	dst, err := os.Create(out)
	if err != nil {
		return err
	}
	res, err := seal.Seal(ctx, dst, src, rs, seal.WithDigests(extra...))
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out)
		return err
	}
	for _, d := range res.Plaintext {
		fmt.Fprintf(stdout, "plaintext  %s\n", d)
	}
	fmt.Fprintf(stdout, "ciphertext %s\n", res.Ciphertext)
	fmt.Fprintf(stdout, "sizes      %d -> %d bytes\n", res.PlaintextSize, res.CiphertextSize)
	return nil
}
