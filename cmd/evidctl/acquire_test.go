package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger/httpapi"
	"github.com/evidctl/evidctl/ledger/ledgerurl"
	"github.com/evidctl/evidctl/ledger/server"
)

// acquire makes the sealed payload durable under its name before it logs the event:
// when the ledger server receives the append, NAME.age is already in place. When the
// append is refused, the payload is removed again and nothing is left.
func TestAcquireCommitsPayloadBeforeLogging(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	t.Setenv("EVIDCTL_HOME", home)
	t.Setenv("EVIDCTL_PASSWORD", "correct horse battery staple")
	p := func(name string) string { return filepath.Join(dir, name) }
	evidctl := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := run(args, nil, &out, &out)
		return code, out.String()
	}
	must := func(args ...string) {
		t.Helper()
		code, out := evidctl(args...)
		require.Zero(t, code, "evidctl %v:\n%s", args, out)
	}
	must("init")
	for _, who := range []string{"lab", "mallory"} {
		must("keygen", "--out", p(who), "--age", "--name", who, "--org", "Lab", "--role", "examiner", "--jurisdiction", "FR")
	}
	must("trust", "init", "--trust", p("trust.json"))
	must("trust", "add-log", "--trust", p("trust.json"))
	require.NoError(t, os.WriteFile(p("image.dd"), []byte("disk image bytes"), 0o600))

	l, err := ledgerurl.Open(context.Background(), home)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	pub, err := os.ReadFile(p("lab.pub"))
	require.NoError(t, err)
	v, err := sign.LoadVerifier(pub)
	require.NoError(t, err)
	h, err := server.New(l, []*sign.Verifier{v})
	require.NoError(t, err)
	var appends, payloadThere atomic.Int32
	var watched atomic.Value // the payload the acquire under way writes
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, httpapi.AppendPath) {
			appends.Add(1)
			if _, err := os.Stat(watched.Load().(string)); err == nil {
				payloadThere.Add(1)
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	watched.Store(p("case.age"))
	must("acquire", p("image.dd"), "--key", p("lab.key"), "--recipient", p("lab.recipient.txt"), "--out", p("case"),
		"--ledger", srv.URL, "--ledger-trust", p("trust.json"))
	require.Equal(t, int32(1), appends.Load())
	require.Equal(t, int32(1), payloadThere.Load(), "the payload was not in place when the event was logged")
	require.FileExists(t, p("case.custody.json"))

	watched.Store(p("m.age"))
	code, out := evidctl("acquire", p("image.dd"), "--key", p("mallory.key"), "--recipient", p("mallory.recipient.txt"), "--out", p("m"),
		"--ledger", srv.URL, "--ledger-trust", p("trust.json"))
	require.NotZero(t, code, out)
	require.Equal(t, int32(2), appends.Load())
	require.Equal(t, int32(2), payloadThere.Load(), "the refused payload was in place during the append")
	require.NoFileExists(t, p("m.age"), "a payload whose event was not logged is removed")
	require.NoFileExists(t, p("m.custody.json"))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.NotRegexp(t, `^\.m\.`, e.Name(), "a temporary file was left behind")
	}
}
