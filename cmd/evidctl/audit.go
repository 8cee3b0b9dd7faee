package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/transparency-dev/tessera/api/layout"

	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httplog"
	"github.com/evidctl/evidctl/ledger/ledgerurl"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/trillianlog"
)

// auditFlags configure 'evidctl audit'.
type auditFlags struct {
	log, logKey, trust string
	all, json          bool
}

func (a *app) auditCommand() *cobra.Command {
	f := &auditFlags{}
	cmd := command(&cobra.Command{
		Use: `audit NAME.custody.json [--log DIR|URL|trillian://HOST:PORT/TREE_ID] --trust FILE [--log-key KEY] [--json]
  evidctl audit --all [--log DIR|URL|trillian://…] --trust FILE [--json]`,
		Short: "check a bundle's completeness against the whole log (exit 0 complete, 1 findings)",
		Long: `audit reads every entry of a log up to its newest checkpoint the trust policy accepts,
checks that they hash to that checkpoint's root, and reports, with log indexes, what
the bundle does not show: a branch (an entry with the tag of one of the bundle's events
and another commitment: a copy of the bundle was acted on) and hidden events (entries
that follow an item's last event in the bundle: the bundle was cut). It ends with
"complete as of checkpoint N" and who cosigned that checkpoint, when.

--log is a log directory or an evidctl home (read only, no key needed; by default the
home's embedded log), the URL of
'evidctl serve', or a Trillian tree: with --log-key (the personality's note key) its
own checkpoint is used, without it the newest checkpoint among the bundle's receipts.
--all audits the whole log without a bundle: every tag logged twice with different
commitments (a monitor's check).

With --json, stdout is JSON whatever happens: the report (docs/schema/audit.schema.json)
or, when the audit could not run (exit 2), an error object
(docs/schema/error.schema.json).`,
		Args: cobra.MaximumNArgs(1),
	}, f, func(ctx context.Context, args []string) error {
		return a.audit(ctx, args, f)
	})
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		err := run(c, args)
		if err != nil && err != errSilentInvalid && f.json {
			writeJSONError(a.stdout, err)
		}
		return err
	}
	return cmd
}

func (f *auditFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.log, "log", "", "the log to read: a log directory or evidctl home, http(s)://HOST[:PORT] of 'evidctl serve', or trillian://HOST:PORT/TREE_ID (default: the home's embedded log, $EVIDCTL_HOME else ~/.evidctl)")
	fl.StringVar(&f.logKey, "log-key", "", "note key of a trillian:// log's personality: audit up to its own checkpoint")
	fl.StringVar(&f.trust, "trust", "", "trust policy file: the log's key and witnesses (required)")
	fl.BoolVar(&f.all, "all", false, "audit the whole log for duplicate tags, without a bundle")
	fl.BoolVar(&f.json, "json", false, "print the report as JSON")
}

func (f *auditFlags) validate(args []string) error {
	switch {
	case f.all && len(args) > 0:
		return usageErr("--all audits the whole log: give no bundle", "run 'evidctl audit NAME.custody.json --log …' for one bundle")
	case !f.all && len(args) == 0:
		return usageErr("audit needs a bundle NAME.custody.json, or --all", "run 'evidctl audit --help' for usage")
	}
	if err := requireTrust(f.trust); err != nil {
		return err
	}
	if f.log == "" {
		dir, err := (&homeFlags{}).dir()
		if err != nil {
			return err
		}
		f.log = dir
	}
	kind, err := logKind(f.log)
	if err != nil {
		return usageErr(fmt.Sprintf("--log %s: %v", f.log, err), "give a log directory or evidctl home, http(s)://HOST:PORT or trillian://HOST:PORT/TREE_ID")
	}
	if f.logKey != "" && kind != ledgerurl.Trillian {
		return usageErr("--log-key is for a trillian:// log", "a log directory or a server gives its own checkpoint")
	}
	if f.all && kind == ledgerurl.Trillian && f.logKey == "" {
		return usageErr("--all on a trillian:// log needs --log-key", "the whole log is audited up to the personality's own checkpoint")
	}
	return nil
}

func (a *app) audit(ctx context.Context, args []string, f *auditFlags) error {
	policy, err := readPolicy(f.trust)
	if err != nil {
		return err
	}
	var b *custody.Bundle
	if !f.all {
		if b, err = readBundle(args[0]); err != nil {
			return err
		}
	}
	r, closeLog, err := openLogReader(ctx, f.log, f.logKey, policy)
	if err != nil {
		return err
	}
	defer closeLog()
	var rep *custody.AuditReport
	if f.all {
		rep, err = custody.AuditAll(ctx, policy, r)
	} else {
		rep, err = custody.Audit(ctx, b, policy, r)
	}
	if err != nil {
		return failErr(fmt.Errorf("the audit could not run: %w", err), auditHints(err)...)
	}
	if f.json {
		err = rep.WriteJSON(a.stdout)
	} else {
		err = rep.WriteText(a.stdout)
	}
	if err != nil {
		return failErr(err)
	}
	if !rep.Complete {
		fmt.Fprintf(a.stderr, "evidctl: audit: incomplete: %d %s\n", len(rep.Findings), plural(len(rep.Findings), "finding", "findings"))
		return errSilentInvalid
	}
	return nil
}

// logKind says what kind of log spec names, without I/O. Unlike --ledger, a trillian://
// log needs no key: read without one, it is audited up to the bundle's receipts.
func logKind(spec string) (ledgerurl.Kind, error) {
	kind, err := ledgerurl.Check(spec)
	if errors.Is(err, ledgerurl.ErrNoKeyFile) {
		return ledgerurl.Trillian, nil
	}
	return kind, err
}

// openLogReader opens the log spec names for reading only: a log directory (or an
// evidctl home's), a ledger server (whose checkpoints must verify under policy), a
// Trillian tree (keyed, or keyless).
func openLogReader(ctx context.Context, spec, keyFile string, policy *custody.Policy) (ledger.LeafReader, func(), error) {
	kind, _ := logKind(spec)
	hint := "check that the log server or Trillian is running and reachable"
	switch {
	case kind == ledgerurl.Server:
		l, err := httplog.Open(ctx, spec, httplog.WithTrust(policy.LedgerTrust()))
		if err != nil {
			return nil, nil, failErr(err, hint)
		}
		return l, func() { _ = l.Close() }, nil
	case kind == ledgerurl.Trillian && keyFile != "":
		l, err := trillianlog.Open(ctx, spec, keyFile)
		if err != nil {
			return nil, nil, failErr(err, hint)
		}
		return l, func() { _ = l.Close() }, nil
	case kind == ledgerurl.Trillian:
		r, err := trillianlog.OpenReader(ctx, spec)
		if err != nil {
			return nil, nil, failErr(err, hint)
		}
		return r, func() { _ = r.Close() }, nil
	}
	dir := spec
	if _, err := os.Stat(filepath.Join(spec, ledgerurl.HomeLogDir, layout.CheckpointPath)); err == nil {
		dir = filepath.Join(spec, ledgerurl.HomeLogDir) // an evidctl home
	}
	r, err := posixlog.NewReader(dir)
	if err != nil {
		return nil, nil, failErr(err, "give a log directory (it holds a 'checkpoint' file) or an evidctl home")
	}
	return r, func() {}, nil
}

// auditHints say what to do when an audit could not run.
func auditHints(err error) []string {
	switch {
	case errors.Is(err, custody.ErrNoCheckpoint):
		return []string{"the trust policy must accept a checkpoint of this log: add the log ('evidctl trust add-log'), or check that its checkpoints carry the witness cosignatures the policy asks for; for a trillian:// log, --log-key gives the personality's own checkpoint"}
	case errors.Is(err, ledger.ErrRootMismatch):
		return []string{"the log's entries do not hash to its signed checkpoint: this copy of the log was altered or damaged"}
	}
	return nil
}
