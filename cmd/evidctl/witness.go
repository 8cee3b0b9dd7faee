package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"unicode"

	"github.com/spf13/cobra"
	fnote "github.com/transparency-dev/formats/note"

	"github.com/evidctl/evidctl/internal/smallfile"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/witness"
)

// 'evidctl witness': run a witness (ledger/witness, built on transparency-dev/witness)
// that cosigns other parties' log checkpoints; and reading witness policy files, which
// init, serve and trust add-log share.

func (a *app) witnessCommand() *cobra.Command {
	cmd := command(&cobra.Command{
		Use:   "witness",
		Short: "run a witness that cosigns other parties' log checkpoints (C2SP tlog-witness)",
		Long: `A witness is an independent party (another state's central authority, a court, a
Union body) that cosigns a log's checkpoints, each only if it is consistent with every
checkpoint of that log it cosigned before. A court that requires the cosignatures of
witnesses it trusts need not trust the log's operator: a log that shows two histories
cannot get both cosigned.

  evidctl witness init --dir DIR --name NAME               once: its key; prints its verifier key
  evidctl witness add-log --dir DIR --origin O --key VKEY  for each log it witnesses
  evidctl witness serve --dir DIR --listen HOST:PORT       serves POST /add-checkpoint

The logs' operators and the verifiers put the printed verifier key on a line
"witness NAME VKEY URL" of their witness policy ('evidctl init --witness-policy',
'evidctl trust add-log --witness-policy').`,
		Args: noArgs,
	}, noFlags{}, func(context.Context, []string) error {
		return usageErr("witness needs a subcommand: init, add-log or serve", "run 'evidctl witness --help'")
	})
	cmd.AddCommand(a.witnessInitCommand(), a.witnessAddLogCommand(), a.witnessServeCommand())
	return cmd
}

// witnessDirFlag is the --dir every witness subcommand needs.
type witnessDirFlag struct{ dir string }

func (f *witnessDirFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.dir, "dir", "", "the witness's directory (its key and its state)")
}

func (f *witnessDirFlag) validate() error {
	if f.dir == "" {
		return usageErr("--dir DIR is required", "the witness's directory holds its key and its state; create it with 'evidctl witness init --dir DIR'")
	}
	return nil
}

type witnessInitFlags struct {
	witnessDirFlag
	name string
}

func (f *witnessInitFlags) register(cmd *cobra.Command) {
	f.witnessDirFlag.register(cmd)
	cmd.Flags().StringVar(&f.name, "name", "", `the witness's name on its cosignatures, a schema-less URL such as witness.court.example/1 (default "witness.local/" + hostname + "-" + 8 random hex)`)
}

func (f *witnessInitFlags) validate([]string) error {
	if err := f.witnessDirFlag.validate(); err != nil {
		return err
	}
	if f.name != "" && strings.IndexFunc(f.name, func(r rune) bool { return r == '+' || unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return usageErr(fmt.Sprintf("--name %q: a witness name may not contain spaces, '+' or control characters", f.name),
			"use a schema-less URL such as witness.court.example/1")
	}
	return nil
}

func (a *app) witnessInitCommand() *cobra.Command {
	f := &witnessInitFlags{}
	return command(&cobra.Command{
		Use:   "init --dir DIR [--name NAME]",
		Short: "create a witness: its signing key and its state",
		Long: `init creates a witness in DIR (made with mode 0700 if missing): an Ed25519 note signing
key in DIR/witness.key, written in PLAIN text with mode 0600 (whoever reads it can
cosign as this witness: keep the directory private, and back it up), and the SQLite
state in DIR/witness.db. It refuses a DIR that already holds a witness key.

The last line it prints is the witness's verifier key (a C2SP signed-note vkey of type
0x04, cosignature/v1), alone on its line, for "witness NAME VKEY URL" lines of witness
policies: 'evidctl witness init ... | tail -1'.`,
		Args: noArgs,
	}, f, func(context.Context, []string) error {
		name := f.name
		if name == "" {
			name = localName("witness.local/")
		}
		vkey, err := witness.Init(f.dir, name)
		switch {
		case errors.Is(err, fs.ErrExist):
			return failErr(err, "a witness directory holds one witness: use it, or choose another --dir")
		case err != nil:
			return failErr(err)
		}
		fmt.Fprintf(a.stdout, "initialised witness %s in %s\n", name, f.dir)
		fmt.Fprintf(a.stdout, "signing key: %s (plain text, mode 0600: keep the directory private)\n", filepath.Join(f.dir, witness.KeyFile))
		fmt.Fprintf(a.stdout, "accept a log with: evidctl witness add-log --dir %s --origin ORIGIN --key LOG_VKEY\n", f.dir)
		fmt.Fprintf(a.stdout, "verifier key (for the line \"witness NAME VKEY URL\" of witness policies):\n%s\n", vkey)
		return nil
	})
}

type witnessAddLogFlags struct {
	witnessDirFlag
	origin, key string
}

func (f *witnessAddLogFlags) register(cmd *cobra.Command) {
	f.witnessDirFlag.register(cmd)
	cmd.Flags().StringVar(&f.origin, "origin", "", "the log's origin, the first line of its checkpoints (default: the key's name)")
	cmd.Flags().StringVar(&f.key, "key", "", "the log's note verifier key, or a file holding it (e.g. HOME/log.pub)")
}

func (f *witnessAddLogFlags) validate([]string) error {
	if err := f.witnessDirFlag.validate(); err != nil {
		return err
	}
	if f.key == "" {
		return usageErr("--key is required: the log's note verifier key (origin+hash+base64), or a file holding it",
			"'evidctl init' prints it; a home keeps it in HOME/log.pub")
	}
	if strings.HasPrefix(f.key, "PRIVATE+KEY+") {
		return usageErr("--key is a private signer key: give the log's verifier key, and keep the private key secret")
	}
	return nil
}

func (a *app) witnessAddLogCommand() *cobra.Command {
	f := &witnessAddLogFlags{}
	return command(&cobra.Command{
		Use:   "add-log --dir DIR [--origin ORIGIN] --key VKEY|FILE",
		Short: "have the witness accept a log's checkpoints",
		Long: `add-log records that the witness in DIR cosigns checkpoints of the log with origin
ORIGIN signed by the key VKEY (the log's C2SP note verifier key, or a file holding it,
such as an evidctl home's log.pub). A running 'witness serve' sees it at its next
request. Adding a log again with the same key does nothing; with another key it is
refused: a witness never changes a log's key, which would let the new key's holder
sign a fork.`,
		Args: noArgs,
	}, f, func(context.Context, []string) error {
		key, err := verifierKeyArg(f.key)
		if err != nil {
			return err
		}
		origin := f.origin
		if origin == "" {
			origin = originOf(key)
		}
		err = witness.AddLog(f.dir, origin, key)
		switch {
		case errors.Is(err, witness.ErrLogKeyConflict):
			return failErr(err, "a witness never changes a log's key; if the log truly has a new key, it is a new log: give it a new origin")
		case err != nil:
			return failErr(err)
		}
		fmt.Fprintf(a.stdout, "witness in %s accepts log %s (key %s)\n", f.dir, origin, key)
		return nil
	})
}

// verifierKeyArg reads a --key that is a note verifier key or a file holding one.
func verifierKeyArg(arg string) (string, error) {
	if _, err := fnote.NewVerifier(arg); err == nil {
		return arg, nil
	}
	b, err := smallfile.Read(arg, noteKeyLimit)
	if err != nil {
		return "", fileErr("log verifier key", arg, err)
	}
	key := strings.TrimSpace(string(b))
	switch {
	case key == "":
		return "", failErr(fmt.Errorf("log verifier key file %s is empty", arg))
	case strings.HasPrefix(key, "PRIVATE+KEY+"):
		return "", failErr(fmt.Errorf("%s holds a private signer key", arg), "give the log's verifier key (HOME/log.pub, KEY.pub), and keep the private key secret")
	case strings.ContainsAny(key, "\n"):
		return "", failErr(fmt.Errorf("%s holds more than one line", arg), "give a file holding only the log's verifier key")
	}
	return key, nil
}

type witnessServeFlags struct {
	witnessDirFlag
	listen, listenFile string
}

func (f *witnessServeFlags) register(cmd *cobra.Command) {
	f.witnessDirFlag.register(cmd)
	cmd.Flags().StringVar(&f.listen, "listen", "127.0.0.1:7380", "address to listen on, HOST:PORT (port 0 picks a free port)")
	cmd.Flags().StringVar(&f.listenFile, "listen-file", "", "write the address actually listened on to this file (removed on exit)")
}

func (f *witnessServeFlags) validate([]string) error {
	if err := f.witnessDirFlag.validate(); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(f.listen); err != nil {
		return usageErr(fmt.Sprintf("--listen %q: %v", f.listen, err), "give HOST:PORT, e.g. 127.0.0.1:7380")
	}
	return nil
}

func (a *app) witnessServeCommand() *cobra.Command {
	f := &witnessServeFlags{}
	return command(&cobra.Command{
		Use:   "serve --dir DIR [--listen HOST:PORT] [--listen-file FILE]",
		Short: "serve the witness: POST /add-checkpoint (C2SP tlog-witness)",
		Long: `serve runs the witness in DIR until SIGINT or SIGTERM, then stops cleanly. It answers
POST /add-checkpoint as C2SP tlog-witness says: 200 with its cosignature; 404 for a log
it does not accept; 403 when the log's key did not sign the checkpoint; 409 with its
latest size for a stale request, or for another root at a size it cosigned (a fork);
422 when the consistency proof does not verify. Its state is durable: after a crash it
restarts from what it last cosigned, and never cosigns a fork. Refusals are logged to
stderr.`,
		Args: noArgs,
	}, f, func(ctx context.Context, _ []string) error {
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		return a.serveWitness(ctx, f)
	})
}

func (a *app) serveWitness(ctx context.Context, f *witnessServeFlags) (err error) {
	s, err := witness.Open(ctx, f.dir, witness.WithLogger(slog.New(slog.NewTextHandler(a.stderr, nil))))
	if err != nil {
		return failErr(err, "create the witness first: evidctl witness init --dir "+f.dir)
	}
	defer func() {
		if cerr := s.Close(); err == nil && cerr != nil {
			err = failErr(cerr)
		}
	}()
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return failErr(fmt.Errorf("witness server: %w", err))
	}
	if f.listenFile != "" {
		if err := writeListenFile(f.listenFile, ln.Addr()); err != nil {
			_ = ln.Close()
			return failErr(err)
		}
		defer os.Remove(f.listenFile)
	}
	logs, _ := witness.Logs(f.dir)
	fmt.Fprintf(a.stdout, "witness %s serving on http://%s (%d logs accepted)\n", originOf(s.VerifierKey()), ln.Addr(), len(logs))
	if err := s.Serve(ctx, ln); err != nil {
		return failErr(err)
	}
	fmt.Fprintln(a.stdout, "witness stopped")
	return nil
}

// witnessPolicyFile is a witness policy file, read and parsed.
type witnessPolicyFile struct {
	path   string
	text   []byte
	policy *ledger.WitnessPolicy
}

// readWitnessPolicy reads and parses the witness policy file path; forLog adds what a
// log needs beyond a verifier: a URL for every witness, and a quorum that asks for at
// least one cosignature.
func readWitnessPolicy(path string, forLog bool) (*witnessPolicyFile, error) {
	text, err := smallfile.Read(path, ledger.MaxWitnessPolicySize)
	if err != nil {
		return nil, fileErr("witness policy", path, err)
	}
	hint := `one item per line: "witness NAME VKEY URL", "group NAME k|any|all MEMBER...", "quorum NAME"`
	p, err := ledger.ParseWitnessPolicy(text)
	if err != nil {
		return nil, failErr(fmt.Errorf("%s: %w", path, err), hint)
	}
	names := make([]string, 0, len(p.Witnesses()))
	for _, w := range p.Witnesses() {
		names = append(names, w.Name)
	}
	switch {
	case !p.Satisfied(names...):
		return nil, failErr(fmt.Errorf("%s: the quorum (%s) cannot be met even by all its witnesses", path, p.QuorumString()), hint)
	case !forLog:
	case !p.RequiresCosignature():
		return nil, failErr(fmt.Errorf("%s: the quorum is none: it asks for no cosignature", path),
			"name the witness or group whose cosignatures a checkpoint needs on the quorum line, or give no witness policy")
	default:
		if err := p.CheckLogUse(); err != nil {
			return nil, failErr(fmt.Errorf("%s: %w", path, err), "a log sends its checkpoints to each witness at the URL on its line")
		}
	}
	return &witnessPolicyFile{path: path, text: text, policy: p}, nil
}

// describe says what the policy asks for, in one line.
func (w *witnessPolicyFile) describe() string {
	return fmt.Sprintf("%d witnesses, quorum %s", len(w.policy.Witnesses()), w.policy.QuorumString())
}
