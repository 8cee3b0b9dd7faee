package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httplog"
	"github.com/evidctl/evidctl/ledger/ledgerurl"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/trillianlog"
)

// A home ($EVIDCTL_HOME, default ~/.evidctl) holds the embedded log in ledgerurl's
// layout: HOME/log (the tlog-tiles directory, publishable as is), HOME/log.key (the
// note signing key, 0600, outside the tile directory), HOME/log.pub (the note
// verifier key, for trust policies) and, when it has witnesses, HOME/witness-policy
// (the witness policy every append through the home uses).

// homeFlags are the flags that say where the home and the ledger are.
type homeFlags struct {
	home          string
	ledger        string
	ledgerKey     string
	ledgerTrust   string        // trust policy naming an http(s) ledger's log
	ledgerTimeout time.Duration // bound on one request to an http(s) ledger
	witnessPolicy string
	tsa           string // serve --tsa: the TSA that stamps the ledger's checkpoints
}

// homeTrustFile is the home's trust policy: the default --ledger-trust of an http(s)
// ledger, so that a custodian verifies every checkpoint the server hands back.
const homeTrustFile = "trust.json"

func (h *homeFlags) register(cmd *cobra.Command, withLedger bool) {
	cmd.Flags().StringVar(&h.home, "home", "", "evidctl home directory (default $EVIDCTL_HOME, else ~/.evidctl)")
	if withLedger {
		cmd.Flags().StringVar(&h.ledger, "ledger", "", "ledger to append to: an evidctl home directory, http(s)://HOST[:PORT] of 'evidctl serve', or trillian://HOST:PORT/TREE_ID (default: the home's embedded log)")
		cmd.Flags().StringVar(&h.ledgerKey, "ledger-key", "", "note signing key of a trillian:// ledger's checkpoints")
		cmd.Flags().StringVar(&h.ledgerTrust, "ledger-trust", "", "trust policy naming an http(s) ledger's log, whose checkpoints are verified before anything is written (default: HOME/"+homeTrustFile+")")
		cmd.Flags().DurationVar(&h.ledgerTimeout, "ledger-timeout", time.Minute, "how long one request to an http(s) ledger may take, retries included")
		cmd.Flags().StringVar(&h.witnessPolicy, "witness-policy", "", "witness policy file of a trillian:// ledger: its checkpoints are cosigned by these witnesses before any receipt (a home's embedded log always uses the policy stored by 'evidctl init --witness-policy'; a server, its own)")
	}
}

// dir resolves the home directory.
func (h *homeFlags) dir() (string, error) {
	if h.home != "" {
		return h.home, nil
	}
	if env := os.Getenv("EVIDCTL_HOME"); env != "" {
		return env, nil
	}
	u, err := os.UserHomeDir()
	if err != nil {
		return "", usageErr("cannot find the evidctl home: "+err.Error(), "set $EVIDCTL_HOME or pass --home DIR")
	}
	return filepath.Join(u, ".evidctl"), nil
}

// ledgerSpec is the ledger to open, as ledgerurl names it (--ledger, else the home),
// and its kind, checked without any I/O.
func (h *homeFlags) ledgerSpec() (string, ledgerurl.Kind, error) {
	spec := h.ledger
	if spec == "" {
		dir, err := h.dir()
		if err != nil {
			return "", 0, err
		}
		spec = dir
	}
	kind, err := ledgerurl.Check(spec, h.ledgerOptions()...)
	switch {
	case errors.Is(err, ledgerurl.ErrNoKeyFile):
		return "", 0, usageErr(fmt.Sprintf("--ledger %s: a Trillian ledger needs --ledger-key", spec),
			"pass the note key file that signs this tree's checkpoints")
	case err != nil:
		return "", 0, usageErr(fmt.Sprintf("--ledger %s: %v", spec, err),
			"give an evidctl home directory, http(s)://HOST:PORT or trillian://HOST:PORT/TREE_ID")
	case h.witnessPolicy != "" && kind != ledgerurl.Trillian:
		return "", 0, usageErr("--witness-policy applies to a trillian:// ledger only",
			"a home's embedded log uses the witness policy 'evidctl init --witness-policy' stored in it; a ledger server obtains its own cosignatures")
	}
	return spec, kind, nil
}

// ledgerOptions pass --ledger-key on: it signs a Trillian tree's checkpoints, and is
// not used for a home (whose key is HOME/log.key) or a server (which signs its own).
func (h *homeFlags) ledgerOptions() []ledgerurl.Option {
	var opts []ledgerurl.Option
	if h.tsa != "" {
		opts = append(opts, ledgerurl.WithTSA(h.tsa))
	}
	if h.ledgerKey == "" || !strings.HasPrefix(strings.ToLower(h.ledger), trillianlog.Scheme+"://") {
		return opts
	}
	return append(opts, ledgerurl.WithKeyFile(h.ledgerKey))
}

// serverOptions are what an http(s) ledger needs beyond ledgerOptions: the trust policy
// its checkpoints are verified with (--ledger-trust, else HOME/trust.json), the latest
// checkpoint of each log the bundle holds (the server's must extend it), the request
// time limit, and progress reports on stderr once a request takes a while.
func (h *homeFlags) serverOptions(stderr io.Writer, known *custody.Bundle) ([]ledgerurl.Option, error) {
	path := h.ledgerTrust
	if path == "" {
		dir, err := h.dir()
		if err != nil {
			return nil, err
		}
		path = filepath.Join(dir, homeTrustFile)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return nil, usageErr(fmt.Sprintf("--ledger %s: no trust policy to verify the ledger server's checkpoints with", h.ledger),
				"pass --ledger-trust FILE, a trust policy naming the server's log ('evidctl trust add-log --trust FILE --origin O --key VKEY'), or keep it as "+path)
		}
	}
	pol, err := readPolicy(path)
	if err != nil {
		return nil, err
	}
	opts := []ledgerurl.Option{ledgerurl.WithTrust(pol.LedgerTrust()), ledgerurl.WithRetryTimeout(h.ledgerTimeout),
		ledgerurl.WithProgress(func(p httplog.Progress) { fmt.Fprintf(stderr, "evidctl: %s\n", p) })}
	for _, note := range latestCheckpoints(known) {
		opts = append(opts, ledgerurl.WithKnownCheckpoint(note))
	}
	return opts, nil
}

// latestCheckpoints is the newest checkpoint of each log among the bundle's receipts.
func latestCheckpoints(b *custody.Bundle) [][]byte {
	if b == nil {
		return nil
	}
	sizes := map[string]uint64{}
	notes := map[string][]byte{}
	for _, r := range b.Events {
		rc, err := r.Receipt()
		if err != nil {
			continue // the verifier reports it
		}
		h, err := ledger.ReadHeadUnverified(rc.Checkpoint)
		if err == nil && (notes[h.Origin] == nil || h.Size > sizes[h.Origin]) {
			sizes[h.Origin], notes[h.Origin] = h.Size, rc.Checkpoint
		}
	}
	return slices.Collect(maps.Values(notes))
}

// openLedger opens the ledger the flags name; known, when not nil, is the bundle about
// to be extended (an http(s) ledger's checkpoints must extend its). Close it when done.
func (h *homeFlags) openLedger(ctx context.Context, stderr io.Writer, known *custody.Bundle) (ledger.Ledger, error) {
	spec, kind, err := h.ledgerSpec()
	if err != nil {
		return nil, err
	}
	opts := h.ledgerOptions()
	if kind == ledgerurl.Server {
		more, err := h.serverOptions(stderr, known)
		if err != nil {
			return nil, err
		}
		opts = append(opts, more...)
	}
	if h.witnessPolicy != "" {
		wp, err := readWitnessPolicy(h.witnessPolicy, true)
		if err != nil {
			return nil, err
		}
		opts = append(opts, ledgerurl.WithWitnessPolicy(wp.text))
	}
	l, err := ledgerurl.Open(ctx, spec, opts...)
	switch {
	case errors.Is(err, ledgerurl.ErrNoEmbeddedLog):
		return nil, failErr(err, "run 'evidctl init' first, or pass --home/--ledger with an initialised home")
	case err != nil && kind != ledgerurl.Home:
		return nil, failErr(err, "check that the ledger server or Trillian is running and reachable")
	case err != nil:
		return nil, failErr(err)
	}
	return l, nil
}

// homeLog reads the origin and verifier key of a home's embedded log.
func homeLog(dir string) (origin, vkey string, err error) {
	path := filepath.Join(dir, ledgerurl.HomeLogVerifierKey)
	b, err := readInputFile("log verifier key of home", path, noteKeyLimit)
	if err != nil {
		return "", "", err
	}
	vkey = strings.TrimSpace(string(b))
	return originOf(vkey), vkey, nil
}

type initFlags struct {
	home                  homeFlags
	origin, trillian, key string
	witnessPolicy         string
	trillianAddr, treeID  string
	hasTree               bool
	tsa                   string
}

func (f *initFlags) register(cmd *cobra.Command) {
	f.home.register(cmd, false)
	cmd.Flags().StringVar(&f.origin, "origin", "", `log origin (default "evidctl.local/" + hostname + "-" + 8 random hex)`)
	cmd.Flags().StringVar(&f.trillian, "trillian", "", "set up a Trillian ledger at HOST:PORT (the log server), on tree TREE_ID or a new one")
	cmd.Flags().StringVar(&f.key, "ledger-key", "", "with --trillian: the note signing key file to create")
	cmd.Flags().StringVar(&f.witnessPolicy, "witness-policy", "", "witness policy file: every append to the home's log gets its checkpoint cosigned by these witnesses (stored in the home)")
	cmd.Flags().StringVar(&f.tsa, "tsa", "", "URL of an RFC 3161 time-stamping authority that stamps the log's checkpoints (kept in the home, or beside the --ledger-key)")
}

func (f *initFlags) validate([]string) error {
	if err := checkTSAURL(f.tsa); err != nil {
		return err
	}
	if f.origin != "" && strings.ContainsAny(f.origin, " +\n\t") {
		return usageErr(fmt.Sprintf("--origin %q: an origin may not contain spaces or '+'", f.origin),
			"use a schema-less URL such as evidence.example.org/lab-1")
	}
	if f.trillian == "" {
		_, err := f.home.dir()
		return err
	}
	if f.witnessPolicy != "" {
		return usageErr("--witness-policy with --trillian: a Trillian ledger's witness policy is given where it is opened",
			"pass it to 'evidctl serve --witness-policy FILE' (and to commands that append to the tree directly)")
	}
	if f.key == "" || f.origin == "" {
		return usageErr("--trillian needs --ledger-key FILE and --origin ORIGIN",
			"the key signs the tree's checkpoints; the origin names the log in them")
	}
	f.trillianAddr, f.treeID, f.hasTree = strings.Cut(strings.TrimPrefix(f.trillian, trillianlog.Scheme+"://"), "/")
	if _, _, err := net.SplitHostPort(f.trillianAddr); err != nil {
		return usageErr(fmt.Sprintf("--trillian %q: %v", f.trillian, err), "give the log server's HOST:PORT, optionally /TREE_ID")
	}
	if f.hasTree {
		if _, err := trillianlog.ParseURL(trillianlog.Scheme + "://" + f.trillianAddr + "/" + f.treeID); err != nil {
			return usageErr(err.Error())
		}
	}
	return nil
}

func (a *app) initCommand() *cobra.Command {
	f := &initFlags{}
	return command(&cobra.Command{
		Use:   "init [--home DIR] [--origin ORIGIN] [--witness-policy FILE] [--tsa URL] | init --trillian HOST:PORT[/TREE_ID] --ledger-key FILE --origin ORIGIN",
		Short: "create the evidctl home with its embedded log (or set its witnesses and TSA), or a Trillian ledger's key (and tree)",
		Long: `init creates the evidctl home ($EVIDCTL_HOME, default ~/.evidctl) with its embedded log
and prints the log's origin and verifier key.

On a home that is already initialised, --witness-policy FILE and --tsa URL set or
replace its witness policy and its TSA, with the same checks (and a witness may not
have the log's own key), and print what changed. The log, its key and its origin are
never touched; without either flag, init refuses an initialised home.

With --witness-policy FILE the log is witnessed: FILE is a witness policy (one item per
line: "witness NAME VKEY URL", "group NAME k|any|all MEMBER...", "quorum NAME"; every
witness with its URL, and a quorum its witnesses can meet). It is checked, stored in
the home (HOME/witness-policy), and used by every later append through the home: the
log publishes, and a receipt carries, only checkpoints its witnesses cosigned as the
quorum requires; with k of n, up to n-k witnesses may be down. When the quorum cannot
be met, an append fails after a bounded wait (about 10 s), naming each witness and what
it answered, and nothing is recorded. Have each witness accept the log first
('evidctl witness add-log --key HOME/log.pub').

With --trillian it sets up a Trillian ledger instead: it writes the personality's note
signing key to --ledger-key FILE (0600; its verifier key beside it in FILE.pub) and,
when no TREE_ID is given, creates and initialises a new log tree through the admin API
of the trillian_log_server at HOST:PORT. It prints the --ledger URL to use.

With --tsa URL an RFC 3161 time-stamping authority stamps each of the log's checkpoints
once: receipts carry the token, and signers cite the latest checkpoint with its token
before signing, which gives every event a trusted time (docs/TRUST.md). The URL is kept
in the home (tsa.url), or beside the Trillian key (FILE.tsa).`,
		Args: noArgs,
	}, f, func(ctx context.Context, _ []string) error {
		if f.trillian != "" {
			return a.initTrillian(ctx, f)
		}
		dir, _ := f.home.dir()
		var wp *witnessPolicyFile
		if f.witnessPolicy != "" {
			var err error
			if wp, err = readWitnessPolicy(f.witnessPolicy, true); err != nil {
				return err
			}
		}
		if initialised(dir) && (wp != nil || f.tsa != "") {
			return a.configureHome(dir, f.origin, wp, f.tsa)
		}
		return a.initHome(dir, f.origin, wp, f.tsa)
	})
}

// initTrillian writes a Trillian personality's note key and, without a tree id, creates
// the tree.
func (a *app) initTrillian(ctx context.Context, f *initFlags) error {
	if _, err := os.Lstat(f.key); err == nil {
		return failErr(fmt.Errorf("key file %s already exists", f.key), "choose another --ledger-key; a key is never replaced")
	}
	var ep trillianlog.Endpoint
	var vkey string
	var err error
	if f.hasTree {
		ep, _ = trillianlog.ParseURL(trillianlog.Scheme + "://" + f.trillianAddr + "/" + f.treeID)
		vkey, err = trillianlog.NewKey(f.key, f.origin)
	} else {
		ep, vkey, err = trillianlog.Init(ctx, f.trillianAddr, f.key, f.origin)
	}
	if err != nil {
		return failErr(err, "check that trillian_log_server is running at "+f.trillianAddr)
	}
	files := []newFile{{f.key + ".pub", 0o644, []byte(vkey + "\n")}}
	if f.tsa != "" {
		files = append(files, newFile{f.key + ledgerurl.TSAFileSuffix, 0o644, []byte(f.tsa + "\n")})
	}
	if err := writeNew(files); err != nil {
		return err
	}
	url := ep.String()
	fmt.Fprintf(a.stdout, "initialised Trillian ledger %s\norigin: %s\nverifier key: %s\n", url, f.origin, vkey)
	fmt.Fprintf(a.stdout, "use it with: --ledger %s --ledger-key %s\n", url, f.key)
	fmt.Fprintf(a.stdout, "trust it with: evidctl trust add-log --trust FILE --key %s\n", vkey)
	return nil
}

func (a *app) initHome(dir, origin string, wp *witnessPolicyFile, tsaURL string) error {
	keyFile := filepath.Join(dir, ledgerurl.HomeLogKey)
	for _, p := range []string{keyFile, filepath.Join(dir, ledgerurl.HomeLogDir)} {
		if _, err := os.Stat(p); err == nil {
			return failErr(fmt.Errorf("%s is already initialised (%s exists)", dir, p),
				"use the existing home, or pass --home DIR (or set $EVIDCTL_HOME) for a new one",
				"to give the existing home witnesses or a TSA: evidctl init --witness-policy FILE, or --tsa URL")
		}
	}
	if origin == "" {
		origin = defaultOrigin()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return failErr(fmt.Errorf("creating home: %w", err))
	}
	// The witness policy is written before the log exists, so that no log of this home
	// is ever opened without it.
	policyFile := filepath.Join(dir, ledgerurl.HomeWitnessPolicy)
	if wp != nil {
		if err := writeNew([]newFile{{policyFile, 0o644, wp.text}}); err != nil {
			return err
		}
	}
	vkey, err := posixlog.Init(filepath.Join(dir, ledgerurl.HomeLogDir), keyFile, origin)
	if err != nil {
		if wp != nil {
			_ = os.Remove(policyFile)
		}
		if errors.Is(err, fs.ErrExist) {
			return failErr(err, "the home is already initialised")
		}
		return failErr(err)
	}
	pubFile := filepath.Join(dir, ledgerurl.HomeLogVerifierKey)
	files := []newFile{{pubFile, 0o644, []byte(vkey + "\n")}}
	if tsaURL != "" {
		files = append(files, newFile{filepath.Join(dir, ledgerurl.HomeTSA), 0o644, []byte(tsaURL + "\n")})
	}
	if err := writeNew(files); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "initialised %s\norigin: %s\nverifier key: %s\n", dir, origin, vkey)
	if tsaURL != "" {
		fmt.Fprintf(a.stdout, "checkpoints time-stamped by: %s\n", redactURL(tsaURL))
	}
	if wp != nil {
		fmt.Fprintf(a.stdout, "witness policy: %s (stored in %s)\n", wp.describe(), policyFile)
		fmt.Fprintf(a.stdout, "have each witness accept the log: evidctl witness add-log --dir WITNESS_DIR --origin %s --key %s\n", origin, pubFile)
	}
	fmt.Fprintf(a.stdout, "trust it with: evidctl trust add-log --trust FILE --home %s\n", dir)
	return nil
}

func defaultOrigin() string { return localName("evidctl.local/") }

// localName is prefix, this host's name and 8 random hex digits: a default name for a
// log or a witness.
func localName(prefix string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	host = strings.Map(func(r rune) rune {
		if r == ' ' || r == '+' || r == '/' {
			return '-'
		}
		return r
	}, host)
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + host + "-" + hex.EncodeToString(b[:])
}
