package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
)

// rawGet sends path exactly as given (no client-side cleaning or re-encoding) in a GET
// request line and returns the status and the body.
func rawGet(t *testing.T, base, path string) (int, []byte) {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	conn, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: "+u.Host+"\r\nConnection: close\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

// TestTilePaths: the server publishes the tile tree and nothing else, whatever the path
// says: encoded, double-encoded or backslashed dot segments, non-canonical tile paths,
// directories, and symbolic links inside the tile tree that lead out of it are all 404.
func TestTilePaths(t *testing.T) {
	backend, _ := posixlogtest.NewLog(t)
	_, err := backend.AppendBatch(t.Context(), [][]byte{ledgertest.Leaf("a"), ledgertest.Leaf("b")})
	require.NoError(t, err)
	dir := backend.Dir()
	secret := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(secret, []byte("SECRET outside the log"), 0o600))
	// Links planted in the tile tree, at paths the grammar accepts.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "tile", "1"), 0o755))
	require.NoError(t, os.Symlink(secret, filepath.Join(dir, "tile", "1", "000")))
	require.NoError(t, os.Symlink(filepath.Join(dir, ".state", "treeState"), filepath.Join(dir, "tile", "1", "001")))
	require.NoError(t, os.Symlink("../../.state/treeState", filepath.Join(dir, "tile", "1", "002")))
	require.NoError(t, os.Symlink(filepath.Dir(secret), filepath.Join(dir, "tile", "2")))
	url := serveHandler(t, backend, nil)

	want, err := os.ReadFile(filepath.Join(dir, "tile", "entries", "000.p", "2"))
	require.NoError(t, err)
	for _, path := range []string{"/tile/entries/000.p/2", "/tile/0/000.p/2", "/tile/entries/%30%30%30.p/2"} {
		code, body := rawGet(t, url, path)
		require.Equal(t, http.StatusOK, code, path)
		if path != "/tile/0/000.p/2" {
			require.Equal(t, want, body, path)
		}
	}

	for name, path := range map[string]string{
		"EncodedDots":          "/tile/%2e%2e/.state/treeState",
		"EncodedDotsUpper":     "/tile/%2E%2E/.state/treeState",
		"EncodedSlash":         "/tile/..%2f.state%2ftreeState",
		"DoubleEncodedDots":    "/tile/%252e%252e/.state/treeState",
		"DoubleEncodedSlash":   "/tile/..%252f.state%252ftreeState",
		"Backslash":            "/tile/..\\.state\\treeState",
		"EncodedBackslash":     "/tile/..%5c.state%5ctreeState",
		"PlainDots":            "/tile/../.state/treeState",
		"DotsInsideTile":       "/tile/0/../../.state/treeState",
		"Checkpoint":           "/tile/../checkpoint",
		"Directory":            "/tile/0/",
		"DirectoryNoSlash":     "/tile/entries",
		"PartialDirectory":     "/tile/entries/000.p",
		"NonCanonicalLevel":    "/tile/00/000.p/2",
		"NonCanonicalIndex":    "/tile/0/0.p/2",
		"NonCanonicalWidth":    "/tile/0/000.p/02",
		"ZeroWidth":            "/tile/0/000.p/0",
		"WidthTooLarge":        "/tile/0/000.p/256",
		"LevelTooLarge":        "/tile/64/000",
		"Signed":               "/tile/+0/000.p/2",
		"NULByte":              "/tile/0/000.p/2%00",
		"LinkOutside":          "/tile/1/000",
		"LinkToState":          "/tile/1/001",
		"RelativeLinkToState":  "/tile/1/002",
		"LinkedDirectory":      "/tile/2/secret",
		"LinkedDirectoryTile":  "/tile/2/000",
		"TrailingSlash":        "/tile/entries/000.p/2/",
		"DoubleSlash":          "/tile//entries/000.p/2",
		"DotSegment":           "/tile/./entries/000.p/2",
		"StateThroughEntries":  "/tile/entries/../../.state/treeState",
		"AbsoluteForm":         "http://x/tile/%2e%2e/.state/treeState",
		"QueryTrick":           "/tile/%2e%2e/.state/treeState?x=/tile/0/000",
		"UnicodeFullwidthDots": "/tile/%ef%bc%8e%ef%bc%8e/.state/treeState",
	} {
		t.Run(name, func(t *testing.T) {
			code, body := rawGet(t, url, path)
			require.NotEqual(t, http.StatusOK, code, "%s served: %q", path, body)
			require.NotContains(t, string(body), "SECRET")
			require.NotContains(t, string(body), "size", "the tree state leaked")
		})
	}
}

// TestTilesReadByTessera: Tessera's own tlog-tiles client reads the log through the
// server (the tile grammar refuses nothing a real client asks for), and its proofs are
// the ledger's.
func TestTilesReadByTessera(t *testing.T) {
	backend, entry := posixlogtest.NewLog(t)
	leaves := make([][]byte, 300) // more than one 256-leaf tile
	for i := range leaves {
		leaves[i] = ledgertest.Leaf(fmt.Sprint(i))
	}
	rs, err := backend.AppendBatch(t.Context(), leaves)
	require.NoError(t, err)
	base, err := url.Parse(serveHandler(t, backend, nil) + "/")
	require.NoError(t, err)
	f, err := client.NewHTTPFetcher(base, nil)
	require.NoError(t, err)
	v, err := note.NewVerifier(entry.VerifierKey)
	require.NoError(t, err)
	cp, _, _, err := client.FetchCheckpoint(t.Context(), f.ReadCheckpoint, v, entry.Origin)
	require.NoError(t, err)
	pb, err := client.NewProofBuilder(t.Context(), cp.Size, f.ReadTile)
	require.NoError(t, err)
	for _, i := range []int{0, 255, 256, 299} {
		got, err := pb.InclusionProof(t.Context(), rs[i].Index)
		require.NoError(t, err)
		want, err := backend.InclusionProof(t.Context(), rs[i].Index, cp.Size)
		require.NoError(t, err)
		require.Len(t, got, len(want))
		for j := range want {
			require.Equal(t, want[j][:], got[j], "leaf %d, node %d", i, j)
		}
		bundle, err := client.GetEntryBundle(t.Context(), f.ReadEntryBundle, rs[i].Index/256, cp.Size)
		require.NoError(t, err)
		require.Equal(t, leaves[i], bundle.Entries[rs[i].Index%256])
	}
}
