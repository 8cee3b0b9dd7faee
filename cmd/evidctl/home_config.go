package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/evidctl/evidctl/internal/atomicfile"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgerurl"
)

// An initialised home keeps two settings beside its log that 'evidctl init' may set again:
// the witness policy (HOME/witness-policy) and the TSA (HOME/tsa.url). Setting them never
// touches the log, its key or its verifier key.

// initialised reports whether dir already holds a home's log or its key.
func initialised(dir string) bool {
	for _, p := range []string{filepath.Join(dir, ledgerurl.HomeLogKey), filepath.Join(dir, ledgerurl.HomeLogDir)} {
		if _, err := os.Lstat(p); err == nil {
			return true
		}
	}
	return false
}

// configureHome sets the witness policy (when wp is not nil) and the TSA (when tsaURL is
// not empty) of the initialised home dir, with the checks of init plus one only an
// existing log allows: no witness has the log's own key. It prints what changed.
func (a *app) configureHome(dir, origin string, wp *witnessPolicyFile, tsaURL string) error {
	if origin != "" {
		return usageErr(fmt.Sprintf("--origin: %s is already initialised, and a log's origin never changes", dir),
			"leave out --origin to set the witness policy or the TSA of this home, or pass --home DIR for a new one")
	}
	logOrigin, vkey, err := homeLog(dir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, ledgerurl.HomeLogDir)); err != nil {
		return failErr(fmt.Errorf("%s is not a whole home (%w)", dir, err), "the home's log directory is missing: restore it from a backup")
	}
	var oldPolicy []byte
	if wp != nil {
		trust := ledger.Trust{Logs: []ledger.Log{{Origin: logOrigin, VerifierKey: vkey, WitnessPolicy: wp.policy}}}
		if err := trust.Validate(); err != nil {
			return failErr(fmt.Errorf("%s: %w", wp.path, err), "a log cannot witness itself: name witnesses run by other parties")
		}
		if oldPolicy, err = ledgerurl.ReadHomeWitnessPolicy(dir); err != nil {
			return failErr(err)
		}
	}
	tsaFile := filepath.Join(dir, ledgerurl.HomeTSA)
	var oldTSA string
	if tsaURL != "" {
		if oldTSA, err = ledgerurl.ReadTSAFile(tsaFile); err != nil {
			return failErr(err)
		}
	}

	fmt.Fprintf(a.stdout, "%s is initialised: its log (origin %s) and key are left as they are\n", dir, logOrigin)
	policyFile := filepath.Join(dir, ledgerurl.HomeWitnessPolicy)
	newPolicy := wp != nil && string(oldPolicy) != string(wp.text)
	if wp != nil {
		if err := setHomeFile(policyFile, wp.text, newPolicy); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "witness policy: %s; stored in %s\n", change(describePolicy(oldPolicy), wp.describe(), !newPolicy), policyFile)
	}
	if tsaURL != "" {
		if err := setHomeFile(tsaFile, []byte(tsaURL+"\n"), oldTSA != tsaURL); err != nil {
			return err
		}
		was := "none"
		if oldTSA != "" {
			was = redactURL(oldTSA)
		}
		fmt.Fprintf(a.stdout, "checkpoints time-stamped by: %s\n", change(was, redactURL(tsaURL), oldTSA == tsaURL))
	}
	if newPolicy {
		fmt.Fprintf(a.stdout, "have each witness accept the log: evidctl witness add-log --dir WITNESS_DIR --origin %s --key %s\n",
			logOrigin, filepath.Join(dir, ledgerurl.HomeLogVerifierKey))
		fmt.Fprintf(a.stdout, "update the trust policies that name this log: evidctl trust add-log --trust FILE --home %s\n", dir)
		fmt.Fprintln(a.stdout, "note: receipts issued before carry checkpoints these witnesses did not cosign; a trust policy that requires them refuses those receipts")
	}
	fmt.Fprintln(a.stdout, "a process that has the home's log open (evidctl serve) uses the new settings once restarted")
	return nil
}

// setHomeFile replaces the home file path with data, atomically, when changed.
func setHomeFile(path string, data []byte, changed bool) error {
	if !changed {
		return nil
	}
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		if errors.Is(err, atomicfile.ErrSymlink) {
			return failErr(fmt.Errorf("writing %s: %w", path, err), "the home's settings are never written through a symbolic link: replace the link by the file")
		}
		return failErr(fmt.Errorf("writing %s: %w", path, err))
	}
	return nil
}

// describePolicy says what a stored witness policy asks for, in one line.
func describePolicy(text []byte) string {
	if text == nil {
		return "none"
	}
	p, err := ledger.ParseWitnessPolicy(text)
	if err != nil {
		return "a policy that does not parse"
	}
	return (&witnessPolicyFile{text: text, policy: p}).describe()
}

// change says how a setting changed: "NOW (unchanged)" or "NOW (was: WAS)".
func change(was, now string, same bool) string {
	if same {
		return now + " (unchanged)"
	}
	return now + " (was: " + was + ")"
}
