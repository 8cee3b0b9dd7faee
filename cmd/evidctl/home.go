package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgerurl"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/trillianlog"
)

// A home ($EVIDCTL_HOME, default ~/.evidctl) holds the embedded log:
//
//	HOME/log        the tlog-tiles directory (publishable as is)
//	HOME/log.key    the log's note signing key, 0600, outside the tile directory
//	HOME/log.pub    the log's note verifier key, for trust policies
const (
	homeLogDir  = "log"
	homeLogKey  = "log.key"
	homeLogVKey = "log.pub"
)

// homeFlags are the flags that say where the home and the ledger are.
type homeFlags struct {
	home      string
	ledger    string
	ledgerKey string
}

func (h *homeFlags) register(cmd *cobra.Command, withLedger bool) {
	cmd.Flags().StringVar(&h.home, "home", "", "evidctl home directory (default $EVIDCTL_HOME, else ~/.evidctl)")
	if withLedger {
		cmd.Flags().StringVar(&h.ledger, "ledger", "", "ledger to append to: an evidctl home directory, http(s)://HOST[:PORT] of 'evidctl serve', or trillian://HOST:PORT/TREE_ID (default: the home's embedded log)")
		cmd.Flags().StringVar(&h.ledgerKey, "ledger-key", "", "note signing key of a trillian:// ledger's checkpoints")
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

// ledgerSpec is a parsed --ledger value: an evidctl home directory (its embedded log),
// a ledger server (http(s)://) or a Trillian tree (trillian://).
type ledgerSpec struct {
	scheme string // "dir", "http", "https", "trillian"
	dir    string // for "dir": the home directory holding log/ and log.key
	url    string
	key    string // for "trillian": the note signing key file
}

// ledgerSpec parses --ledger (default: the home's embedded log) without any I/O.
func (h *homeFlags) ledgerSpec() (ledgerSpec, error) {
	v := h.ledger
	if v == "" {
		dir, err := h.dir()
		return ledgerSpec{scheme: "dir", dir: dir}, err
	}
	if i := strings.Index(v, "://"); i > 0 {
		scheme := strings.ToLower(v[:i])
		switch scheme {
		case "http", "https":
			return ledgerSpec{scheme: scheme, url: v}, nil
		case "trillian":
			if h.ledgerKey == "" {
				return ledgerSpec{}, usageErr(fmt.Sprintf("--ledger %s: a Trillian ledger needs --ledger-key", v),
					"pass the note key file that signs this tree's checkpoints")
			}
			return ledgerSpec{scheme: scheme, url: v, key: h.ledgerKey}, nil
		}
		return ledgerSpec{}, usageErr(fmt.Sprintf("--ledger %s: unknown scheme %q", v, scheme),
			"give an evidctl home directory, http(s)://HOST:PORT or trillian://HOST:PORT/TREE_ID")
	}
	return ledgerSpec{scheme: "dir", dir: v}, nil
}

// openLedger opens the ledger the spec names. Close it when done.
func openLedger(ctx context.Context, spec ledgerSpec) (ledger.Ledger, error) {
	if spec.scheme != "dir" {
		l, err := ledgerurl.Open(ctx, spec.url, ledgerurl.WithKeyFile(spec.key))
		if err != nil {
			return nil, failErr(err, "check that the ledger server or Trillian is running and reachable")
		}
		return l, nil
	}
	logDir, keyFile := filepath.Join(spec.dir, homeLogDir), filepath.Join(spec.dir, homeLogKey)
	if _, err := os.Stat(keyFile); err != nil {
		return nil, failErr(fmt.Errorf("no embedded log in %s (missing %s)", spec.dir, keyFile),
			"run 'evidctl init' first, or pass --home/--ledger with an initialised home")
	}
	l, err := posixlog.Open(ctx, logDir, keyFile)
	if err != nil {
		return nil, failErr(err)
	}
	return l, nil
}

// homeLog reads the origin and verifier key of a home's embedded log.
func homeLog(dir string) (origin, vkey string, err error) {
	b, err := os.ReadFile(filepath.Join(dir, homeLogVKey))
	if err != nil {
		return "", "", fileErr("log verifier key of home", filepath.Join(dir, homeLogVKey), err)
	}
	vkey = strings.TrimSpace(string(b))
	origin = originOf(vkey)
	return origin, vkey, nil
}

func (a *app) initCommand() *cobra.Command {
	var h homeFlags
	var origin, trillianAddr, trillianKey string
	cmd := &cobra.Command{
		Use:   "init [--home DIR] [--origin ORIGIN] | init --trillian HOST:PORT[/TREE_ID] --ledger-key FILE --origin ORIGIN",
		Short: "create the evidctl home with its embedded log, or a Trillian ledger's key (and tree)",
		Long: `init creates the evidctl home ($EVIDCTL_HOME, default ~/.evidctl) with its embedded log
and prints the log's origin and verifier key.

With --trillian it sets up a Trillian ledger instead: it writes the personality's note
signing key to --ledger-key FILE (0600; its verifier key beside it in FILE.pub) and,
when no TREE_ID is given, creates and initialises a new log tree through the admin API
of the trillian_log_server at HOST:PORT. It prints the --ledger URL to use.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if origin != "" && (strings.ContainsAny(origin, " +\n\t") || origin == "") {
				return usageErr(fmt.Sprintf("--origin %q: an origin may not contain spaces or '+'", origin),
					"use a schema-less URL such as evidence.example.org/lab-1")
			}
			if trillianAddr != "" {
				return a.initTrillian(cmd.Context(), trillianAddr, trillianKey, origin)
			}
			dir, err := h.dir()
			if err != nil {
				return err
			}
			return a.initHome(dir, origin)
		},
	}
	h.register(cmd, false)
	cmd.Flags().StringVar(&origin, "origin", "", `log origin (default "evidctl.local/" + hostname + "-" + 8 random hex)`)
	cmd.Flags().StringVar(&trillianAddr, "trillian", "", "set up a Trillian ledger at HOST:PORT (the log server), on tree TREE_ID or a new one")
	cmd.Flags().StringVar(&trillianKey, "ledger-key", "", "with --trillian: the note signing key file to create")
	return cmd
}

// initTrillian writes a Trillian personality's note key and, without a tree id, creates
// the tree.
func (a *app) initTrillian(ctx context.Context, spec, keyFile, origin string) error {
	if keyFile == "" || origin == "" {
		return usageErr("--trillian needs --ledger-key FILE and --origin ORIGIN",
			"the key signs the tree's checkpoints; the origin names the log in them")
	}
	addr, tree, hasTree := strings.Cut(strings.TrimPrefix(spec, trillianlog.Scheme+"://"), "/")
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return usageErr(fmt.Sprintf("--trillian %q: %v", spec, err), "give the log server's HOST:PORT, optionally /TREE_ID")
	}
	if _, err := os.Lstat(keyFile); err == nil {
		return failErr(fmt.Errorf("key file %s already exists", keyFile), "choose another --ledger-key; a key is never replaced")
	}
	var url, vkey string
	var err error
	if hasTree {
		ep, perr := trillianlog.ParseURL(trillianlog.Scheme + "://" + addr + "/" + tree)
		if perr != nil {
			return usageErr(perr.Error())
		}
		url = ep.String()
		vkey, err = trillianlog.NewKey(keyFile, origin)
	} else {
		var ep trillianlog.Endpoint
		ep, vkey, err = trillianlog.Init(ctx, addr, keyFile, origin)
		url = ep.String()
	}
	if err != nil {
		return failErr(err, "check that trillian_log_server is running at "+addr)
	}
	if err := writeNew([]newFile{{keyFile + ".pub", 0o644, []byte(vkey + "\n")}}); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "initialised Trillian ledger %s\norigin: %s\nverifier key: %s\n", url, origin, vkey)
	fmt.Fprintf(a.stdout, "use it with: --ledger %s --ledger-key %s\n", url, keyFile)
	fmt.Fprintf(a.stdout, "trust it with: evidctl trust add-log --trust FILE --key %s\n", vkey)
	return nil
}

func (a *app) initHome(dir, origin string) error {
	keyFile := filepath.Join(dir, homeLogKey)
	for _, p := range []string{keyFile, filepath.Join(dir, homeLogDir)} {
		if _, err := os.Stat(p); err == nil {
			return failErr(fmt.Errorf("%s is already initialised (%s exists)", dir, p),
				"use the existing home, or pass --home DIR (or set $EVIDCTL_HOME) for a new one")
		}
	}
	if origin == "" {
		origin = defaultOrigin()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return failErr(fmt.Errorf("creating home: %w", err))
	}
	vkey, err := posixlog.Init(filepath.Join(dir, homeLogDir), keyFile, origin)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return failErr(err, "the home is already initialised")
		}
		return failErr(err)
	}
	if err := writeNew([]newFile{{filepath.Join(dir, homeLogVKey), 0o644, []byte(vkey + "\n")}}); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "initialised %s\norigin: %s\nverifier key: %s\n", dir, origin, vkey)
	fmt.Fprintf(a.stdout, "trust it with: evidctl trust add-log --trust FILE --home %s\n", dir)
	return nil
}

func defaultOrigin() string {
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
	return "evidctl.local/" + host + "-" + hex.EncodeToString(b[:])
}
