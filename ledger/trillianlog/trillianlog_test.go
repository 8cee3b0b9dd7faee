package trillianlog_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/trillian"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/trillianlog"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

func TestParseURL(t *testing.T) {
	ep, err := trillianlog.ParseURL("trillian://127.0.0.1:8090/1234")
	require.NoError(t, err)
	require.Equal(t, trillianlog.Endpoint{Addr: "127.0.0.1:8090", TreeID: 1234}, ep)
	require.Equal(t, "trillian://127.0.0.1:8090/1234", ep.String())
	ep, err = trillianlog.ParseURL("trillian://[::1]:8090/7")
	require.NoError(t, err)
	require.Equal(t, "[::1]:8090", ep.Addr)
	for _, bad := range []string{
		"", "trillian://", "http://h:1/2", "trillian://h/2", "trillian://h:1", "trillian://h:1/",
		"trillian://h:1/0", "trillian://h:1/-3", "trillian://h:1/012", "trillian://h:1/2/3",
		"trillian://h:1/2?x=1", "trillian://u@h:1/2", "trillian://:1/2", "trillian://h:1/99999999999999999999",
	} {
		_, err := trillianlog.ParseURL(bad)
		require.Error(t, err, bad)
	}
}

// TestDuplicateLeaf: appending a leaf the log already holds returns a receipt that proves it.
func TestDuplicateLeaf(t *testing.T) {
	l, entry := trilliantest.NewLog(t, trilliantest.InProcess(t))
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
	leaf := ledgertest.Leaf(t.Name())
	for range 3 {
		ledgertest.AppendVerified(t, l, trust, leaf)
	}
}

// TestTwoPersonalities: two processes' worth of personalities with one key in front of one
// tree sign identical checkpoints, and each one's receipts verify under the other's.
func TestTwoPersonalities(t *testing.T) {
	key := filepath.Join(t.TempDir(), "trillian.key")
	ep, vkey, err := trillianlog.Init(t.Context(), trilliantest.InProcess(t), key, "evidctl.test/two")
	require.NoError(t, err)
	a, err := trillianlog.Open(t.Context(), ep.String(), key)
	require.NoError(t, err)
	defer a.Close()
	b, err := trillianlog.Open(t.Context(), ep.String(), key)
	require.NoError(t, err)
	defer b.Close()
	trust := &ledger.Trust{Logs: []ledger.Log{{Origin: a.Origin(), VerifierKey: vkey}}}

	var wg sync.WaitGroup
	rs := make([]*ledger.Receipt, 20)
	errs := make([]error, 20)
	for i := range rs {
		l := a
		if i%2 == 1 {
			l = b
		}
		wg.Go(func() { rs[i], errs[i] = l.Append(t.Context(), ledgertest.Leaf(t.Name()+string(rune('a'+i)))) })
	}
	wg.Wait()
	for i, r := range rs {
		require.NoError(t, errs[i])
		_, err := trust.VerifyReceipt(r, ledgertest.Leaf(t.Name()+string(rune('a'+i))))
		require.NoError(t, err)
	}
	ca, err := a.Checkpoint(t.Context())
	require.NoError(t, err)
	cb, err := b.Checkpoint(t.Context())
	require.NoError(t, err)
	require.Equal(t, string(ca), string(cb), "same root, same key: the same checkpoint bytes")
}

// TestKeyFile: Open refuses a key others can read, and Init refuses to overwrite a key.
func TestKeyFile(t *testing.T) {
	addr := trilliantest.InProcess(t)
	key := filepath.Join(t.TempDir(), "k")
	ep, _, err := trillianlog.Init(t.Context(), addr, key, "evidctl.test/keyfile")
	require.NoError(t, err)
	_, _, err = trillianlog.Init(t.Context(), addr, key, "evidctl.test/keyfile")
	require.ErrorContains(t, err, "already exists")
	require.NoError(t, os.Chmod(key, 0o644))
	_, err = trillianlog.Open(t.Context(), ep.String(), key)
	require.ErrorContains(t, err, "chmod 600")
	require.NoError(t, os.Chmod(key, 0o600))
	l, err := trillianlog.Open(t.Context(), ep.String(), key)
	require.NoError(t, err)
	require.NoError(t, l.Close())
	require.NoError(t, l.Close(), "second Close")

	_, err = trillianlog.Open(t.Context(), "trillian://"+addr+"/987654321", key)
	require.ErrorContains(t, err, "initialised", "a tree that does not exist")
}

// TestOptions: the tree options reach the tree CreateTree makes, the dial options replace
// the default transport, and bad values are refused.
func TestOptions(t *testing.T) {
	addr := trilliantest.InProcess(t)
	ctx := t.Context()
	ep, err := trillianlog.CreateTree(ctx, addr, trillianlog.WithDisplayName("evidctl options test"), trillianlog.WithMaxRootDuration(time.Hour))
	require.NoError(t, err)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	tree, err := trillian.NewTrillianAdminClient(conn).GetTree(ctx, &trillian.GetTreeRequest{TreeId: ep.TreeID})
	require.NoError(t, err)
	require.Equal(t, "evidctl options test", tree.GetDisplayName())
	require.Equal(t, time.Hour, tree.GetMaxRootDuration().AsDuration())

	_, err = trillianlog.CreateTree(ctx, addr, trillianlog.WithMaxRootDuration(-time.Second))
	require.ErrorContains(t, err, "max root duration -1s is negative")

	key := filepath.Join(t.TempDir(), "k")
	_, err = trillianlog.NewKey(key, "evidctl.test/options")
	require.NoError(t, err)
	_, err = trillianlog.Open(ctx, ep.String(), key, trillianlog.WithPollInterval(0))
	require.ErrorContains(t, err, "poll interval 0s is not positive")
	_, err = trillianlog.Open(ctx, ep.String(), key, trillianlog.WithCallTimeout(-time.Second))
	require.ErrorContains(t, err, "call timeout -1s is negative")
	_, err = trillianlog.Open(ctx, ep.String(), key, trillianlog.WithDialOptions(grpc.WithUserAgent("evidctl-test")))
	require.ErrorContains(t, err, "transport security", "the dial options replace the default plain-text transport")
	l, err := trillianlog.Open(ctx, ep.String(), key,
		trillianlog.WithDialOptions(grpc.WithTransportCredentials(insecure.NewCredentials())), trillianlog.WithPollInterval(time.Millisecond))
	require.NoError(t, err)
	defer l.Close()
	leaf := ledgertest.Leaf(t.Name())
	r, err := l.Append(ctx, leaf)
	require.NoError(t, err)
	_, err = (&ledger.Trust{Logs: []ledger.Log{{Origin: l.Origin(), VerifierKey: l.VerifierKey()}}}).VerifyReceipt(r, leaf)
	require.NoError(t, err)
}
