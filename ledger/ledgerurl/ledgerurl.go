// Package ledgerurl opens a [ledger.Ledger] named by one string, as the --ledger flag of
// every evidctl command gives it (it is the only way the CLI opens a ledger):
//
//	/var/lib/evidctl                an evidctl home: its embedded log (ledger/posixlog),
//	                                HOME/log signed with HOME/log.key, as `evidctl init` makes
//	http://127.0.0.1:8080           a ledger server (`evidctl serve`; ledger/httplog)
//	https://ledger.example.org/lab  the same over TLS, under a path prefix
//	trillian://10.0.0.5:8090/1234   a Trillian log tree (ledger/trillianlog), signing
//	                                checkpoints with the note key given by WithKeyFile
//	                                (and having them cosigned as WithWitnessPolicy says)
//
// Use:
//
//	l, err := ledgerurl.Open(ctx, flagLedger, ledgerurl.WithKeyFile(flagLogKey), ledgerurl.WithTrust(trust))
//	...
//	defer l.Close()
//
// [Check] says what a spec names without any I/O. A ledger from an http(s) URL also
// implements [ledger.AuthenticatedAppender]: the server appends only signed entries. It
// verifies every checkpoint the server gives against the trust policy given with
// [WithTrust], and Open refuses to make one without it (or the explicit
// [WithoutCheckpointVerificationUnsafe]):
//
//	l, err := ledgerurl.Open(ctx, "https://ledger.example.org", ledgerurl.WithTrust(policy.LedgerTrust()))
//
// # Witnesses
//
// A home whose HomeWitnessPolicy file exists (`evidctl init --witness-policy`) opens its
// embedded log with that witness policy (posixlog.WithWitnessPolicy): every append
// through the home gets its checkpoint cosigned by the policy's witnesses, or fails. A
// Trillian ledger is given its policy with WithWitnessPolicy; a server obtains
// cosignatures itself.
package ledgerurl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/evidctl/evidctl/internal/smallfile"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httplog"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/trillianlog"
)

// The layout of an evidctl home's embedded log.
const (
	// HomeLogDir is the log directory inside a home.
	HomeLogDir = "log"
	// HomeLogKey is the log's note signing key file inside a home.
	HomeLogKey = "log.key"
	// HomeLogVerifierKey is the file inside a home holding the log's note verifier key,
	// for trust policies.
	HomeLogVerifierKey = "log.pub"
	// HomeWitnessPolicy is the file inside a home holding the witness policy text of its
	// embedded log ([ledger.ParseWitnessPolicy]); a home without it has no witnesses.
	HomeWitnessPolicy = "witness-policy"
	// HomeTSA is the optional file inside a home naming the RFC 3161 time-stamping
	// authority of the embedded log: one http(s) URL (`evidctl init --tsa`). See
	// [WithTSA].
	HomeTSA = "tsa.url"
	// TSAFileSuffix names, beside a Trillian personality's note key file KEY, the
	// optional file KEY.tsa holding the URL of its TSA (`evidctl init --trillian --tsa`).
	TSAFileSuffix = ".tsa"
)

// Errors Check and Open return; test them with errors.Is.
var (
	// ErrUnknownScheme: the spec is a URL of a scheme no backend serves.
	ErrUnknownScheme = errors.New("unknown scheme")
	// ErrNoKeyFile: a trillian:// spec without [WithKeyFile].
	ErrNoKeyFile = errors.New("a Trillian ledger needs the note key file that signs its checkpoints")
	// ErrNoEmbeddedLog: the home directory has no embedded log (no HomeLogDir or no
	// note key).
	ErrNoEmbeddedLog = errors.New("no embedded log")
	// ErrWitnessPolicyNotUsed: [WithWitnessPolicy] for a spec that is not trillian://.
	ErrWitnessPolicyNotUsed = errors.New("a witness policy is given only for a trillian:// ledger: a home's embedded log uses the policy stored in the home, a server obtains its own cosignatures")
)

// Kind is the kind of ledger a spec names.
type Kind int

// The kinds of ledger.
const (
	Home     Kind = iota + 1 // an evidctl home directory: its embedded log (ledger/posixlog)
	Server                   // an http:// or https:// ledger server (ledger/httplog)
	Trillian                 // a trillian:// log tree (ledger/trillianlog)
)

// Option configures Check and Open.
type Option func(*config)

type config struct {
	keyFile       string
	httpClient    *http.Client
	httpOpts      []httplog.Option // the httplog options of the other With functions
	witnessPolicy []byte
	tsaURL        string // see tsa.go
}

// WithKeyFile names the note signing key file: required for a trillian:// ledger; for a
// home directory it replaces HOME/log.key; an http(s) ledger signs on the server and
// ignores it.
func WithKeyFile(path string) Option { return func(c *config) { c.keyFile = path } }

// WithHTTPClient sets the HTTP client of an http(s) ledger (TLS roots, proxies).
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.httpClient = hc } }

// WithTrust gives an http(s) ledger the trust policy that every checkpoint the server
// returns must verify under, and be consistent with those before it
// ([httplog.WithTrust]); the others ignore it (they hold the log's key themselves). An
// http(s) ledger needs it, or [WithoutCheckpointVerificationUnsafe]: Open fails with an
// error wrapping httplog.ErrNoTrust otherwise.
func WithTrust(trust *ledger.Trust) Option {
	return func(c *config) { c.httpOpts = append(c.httpOpts, httplog.WithTrust(trust)) }
}

// WithKnownCheckpoint gives an http(s) ledger a checkpoint of its log verified before
// (the latest one a bundle holds) that the server's must be consistent with
// ([httplog.WithKnownCheckpoint]). It needs WithTrust; the others ignore it.
func WithKnownCheckpoint(note []byte) Option {
	return func(c *config) { c.httpOpts = append(c.httpOpts, httplog.WithKnownCheckpoint(note)) }
}

// WithRetryTimeout bounds the time one request to an http(s) ledger may take in all, its
// retries included ([httplog.WithRetryTimeout], default 1 minute); the others ignore it.
func WithRetryTimeout(d time.Duration) Option {
	return func(c *config) { c.httpOpts = append(c.httpOpts, httplog.WithRetryTimeout(d)) }
}

// WithProgress has an http(s) ledger tell f what a request is waiting for once it has
// taken 2 s, and every 5 s after ([httplog.WithProgress]); the others ignore it.
func WithProgress(f func(httplog.Progress)) Option {
	return func(c *config) { c.httpOpts = append(c.httpOpts, httplog.WithProgress(f)) }
}

// WithoutCheckpointVerificationUnsafe has an http(s) ledger return the server's
// checkpoints and receipts without verifying them
// ([httplog.WithoutCheckpointVerificationUnsafe]): whoever answers can make an append
// look logged. For tests only.
func WithoutCheckpointVerificationUnsafe() Option {
	return func(c *config) {
		c.httpOpts = append(c.httpOpts, httplog.WithoutCheckpointVerificationUnsafe())
	}
}

// WithWitnessPolicy has a trillian:// ledger's checkpoints cosigned by the witnesses of
// policy, witness policy text (trillianlog.WithWitnessPolicy). For any other spec it is
// an error ([ErrWitnessPolicyNotUsed]): a home's log uses the policy stored in the home
// (HomeWitnessPolicy).
func WithWitnessPolicy(policy []byte) Option {
	return func(c *config) { c.witnessPolicy = bytes.Clone(policy) }
}

func newConfig(opts []Option) config {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// Check says which kind of ledger spec names, without any I/O, so that a command can
// refuse a bad --ledger before it does anything: an empty spec, an unknown scheme
// ([ErrUnknownScheme]), a trillian:// spec without [WithKeyFile] ([ErrNoKeyFile]) and
// [WithWitnessPolicy] for a spec that is not trillian:// ([ErrWitnessPolicyNotUsed]) are
// errors, as they would be from [Open].
func Check(spec string, opts ...Option) (Kind, error) {
	cfg := newConfig(opts)
	kind, err := check(spec, cfg)
	if err == nil && kind != Trillian && cfg.witnessPolicy != nil {
		return 0, ErrWitnessPolicyNotUsed
	}
	return kind, err
}

func check(spec string, cfg config) (Kind, error) {
	scheme, _, isURL := strings.Cut(spec, "://")
	switch {
	case spec == "":
		return 0, errors.New("empty ledger spec")
	case !isURL:
		return Home, nil
	}
	switch strings.ToLower(scheme) {
	case "http", "https":
		return Server, nil
	case trillianlog.Scheme:
		if cfg.keyFile == "" {
			return 0, ErrNoKeyFile
		}
		return Trillian, nil
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownScheme, scheme)
}

// Open opens the ledger spec names: an evidctl home directory, an http:// or https://
// ledger server, or trillian://HOST:PORT/TREE_ID. Close the ledger when done.
func Open(ctx context.Context, spec string, opts ...Option) (ledger.Ledger, error) {
	cfg := newConfig(opts)
	kind, err := Check(spec, opts...)
	if err != nil {
		return nil, fmt.Errorf("opening ledger %q: %w", spec, err)
	}
	switch kind {
	case Server:
		hopts := cfg.httpOpts
		if cfg.httpClient != nil {
			hopts = append(hopts, httplog.WithHTTPClient(cfg.httpClient))
		}
		return httplog.Open(ctx, spec, hopts...)
	case Trillian:
		d, err := cfg.timestamps(cfg.keyFile + TSAFileSuffix)
		if err != nil {
			return nil, fmt.Errorf("opening ledger %q: %w", spec, err)
		}
		topts := []trillianlog.Option{trillianlog.WithDecorator(d)}
		if cfg.witnessPolicy != nil {
			topts = append(topts, trillianlog.WithWitnessPolicy(cfg.witnessPolicy))
		}
		return trillianlog.Open(ctx, spec, cfg.keyFile, topts...)
	}
	return openHome(ctx, spec, cfg)
}

// openHome opens the embedded log of the evidctl home dir.
func openHome(ctx context.Context, dir string, cfg config) (ledger.Ledger, error) {
	logDir := filepath.Join(dir, HomeLogDir)
	key := cfg.keyFile
	if key == "" {
		key = filepath.Join(dir, HomeLogKey)
	}
	for _, p := range []string{key, logDir} {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%w in %s (missing %s)", ErrNoEmbeddedLog, dir, p)
		}
	}
	d, err := cfg.timestamps(filepath.Join(dir, HomeTSA))
	if err != nil {
		return nil, fmt.Errorf("opening ledger %q: %w", dir, err)
	}
	popts := []posixlog.Option{posixlog.WithDecorator(d)}
	policy, err := ReadHomeWitnessPolicy(dir)
	if err != nil {
		return nil, err
	}
	if policy != nil {
		popts = append(popts, posixlog.WithWitnessPolicy(policy))
	}
	return posixlog.Open(ctx, logDir, key, popts...)
}

// ReadHomeWitnessPolicy returns the witness policy text stored in the home dir
// (HomeWitnessPolicy), or nil when the home has none. A policy file that exists but
// cannot be read is an error: the log is never opened without its witnesses.
func ReadHomeWitnessPolicy(dir string) ([]byte, error) {
	path := filepath.Join(dir, HomeWitnessPolicy)
	b, err := smallfile.Read(path, ledger.MaxWitnessPolicySize)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.Is(err, smallfile.ErrTooLarge):
		return nil, fmt.Errorf("the home's witness policy %s is %w", path, err)
	case err != nil:
		return nil, fmt.Errorf("reading the home's witness policy %s: %w", path, err)
	}
	return b, nil
}
