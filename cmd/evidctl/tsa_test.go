package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/evidctl/evidctl/ledger/tsa/tsatest"
)

// withTSA runs one in-process RFC 3161 time-stamping authority (sigstore's, from
// ledger/tsa/tsatest) for the scripts, and gives each script its URL in $TSA_URL and its
// root certificate in $WORK/tsa-root.pem, then runs setup.
func withTSA(t *testing.T, setup func(*testscript.Env) error) func(*testscript.Env) error {
	authority := tsatest.New(t)
	return func(env *testscript.Env) error {
		env.Setenv("TSA_URL", authority.URL)
		if err := os.WriteFile(filepath.Join(env.WorkDir, "tsa-root.pem"), authority.RootsPEM, 0o644); err != nil {
			return err
		}
		return setup(env)
	}
}
