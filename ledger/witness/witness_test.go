package witness_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/witness"
	"github.com/evidctl/evidctl/ledger/witness/witnesstest"
)

func TestInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "w")
	vkey, err := witness.Init(dir, "witness.example/1")
	require.NoError(t, err)

	name, rest, _ := strings.Cut(vkey, "+")
	require.Equal(t, "witness.example/1", name)
	_, b64, _ := strings.Cut(rest, "+")
	raw, err := base64.StdEncoding.DecodeString(b64)
	require.NoError(t, err)
	require.Equal(t, byte(0x04), raw[0], "a cosignature/v1 verifier key")
	require.Len(t, raw, 33)

	fi, err := os.Stat(filepath.Join(dir, witness.KeyFile))
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
	got, err := witness.VerifierKey(dir)
	require.NoError(t, err)
	require.Equal(t, vkey, got)

	_, err = witness.Init(dir, "witness.example/1")
	require.ErrorIs(t, err, fs.ErrExist, "a second Init must not replace the key")
	_, err = witness.Init(filepath.Join(t.TempDir(), "w"), "bad name")
	require.Error(t, err)

	require.NoError(t, os.Chmod(filepath.Join(dir, witness.KeyFile), 0o644))
	_, err = witness.Open(t.Context(), dir)
	require.ErrorIs(t, err, fs.ErrPermission)
}

func TestAddLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "w")
	_, err := witness.Init(dir, "witness.example/1")
	require.NoError(t, err)
	a, b := witnesstest.NewTree(t, "log.example/a"), witnesstest.NewTree(t, "log.example/b")
	require.NoError(t, witness.AddLog(dir, a.Entry().Origin, a.Entry().VerifierKey))
	require.NoError(t, witness.AddLog(dir, a.Entry().Origin, a.Entry().VerifierKey), "adding again is a no-op")
	require.NoError(t, witness.AddLog(dir, b.Entry().Origin, b.Entry().VerifierKey))
	err = witness.AddLog(dir, a.Entry().Origin, b.Entry().VerifierKey)
	require.ErrorIs(t, err, witness.ErrLogKeyConflict)

	for name, args := range map[string][2]string{
		"empty origin": {"", a.Entry().VerifierKey},
		"bad key":      {"log.example/c", "nope"},
		"private key":  {"log.example/c", "PRIVATE+KEY+log.example/c+01234567+AQsecretsecret"},
		"newline":      {"log.example/c\nx", a.Entry().VerifierKey},
	} {
		err := witness.AddLog(dir, args[0], args[1])
		require.Error(t, err, name)
		require.NotContains(t, err.Error(), "secretsecret", name)
	}
	require.Error(t, witness.AddLog(t.TempDir(), "log.example/c", a.Entry().VerifierKey), "not a witness directory")

	logs, err := witness.Logs(dir)
	require.NoError(t, err)
	require.ElementsMatch(t, []witness.Log{
		{Origin: a.Entry().Origin, VerifierKey: a.Entry().VerifierKey},
		{Origin: b.Entry().Origin, VerifierKey: b.Entry().VerifierKey},
	}, logs)
}

// request is an add-checkpoint request body (c2sp.org/tlog-witness).
func request(old uint64, proof []tlog.Hash, cp []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", old)
	for _, h := range proof {
		fmt.Fprintf(&b, "%s\n", base64.StdEncoding.EncodeToString(h[:]))
	}
	b.WriteString("\n")
	b.Write(cp)
	return b.Bytes()
}

// newServer starts a witness that accepts tr's log, on an httptest server.
func newServer(t *testing.T, tr *witnesstest.Tree) (url, vkey string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "w")
	vkey, err := witness.Init(dir, "witness.example/1")
	require.NoError(t, err)
	require.NoError(t, witness.AddLog(dir, tr.Entry().Origin, tr.Entry().VerifierKey))
	s, err := witness.Open(t.Context(), dir)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv.URL, vkey
}

type answer struct {
	status      int
	contentType string
	body        string
}

func post(t *testing.T, url string, body []byte) answer {
	t.Helper()
	resp, err := http.Post(url+"/add-checkpoint", "", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

// TestStatusCodes checks every answer C2SP tlog-witness specifies, in the order a
// witness meets them, against one witness whose state grows as the cases run.
func TestStatusCodes(t *testing.T) {
	tr := witnesstest.NewTree(t, "log.example/a")
	tr.Grow(t, "a", 5)
	fork := tr.Fork() // shares the first 5 leaves
	fork.Grow(t, "fork", 12)
	tr.Grow(t, "a", 12)
	stranger := witnesstest.NewTree(t, "log.example/stranger")
	impostor := witnesstest.NewTree(t, "log.example/a") // same origin, another key
	url, vkey := newServer(t, tr)
	v, err := fnote.NewVerifierForCosignatureV1(vkey)
	require.NoError(t, err)

	ok := func(t *testing.T, a answer, cp []byte) {
		require.Equal(t, http.StatusOK, a.status, a.body)
		n, err := note.Open(append(bytes.Clone(cp), a.body...), note.VerifierList(v))
		require.NoError(t, err, "the answer is a cosignature by the witness's key")
		require.Len(t, n.Sigs, 1)
	}
	// Each case runs in order; the witness's state is what the earlier ones left.
	for _, tc := range []struct {
		name string
		body []byte
		want answer // zero status: expect a cosignature
	}{
		{"first checkpoint is trusted on first use", request(0, nil, tr.Checkpoint(t, 5)), answer{}},
		{"stale old size", request(0, nil, tr.Checkpoint(t, 9)), answer{409, "text/x.tlog.size", "5\n"}},
		{"consistent", request(5, tr.Consistency(t, 5, 9), tr.Checkpoint(t, 9)), answer{}},
		{"same checkpoint again", request(9, nil, tr.Checkpoint(t, 9)), answer{}},
		{"fork at the same size", request(9, nil, fork.Checkpoint(t, 9)), answer{409, "text/plain; charset=utf-8", "9\n"}},
		{"fork at a larger size", request(9, fork.Consistency(t, 9, 12), fork.Checkpoint(t, 12)), answer{status: 422}},
		{"proof for the wrong sizes", request(9, tr.Consistency(t, 5, 12), tr.Checkpoint(t, 12)), answer{status: 422}},
		{"old size above the checkpoint", request(12, nil, tr.Checkpoint(t, 9)), answer{status: 400}},
		{"rollback to a smaller tree", request(9, nil, tr.Checkpoint(t, 5)), answer{status: 400}},
		{"unknown log", request(0, nil, stranger.Checkpoint(t, 0)), answer{status: 404}},
		{"not signed by the log's key", request(9, tr.Consistency(t, 9, 12), impostor.Checkpoint(t, 0)), answer{status: 403}},
		{"not a request", []byte("hello"), answer{status: 400}},
		{"no origin line", request(0, nil, []byte("log.example/a")), answer{status: 400}},
		{"bad proof line", []byte("old 9\n!!!\n\n" + string(tr.Checkpoint(t, 12))), answer{status: 400}},
		{"extends after all that", request(9, tr.Consistency(t, 9, 12), tr.Checkpoint(t, 12)), answer{}},
		{"forked history never accepted", request(12, nil, fork.Checkpoint(t, 12)), answer{409, "text/plain; charset=utf-8", "12\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := post(t, url, tc.body)
			if tc.want.status == 0 {
				_, _, cp, _ := splitRequest(tc.body)
				ok(t, a, cp)
				return
			}
			require.Equal(t, tc.want.status, a.status, "body %q", a.body)
			if tc.want.contentType != "" {
				require.Equal(t, tc.want.contentType, a.contentType)
				require.Equal(t, tc.want.body, a.body)
			}
		})
	}

	t.Run("body too large", func(t *testing.T) {
		big := append(request(0, nil, tr.Checkpoint(t, 12)), bytes.Repeat([]byte("x"), witness.MaxRequestBytes)...)
		require.Equal(t, http.StatusRequestEntityTooLarge, post(t, url, big).status)
	})
	t.Run("GET", func(t *testing.T) {
		resp, err := http.Get(url + "/add-checkpoint")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	})
	t.Run("other path", func(t *testing.T) {
		require.Equal(t, http.StatusNotFound, post(t, url+"/x", request(0, nil, tr.Checkpoint(t, 12))).status)
	})
}

// splitRequest returns the checkpoint of a request body.
func splitRequest(body []byte) (string, []byte, []byte, bool) {
	head, cp, ok := bytes.Cut(body, []byte("\n\n"))
	return string(head), nil, cp, ok
}

// TestCosignatureTimestamp: a verifier reads the witness's cosignature as trusted time.
func TestCosignatureTimestamp(t *testing.T) {
	tr := witnesstest.NewTree(t, "log.example/a")
	tr.Grow(t, "a", 3)
	url, vkey := newServer(t, tr)
	before := time.Now().Truncate(time.Second)
	cp := tr.Checkpoint(t, 3)
	a := post(t, url, request(0, nil, cp))
	require.Equal(t, http.StatusOK, a.status)
	entry := tr.Entry()
	entry.Witnesses, entry.Quorum = []string{vkey}, 1
	got, err := (&ledger.Trust{Logs: []ledger.Log{entry}}).VerifyCheckpoint(append(cp, a.body...))
	require.NoError(t, err)
	require.Len(t, got.Cosignatures, 1)
	require.Equal(t, "witness.example/1", got.Cosignatures[0].KeyName)
	require.False(t, got.Cosignatures[0].Time.Before(before))
	require.False(t, got.Cosignatures[0].Time.After(time.Now()))
}

func TestServe(t *testing.T) {
	tr := witnesstest.NewTree(t, "log.example/a")
	dir := filepath.Join(t.TempDir(), "w")
	_, err := witness.Init(dir, "witness.example/1")
	require.NoError(t, err)
	require.NoError(t, witness.AddLog(dir, tr.Entry().Origin, tr.Entry().VerifierKey))
	listen := filepath.Join(t.TempDir(), "addr")

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- witness.Serve(ctx, dir, "127.0.0.1:0", witness.WithListenFile(listen)) }()
	addr := waitForFile(t, listen)
	require.Equal(t, http.StatusOK, post(t, "http://"+addr, request(0, nil, tr.Checkpoint(t, 0))).status)
	cancel()
	require.NoError(t, <-done, "a cancelled Serve stops cleanly")
	_, err = os.Stat(listen)
	require.ErrorIs(t, err, fs.ErrNotExist, "the listen file is removed")

	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(filepath.Join(t.TempDir(), "target"), link))
	err = witness.Serve(t.Context(), dir, "127.0.0.1:0", witness.WithListenFile(link))
	require.ErrorContains(t, err, "symbolic link")
}

// waitForFile waits (at most 10 s) for a listen file and returns its address.
func waitForFile(t *testing.T, path string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil && bytes.HasSuffix(b, []byte("\n")) {
			return strings.TrimSpace(string(b))
		}
		if !errors.Is(err, fs.ErrNotExist) && err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listen file %s after 10 s", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
