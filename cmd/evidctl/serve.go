package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger/ledgerurl"
	"github.com/evidctl/evidctl/ledger/server"
)

// serveFlags configure 'evidctl serve'.
type serveFlags struct {
	home       homeFlags
	addr       string
	allow      []string
	allowTrust string
	listenFile string
	tlsCert    string
	tlsKey     string
	maxBody    int64
}

func (a *app) serveCommand() *cobra.Command {
	f := &serveFlags{}
	return command(&cobra.Command{
		Use:   "serve [--ledger DIR|trillian://HOST:PORT/TREE_ID [--witness-policy FILE]] --allow PUB.pem ... [--addr HOST:PORT]",
		Short: "serve a ledger over HTTP to custodians on other machines",
		Long: `serve runs the ledger server: custodians append with --ledger http://HOST:PORT, and
anyone reads the latest checkpoint, inclusion and consistency proofs (and, for an
embedded log, its tlog-tiles). An append is a 64-byte log entry (tag || commitment)
signed by a key on the allow-list (--allow PUB.pem, or every signer of --allow-trust
FILE): the signature is the authentication, and the server never sees a statement. An
entry whose tag is already logged with another commitment (a second successor of one
custody event) is refused (409). See docs/HTTP-API.md.

Witnesses: the checkpoints the server hands out, alone or in receipts, are cosigned by
the ledger's witnesses when it has any. An evidctl home's embedded log always uses the
witness policy stored in the home ('evidctl init --witness-policy'); give a trillian://
ledger its policy with --witness-policy FILE. An append whose checkpoint the witnesses
do not cosign in time is refused (HTTP 500) with each witness's answer.

Time-stamps: with --tsa URL (or a home made with 'init --tsa') an RFC 3161 TSA stamps
each checkpoint once: receipts carry the token, and custodians get the token of the
checkpoint they cite from POST /checkpoint/timestamp.`,
		Args: noArgs,
	}, f, func(ctx context.Context, _ []string) error {
		return a.serve(ctx, f)
	})
}

func (f *serveFlags) register(cmd *cobra.Command) {
	f.home.register(cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	fl.StringArrayVar(&f.allow, "allow", nil, "public key (PEM) whose signed entries may be appended (repeatable)")
	fl.StringVar(&f.allowTrust, "allow-trust", "", "trust policy whose signers may append")
	fl.StringVar(&f.listenFile, "listen-file", "", "write the address actually listened on to this file")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM)")
	fl.StringVar(&f.tlsKey, "tls-key", "", "private key of --tls-cert")
	fl.Int64Var(&f.maxBody, "max-body", server.DefaultMaxBodySize, "largest append body accepted, in bytes")
	fl.StringVar(&f.home.tsa, "tsa", "", "URL of an RFC 3161 time-stamping authority that stamps the ledger's checkpoints (default: the home's, from 'init --tsa')")
}

func (f *serveFlags) validate([]string) error {
	if len(f.allow) == 0 && f.allowTrust == "" {
		return usageErr("serve needs an allow-list: --allow PUB.pem or --allow-trust FILE",
			"only entries signed by these keys are appended")
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return usageErr("--tls-cert and --tls-key go together")
	}
	if err := checkTSAURL(f.home.tsa); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(f.addr); err != nil {
		return usageErr(fmt.Sprintf("--addr %q: %v", f.addr, err), "give HOST:PORT, e.g. 127.0.0.1:8080")
	}
	_, kind, err := f.home.ledgerSpec()
	if err != nil {
		return err
	}
	if kind == ledgerurl.Server {
		return usageErr("serve needs a ledger it holds: an evidctl home or trillian://, not another server")
	}
	return nil
}

// allowList loads the verifiers of every allowed key.
func (f *serveFlags) allowList() ([]*sign.Verifier, error) {
	var vs []*sign.Verifier
	for _, p := range f.allow {
		pem, err := readKeyFile("public key", p)
		if err != nil {
			return nil, err
		}
		if err := checkPublicKey("--allow", p, pem); err != nil {
			return nil, err
		}
		v, err := sign.LoadVerifier(pem)
		if err != nil {
			return nil, failErr(fmt.Errorf("public key %s: %w", p, err))
		}
		vs = append(vs, v)
	}
	if f.allowTrust != "" {
		pol, err := readPolicy(f.allowTrust)
		if err != nil {
			return nil, err
		}
		for _, s := range pol.Signers {
			if s.PublicKey == "" {
				continue
			}
			v, err := sign.LoadVerifier([]byte(s.PublicKey))
			if err != nil {
				return nil, failErr(fmt.Errorf("trust policy signer %q: %w", s.Name, err))
			}
			vs = append(vs, v)
		}
	}
	return vs, nil
}

func (a *app) serve(ctx context.Context, f *serveFlags) error {
	if err := refuseLink("--listen-file", f.listenFile); err != nil {
		return err
	}
	allow, err := f.allowList()
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var listenErr error
	spec, kind, _ := f.home.ledgerSpec()
	l, err := f.home.openLedger(ctx, a.stderr, nil)
	if err != nil {
		return err
	}
	defer l.Close()
	opts := []server.Option{
		server.WithMaxBodySize(f.maxBody),
		server.WithLogger(slog.New(slog.NewTextHandler(a.stderr, nil))),
		server.WithListening(func(addr net.Addr) {
			scheme := "http"
			if f.tlsCert != "" {
				scheme = "https"
			}
			fmt.Fprintf(a.stdout, "serving log %s on %s://%s (%d %s allowed)\n", l.Origin(), scheme, addr, len(allow), plural(len(allow), "signer", "signers"))
			if listenErr = writeListenFile(f.listenFile, addr); listenErr != nil {
				stop() // nobody would find the server: shut it down
			}
		}),
	}
	if kind == ledgerurl.Home {
		opts = append(opts, server.WithTiles(filepath.Join(spec, ledgerurl.HomeLogDir)))
	}
	if f.tlsCert != "" {
		opts = append(opts, server.WithTLS(f.tlsCert, f.tlsKey))
	}
	if by := f.tsaURL(spec, kind); by != "" {
		fmt.Fprintf(a.stdout, "checkpoints time-stamped by %s\n", redactURL(by))
	}
	if err := server.Serve(ctx, f.addr, l, allow, opts...); err != nil {
		return failErr(err)
	}
	return listenErr
}

// tsaURL is the TSA that stamps the served ledger's checkpoints: --tsa, else the home's.
func (f *serveFlags) tsaURL(spec string, kind ledgerurl.Kind) string {
	if f.home.tsa != "" || kind != ledgerurl.Home {
		return f.home.tsa
	}
	url, _ := ledgerurl.ReadTSAFile(filepath.Join(spec, ledgerurl.HomeTSA))
	return url
}
