// Command sealbench runs one crypto/seal operation on a file, for
// bench/seal.sh and bench/all.sh to time against the stock age CLI, and
// for profiling at sizes a Go benchmark cannot hold in memory:
//
//	sealbench seal   -r RECIPIENT -o OUT.age [-digests sha512,md5] [-sync] FILE
//	sealbench verify -i IDENTITY [-digests sha512,md5] FILE.age
//	sealbench open   -i IDENTITY -o OUT [-digests sha512,md5] FILE.age
//
// Every subcommand takes -cpuprofile FILE (a pprof CPU profile of the run).
//
// seal writes OUT.age directly, like "age -o" (no temporary file); with
// -sync it writes it as evidctl acquire does, through internal/atomicfile
// (temporary file, writeback started as it goes, fsync, rename): the
// durable write to compare with "age … && sync OUT.age". verify is
// [seal.Verify]: one pass, no plaintext written. open is [seal.OpenFile]:
// the plaintext goes to a temporary file renamed to OUT once every chunk
// authenticated (fsynced, as OpenFile always does). Each prints the digests
// and sizes on stdout.
//
// For compatibility, "sealbench -r R -o OUT FILE" is "sealbench seal …".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/evidctl/evidctl/crypto/digest"
	"github.com/evidctl/evidctl/crypto/seal"
	"github.com/evidctl/evidctl/internal/atomicfile"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  sealbench seal   -r RECIPIENT -o OUT.age [-digests LIST] [-sync] [-cpuprofile F] FILE
  sealbench verify -i IDENTITY [-digests LIST] [-cpuprofile F] FILE.age
  sealbench open   -i IDENTITY -o OUT [-digests LIST] [-cpuprofile F] FILE.age`

type options struct {
	recipient, identity, out, digests, cpuprofile string
	sync                                          bool
}

func run(args []string, stdout, stderr io.Writer) int {
	op := "seal"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		op, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("sealbench "+op, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.recipient, "r", "", "recipient (age1…, age1pq1…, ssh-…) or recipients file (seal)")
	fs.StringVar(&o.identity, "i", "", "identity file (verify, open)")
	fs.StringVar(&o.out, "o", "", "output file (seal, open)")
	fs.StringVar(&o.digests, "digests", "", "extra plaintext digests, e.g. sha512,md5")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile to this file")
	fs.BoolVar(&o.sync, "sync", false, "write the output durably, as evidctl acquire does (seal)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := o.check(op, fs.NArg()); err != nil {
		fmt.Fprintf(stderr, "sealbench: %v\n%s\n", err, usage)
		return 2
	}
	if err := o.profiled(func() error { return o.do(context.Background(), op, fs.Arg(0), stdout) }); err != nil {
		fmt.Fprintln(stderr, "sealbench: error:", err)
		return 1
	}
	return 0
}

func (o *options) check(op string, nargs int) error {
	switch {
	case nargs != 1:
		return errors.New("want one FILE")
	case op == "seal" && (o.recipient == "" || o.out == ""):
		return errors.New("seal needs -r and -o")
	case op == "verify" && o.identity == "":
		return errors.New("verify needs -i")
	case op == "open" && (o.identity == "" || o.out == ""):
		return errors.New("open needs -i and -o")
	case op != "seal" && op != "verify" && op != "open":
		return fmt.Errorf("unknown operation %q", op)
	}
	return nil
}

func (o *options) profiled(f func() error) error {
	if o.cpuprofile == "" {
		return f()
	}
	pf, err := os.Create(o.cpuprofile)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(pf); err != nil {
		return err
	}
	err = f()
	pprof.StopCPUProfile()
	return errors.Join(err, pf.Close())
}

func (o *options) do(ctx context.Context, op, in string, stdout io.Writer) error {
	extra, err := digest.ParseAlgorithms(o.digests)
	if err != nil {
		return err
	}
	src, err := os.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	var res seal.Result
	switch op {
	case "seal":
		res, err = o.seal(ctx, src, extra)
	default:
		ids, rerr := seal.ReadIdentities(o.identity)
		if rerr != nil {
			return rerr
		}
		if op == "verify" {
			res, err = seal.Verify(ctx, src, ids, seal.WithDigests(extra...))
		} else {
			res, err = seal.OpenFile(ctx, o.out, src, ids, seal.WithDigests(extra...))
		}
	}
	if err != nil {
		return err
	}
	for _, d := range res.Plaintext {
		fmt.Fprintf(stdout, "plaintext  %s\n", d)
	}
	fmt.Fprintf(stdout, "ciphertext %s\n", res.Ciphertext)
	fmt.Fprintf(stdout, "sizes      %d plaintext, %d sealed bytes\n", res.PlaintextSize, res.CiphertextSize)
	return nil
}

// seal writes the output directly, like "age -o", so that both are timed
// doing the same I/O, or durably as acquire does (-sync); it leaves nothing
// on failure.
func (o *options) seal(ctx context.Context, src io.Reader, extra []digest.Algorithm) (seal.Result, error) {
	rs, err := seal.ReadRecipients(o.recipient)
	if err != nil {
		return seal.Result{}, err
	}
	var res seal.Result
	fill := func(w io.Writer) (err error) {
		res, err = seal.Seal(ctx, w, src, rs, seal.WithDigests(extra...))
		return err
	}
	if o.sync {
		err := atomicfile.Write(o.out, 0o644, fill)
		return res, err
	}
	dst, err := os.Create(o.out)
	if err != nil {
		return seal.Result{}, err
	}
	err = fill(dst)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(o.out)
	}
	return res, err
}
