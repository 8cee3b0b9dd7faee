package ledgerurl_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/ledgerurl"
	"github.com/evidctl/evidctl/ledger/posixlog"
	"github.com/evidctl/evidctl/ledger/trillianlog"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

// appendCosigned appends a leaf and checks that its receipt meets policy.
func appendCosigned(t *testing.T, l ledger.Ledger, entry ledger.Log, policy *ledger.WitnessPolicy) {
	t.Helper()
	leaf := ledgertest.Leaf(t.Name())
	r, err := l.Append(t.Context(), leaf)
	require.NoError(t, err)
	entry.WitnessPolicy = policy
	cp, err := (&ledger.Trust{Logs: []ledger.Log{entry}}).VerifyReceipt(r, leaf)
	require.NoError(t, err)
	require.Equal(t, []string{"w1"}, cp.Cosigners)
}

// TestOpenHomeWitnessed: a home with a stored witness policy appends through its witnesses.
func TestOpenHomeWitnessed(t *testing.T) {
	home := t.TempDir()
	vkey, err := posixlog.Init(filepath.Join(home, ledgerurl.HomeLogDir), filepath.Join(home, ledgerurl.HomeLogKey), "evidctl.test/home-witnessed")
	require.NoError(t, err)
	entry := ledger.Log{Origin: "evidctl.test/home-witnessed", VerifierKey: vkey}
	w := witnesstest.Start(t, "w1", entry)
	require.NoError(t, os.WriteFile(filepath.Join(home, ledgerurl.HomeWitnessPolicy), witnesstest.Policy(1, w), 0o644))
	got, err := ledgerurl.ReadHomeWitnessPolicy(home)
	require.NoError(t, err)
	require.Equal(t, witnesstest.Policy(1, w), got)

	l, err := ledgerurl.Open(t.Context(), home)
	require.NoError(t, err)
	defer l.Close()
	appendCosigned(t, l, entry, witnesstest.ParsedPolicy(t, 1, w))
}

// TestOpenHomeUnreadablePolicy: a policy file that cannot be read keeps the log closed.
func TestOpenHomeUnreadablePolicy(t *testing.T) {
	home := t.TempDir()
	_, err := posixlog.Init(filepath.Join(home, ledgerurl.HomeLogDir), filepath.Join(home, ledgerurl.HomeLogKey), "evidctl.test/home-unreadable")
	require.NoError(t, err)
	require.NoError(t, os.Mkdir(filepath.Join(home, ledgerurl.HomeWitnessPolicy), 0o700))
	_, err = ledgerurl.Open(t.Context(), home)
	require.ErrorContains(t, err, "witness policy")

	require.NoError(t, os.Remove(filepath.Join(home, ledgerurl.HomeWitnessPolicy)))
	require.NoError(t, os.WriteFile(filepath.Join(home, ledgerurl.HomeWitnessPolicy), make([]byte, ledger.MaxWitnessPolicySize+1), 0o644))
	_, err = ledgerurl.Open(t.Context(), home)
	require.ErrorContains(t, err, "larger than")
}

func TestOpenTrillianWitnessed(t *testing.T) {
	key := filepath.Join(t.TempDir(), "trillian.key")
	ep, vkey, err := trillianlog.Init(t.Context(), trilliantest.InProcess(t), key, "evidctl.test/ledgerurl-witnessed")
	require.NoError(t, err)
	entry := ledger.Log{Origin: "evidctl.test/ledgerurl-witnessed", VerifierKey: vkey}
	w := witnesstest.Start(t, "w1", entry)
	l, err := ledgerurl.Open(t.Context(), ep.String(), ledgerurl.WithKeyFile(key), ledgerurl.WithWitnessPolicy(witnesstest.Policy(1, w)))
	require.NoError(t, err)
	defer l.Close()
	appendCosigned(t, l, entry, witnesstest.ParsedPolicy(t, 1, w))
}
