package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/evidctl/evidctl/ledger/trillianlog"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

// TestTrillianScripts runs testdata/trillian/*.txtar against a real Trillian: the
// trillian_log_server and trillian_log_signer processes named by $EVIDCTL_TRILLIAN when
// set (scripts/trillian/ci.sh sets it), else an in-process Trillian on memory storage.
// $TRILLIAN is the log server's HOST:PORT and $TRILLIAN_URL a fresh tree for each script.
func TestTrillianScripts(t *testing.T) {
	addr := trilliantest.InProcess(t)
	if os.Getenv(trilliantest.EnvVar) != "" {
		addr, _ = trilliantest.FromEnv(t)
		t.Logf("against the process Trillian at %s", addr)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "trillian"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			if err := setupScript(env); err != nil {
				return err
			}
			ep, err := trillianlog.CreateTree(t.Context(), addr)
			if err != nil {
				return err
			}
			env.Setenv("TRILLIAN", addr)
			env.Setenv("TRILLIAN_URL", ep.String())
			return nil
		},
		Cmds: scriptCommands,
	})
}
