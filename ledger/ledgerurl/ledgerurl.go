// Package ledgerurl opens a [ledger.Ledger] named by one string, as the --ledger flag of
// every evidctl command gives it (it is the only way the CLI opens a ledger):
//
//	/var/lib/evidctl                an evidctl home: its embedded log (ledger/posixlog),
//	                                HOME/log signed with HOME/log.key, as `evidctl init` makes
//	http://127.0.0.1:8080           a ledger server (`evidctl serve`; ledger/httplog)
//	https://ledger.example.org/lab  the same over TLS, under a path prefix
//	trillian://10.0.0.5:8090/1234   a Trillian log tree (ledger/trillianlog), signing
//	                                checkpoints with the note key given by WithKeyFile
//
// Use:
//
//	l, err := ledgerurl.Open(ctx, flagLedger, ledgerurl.WithKeyFile(flagLogKey))
//	...
//	defer l.Close()
//
// [Check] says what a spec names without any I/O. A ledger from an http(s) URL also
// implements [ledger.EnvelopeAppender]: the server appends only signed envelopes.
package ledgerurl

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

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
	keyFile    string
	httpClient *http.Client
	tsaURL     string // see tsa.go
}

// WithKeyFile names the note signing key file: required for a trillian:// ledger; for a
// home directory it replaces HOME/log.key; an http(s) ledger signs on the server and
// ignores it.
func WithKeyFile(path string) Option { return func(c *config) { c.keyFile = path } }

// WithHTTPClient sets the HTTP client of an http(s) ledger (TLS roots, proxies).
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.httpClient = hc } }

func newConfig(opts []Option) config {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// Check says which kind of ledger spec names, without any I/O, so that a command can
// refuse a bad --ledger before it does anything: an empty spec, an unknown scheme
// ([ErrUnknownScheme]) or a trillian:// spec without [WithKeyFile] ([ErrNoKeyFile]) is
// an error, as it would be from [Open].
func Check(spec string, opts ...Option) (Kind, error) {
	cfg := newConfig(opts)
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
		var hopts []httplog.Option
		if cfg.httpClient != nil {
			hopts = append(hopts, httplog.WithHTTPClient(cfg.httpClient))
		}
		return httplog.Open(ctx, spec, hopts...)
	case Trillian:
		d, err := cfg.timestamps(cfg.keyFile + TSAFileSuffix)
		if err != nil {
			return nil, fmt.Errorf("opening ledger %q: %w", spec, err)
		}
		return trillianlog.Open(ctx, spec, cfg.keyFile, trillianlog.WithDecorator(d))
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
	return posixlog.Open(ctx, logDir, key, posixlog.WithDecorator(d))
}
