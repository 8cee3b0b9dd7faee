package main

import (
	"context"
	"fmt"
	neturl "net/url"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/custody"
	"github.com/evidctl/evidctl/ledger/tsa"
)

// The time part of a trust policy: trusted TSAs, how trusted time is judged, and each
// signer's validity window and revocation (docs/TRUST.md).

// parseTime reads an RFC 3339 time flag ("" is no time).
func parseTime(flag, value string) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return time.Time{}, usageErr(fmt.Sprintf("--%s %q is not an RFC 3339 time", flag, value), "write it as 2026-05-01T09:00:00Z (or with an offset, +02:00)")
	}
	return t.UTC(), nil
}

// validityFlags are a trusted signer's validity window.
type validityFlags struct {
	from, until         string
	fromTime, untilTime time.Time
}

func (f *validityFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.from, "valid-from", "", "the key signs nothing before this time (RFC 3339), judged over each event's trusted interval")
	cmd.Flags().StringVar(&f.until, "valid-until", "", "the key signs nothing after this time (RFC 3339), judged over each event's trusted interval")
}

func (f *validityFlags) validate() error {
	var err error
	if f.fromTime, err = parseTime("valid-from", f.from); err != nil {
		return err
	}
	if f.untilTime, err = parseTime("valid-until", f.until); err != nil {
		return err
	}
	if !f.fromTime.IsZero() && !f.untilTime.IsZero() && !f.fromTime.Before(f.untilTime) {
		return usageErr("--valid-from must be before --valid-until")
	}
	return nil
}

// apply sets the window on a signer entry.
func (f *validityFlags) apply(s *custody.TrustedSigner) {
	s.ValidFrom, s.ValidUntil = f.fromTime, f.untilTime
}

type addTSAFlags struct {
	trustFlags
	roots, intermediates, name string
}

func (f *addTSAFlags) register(cmd *cobra.Command) {
	f.trustFlags.register(cmd)
	cmd.Flags().StringVar(&f.roots, "roots", "", "the TSA's root certificates (PEM): the trust anchors its tokens must chain to")
	cmd.Flags().StringVar(&f.intermediates, "intermediates", "", "intermediate CA certificates (PEM) for tokens that do not carry their chain")
	cmd.Flags().StringVar(&f.name, "name", "", "the TSA's name in reports (default: the common name of its root)")
}

func (f *addTSAFlags) validate([]string) error {
	if err := requireTrust(f.path); err != nil {
		return err
	}
	if f.roots == "" {
		return usageErr("add-tsa needs --roots CA.pem", "the TSA's operator publishes its root certificate")
	}
	return nil
}

func (a *app) trustAddTSACommand() *cobra.Command {
	f := &addTSAFlags{}
	return command(&cobra.Command{
		Use:   "add-tsa --trust FILE --roots CA.pem [--intermediates FILE] [--name NAME]",
		Short: "trust an RFC 3161 time-stamping authority's tokens as trusted time",
		Long: `add-tsa trusts the tokens of an RFC 3161 time-stamping authority (TSA) whose
certificates chain to the roots in CA.pem: a token over the checkpoint of an event's
receipt bounds the event's time from above, a token over its anchor from below. Tokens
of a TSA the policy does not list are not trusted.`,
		Args: noArgs,
	}, f, func(context.Context, []string) error {
		roots, err := readInputFile("TSA root certificates", f.roots, certBundleLimit)
		if err != nil {
			return err
		}
		var inter []byte
		if f.intermediates != "" {
			if inter, err = readInputFile("TSA intermediate certificates", f.intermediates, certBundleLimit); err != nil {
				return err
			}
		}
		p, err := readPolicy(f.path)
		if err != nil {
			return err
		}
		t := custody.TrustedTSA{Name: f.name, Roots: string(roots), Intermediates: string(inter)}
		if err := p.AddTSA(t); err != nil {
			return usageErr(err.Error(), "--roots and --intermediates take PEM CERTIFICATE blocks only")
		}
		if err := p.WriteFile(f.path); err != nil {
			return failErr(err)
		}
		fmt.Fprintf(a.stdout, "trusting TSA %q in %s\n", p.TSAs[len(p.TSAs)-1].Name, f.path)
		return nil
	})
}

type revokeFlags struct {
	trustFlags
	key, at, reason string
	when            time.Time
}

func (f *revokeFlags) register(cmd *cobra.Command) {
	f.trustFlags.register(cmd)
	cmd.Flags().StringVar(&f.key, "key", "", "the revoked key: its public key file (PEM) or its key id (64 hex digits)")
	cmd.Flags().StringVar(&f.at, "at", "", "when the key stopped being trustworthy (RFC 3339), such as when it was stolen")
	cmd.Flags().StringVar(&f.reason, "reason", "", "why, for the reports")
}

var keyIDPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (f *revokeFlags) validate([]string) error {
	if err := requireTrust(f.path); err != nil {
		return err
	}
	if f.key == "" || f.at == "" || strings.TrimSpace(f.reason) == "" {
		return usageErr("revoke-signer needs --key K, --at TIME and --reason TEXT")
	}
	var err error
	f.when, err = parseTime("at", f.at)
	return err
}

// keyID is the key id --key names.
func (f *revokeFlags) keyID() (string, error) {
	if keyIDPattern.MatchString(f.key) {
		return f.key, nil
	}
	pub, err := readKeyFile("public key", f.key)
	if err != nil {
		return "", err
	}
	v, err := sign.LoadVerifier(pub)
	if err != nil {
		return "", failErr(fmt.Errorf("public key %s: %w", f.key, err), "give the PREFIX.pub that keygen wrote, or the key id")
	}
	return v.KeyID(), nil
}

func (a *app) trustRevokeSignerCommand() *cobra.Command {
	f := &revokeFlags{}
	return command(&cobra.Command{
		Use:   "revoke-signer --trust FILE --key PUB.pem|KEYID --at TIME --reason TEXT",
		Short: "revoke a signer's key from a time on",
		Long: `revoke-signer revokes a trusted signer's key from TIME on. An event whose trusted
interval (from witness cosignatures and time-stamps) ends before TIME stays valid; an
event that may lie after it fails rule key, whatever time it claims. Events without
trusted time fail too: nothing shows they came before the revocation.`,
		Args: noArgs,
	}, f, func(context.Context, []string) error {
		id, err := f.keyID()
		if err != nil {
			return err
		}
		p, err := readPolicy(f.path)
		if err != nil {
			return err
		}
		if err := p.RevokeSigner(id, f.when, f.reason); err != nil {
			return usageErr(err.Error(), "'evidctl trust show --trust "+f.path+"' lists the trusted keys")
		}
		if err := p.WriteFile(f.path); err != nil {
			return failErr(err)
		}
		fmt.Fprintf(a.stdout, "revoked key %s from %s in %s: %s\n", id, f.when.Format(time.RFC3339), f.path, f.reason)
		return nil
	})
}

type setTimeFlags struct {
	trustFlags
	maxSkew, maxInterval string
	requireAnchored      bool
	cmd                  *cobra.Command
	skew, interval       *custody.Duration
}

func (f *setTimeFlags) register(cmd *cobra.Command) {
	f.trustFlags.register(cmd)
	f.cmd = cmd
	cmd.Flags().StringVar(&f.maxSkew, "max-skew", "", "how far a claimed time may lie outside the event's trusted interval (Go duration: 90s, 5m; default 5m)")
	cmd.Flags().StringVar(&f.maxInterval, "max-interval", "", "the widest trusted interval an event may have (Go duration: 1h), or 'none'")
	cmd.Flags().BoolVar(&f.requireAnchored, "require-anchored-time", false, "fail events whose trusted interval lacks a bound (else a warning); --require-anchored-time=false to undo")
}

func (f *setTimeFlags) validate([]string) error {
	if err := requireTrust(f.path); err != nil {
		return err
	}
	fl := f.cmd.Flags()
	if !fl.Changed("max-skew") && !fl.Changed("max-interval") && !fl.Changed("require-anchored-time") {
		return usageErr("set-time needs --max-skew, --max-interval or --require-anchored-time")
	}
	parse := func(name, value string) (*custody.Duration, error) {
		var d custody.Duration
		if err := d.UnmarshalText([]byte(value)); err != nil {
			return nil, usageErr(fmt.Sprintf("--%s: %v", name, err))
		}
		return &d, nil
	}
	var err error
	if fl.Changed("max-skew") {
		if f.skew, err = parse("max-skew", f.maxSkew); err != nil {
			return err
		}
	}
	if fl.Changed("max-interval") && f.maxInterval != "none" {
		if f.interval, err = parse("max-interval", f.maxInterval); err != nil {
			return err
		}
		if *f.interval == 0 {
			return usageErr("--max-interval 0 would fail every event", "give a width such as 1h, or 'none'")
		}
	}
	return nil
}

func (a *app) trustSetTimeCommand() *cobra.Command {
	f := &setTimeFlags{}
	return command(&cobra.Command{
		Use:   "set-time --trust FILE [--max-skew D] [--max-interval D|none] [--require-anchored-time]",
		Short: "set how a policy judges trusted time",
		Long: `set-time sets how events' times are judged: --max-skew is how far a claimed time may
lie outside the event's trusted interval (5m by default), --max-interval the widest
interval accepted (a signer citing an old checkpoint widens it), and
--require-anchored-time fails events whose interval lacks a bound, which is otherwise a
warning.`,
		Args: noArgs,
	}, f, func(context.Context, []string) error {
		p, err := readPolicy(f.path)
		if err != nil {
			return err
		}
		fl := f.cmd.Flags()
		if fl.Changed("max-skew") {
			p.MaxSkew = f.skew
		}
		if fl.Changed("max-interval") {
			p.MaxInterval = f.interval
		}
		if fl.Changed("require-anchored-time") {
			p.RequireAnchoredTime = f.requireAnchored
		}
		if err := p.WriteFile(f.path); err != nil {
			return failErr(err)
		}
		a.showTime(p)
		return nil
	})
}

// showTime prints the policy's TSAs and time settings, for trust show and set-time.
func (a *app) showTime(p *custody.Policy) {
	fmt.Fprintln(a.stdout, "time-stamping authorities:")
	if len(p.TSAs) == 0 {
		fmt.Fprintln(a.stdout, "  none")
	}
	for _, t := range p.TSAs {
		fmt.Fprintf(a.stdout, "  %s\n", t.Name)
	}
	skew := custody.Duration(custody.DefaultMaxSkew)
	if p.MaxSkew != nil {
		skew = *p.MaxSkew
	}
	interval := "unbounded"
	if p.MaxInterval != nil {
		interval = time.Duration(*p.MaxInterval).String()
	}
	fmt.Fprintf(a.stdout, "trusted time: max skew %v; max interval %s; anchored time required: %t\n", time.Duration(skew), interval, p.RequireAnchoredTime)
}

// showLifecycle prints a signer's validity window and revocation, for trust show.
func (a *app) showLifecycle(s custody.TrustedSigner) {
	if !s.ValidFrom.IsZero() {
		fmt.Fprintf(a.stdout, "    valid from %s\n", s.ValidFrom.Format(time.RFC3339))
	}
	if !s.ValidUntil.IsZero() {
		fmt.Fprintf(a.stdout, "    valid until %s\n", s.ValidUntil.Format(time.RFC3339))
	}
	if s.Revoked != nil {
		fmt.Fprintf(a.stdout, "    REVOKED from %s: %q\n", s.Revoked.Time.Format(time.RFC3339), s.Revoked.Reason)
	}
}

// checkTSAURL checks a --tsa URL without any I/O ("" is none).
func checkTSAURL(url string) error {
	if url == "" {
		return nil
	}
	if _, err := tsa.NewClient(url); err != nil {
		return usageErr("--tsa: "+err.Error(), "give the TSA's RFC 3161 endpoint, such as https://tsa.example/tsr")
	}
	return nil
}

// redactURL is url without any password, for output.
func redactURL(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil {
		return "(unreadable URL)"
	}
	return u.Redacted()
}
