package posixlog_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
)

// TestServedOverHTTP publishes the log directory with a plain static file server and
// reads it back as a tlog-tiles log with Tessera's client.
func TestServedOverHTTP(t *testing.T) {
	l, entry := posixlogtest.NewLog(t)
	ctx := t.Context()
	leaves := make([][]byte, 300) // more than one 256-leaf tile
	for i := range leaves {
		leaves[i] = ledgertest.Leaf(string(rune(i)))
	}
	rs, err := l.AppendBatch(ctx, leaves)
	require.NoError(t, err)

	srv := httptest.NewServer(http.FileServer(http.Dir(l.Dir())))
	defer srv.Close()
	u, err := url.Parse(srv.URL + "/")
	require.NoError(t, err)
	f, err := client.NewHTTPFetcher(u, srv.Client())
	require.NoError(t, err)

	v, err := note.NewVerifier(entry.VerifierKey)
	require.NoError(t, err)
	cp, cpRaw, _, err := client.FetchCheckpoint(ctx, f.ReadCheckpoint, v, entry.Origin)
	require.NoError(t, err)
	require.GreaterOrEqual(t, cp.Size, uint64(len(leaves)))

	pb, err := client.NewProofBuilder(ctx, cp.Size, f.ReadTile)
	require.NoError(t, err)
	trust := &ledger.Trust{Logs: []ledger.Log{entry}}
	for _, i := range []int{0, 17, 255, 256, 299} {
		raw, err := pb.InclusionProof(ctx, rs[i].Index)
		require.NoError(t, err)
		r := &ledger.Receipt{Index: rs[i].Index, Checkpoint: cpRaw}
		for _, h := range raw {
			r.Proof = append(r.Proof, [32]byte(h))
		}
		_, err = trust.VerifyReceipt(r, leaves[i])
		require.NoError(t, err, "leaf %d, proved from tiles served over HTTP", i)
		ours, err := l.InclusionProof(ctx, rs[i].Index, cp.Size)
		require.NoError(t, err)
		require.Equal(t, r.Proof, ours, "the log's proof is Tessera's ProofBuilder's")

		bundle, err := client.GetEntryBundle(ctx, f.ReadEntryBundle, rs[i].Index/256, cp.Size)
		require.NoError(t, err)
		require.Equal(t, leaves[i], bundle.Entries[rs[i].Index%256], "the leaf itself is served")
	}
	for _, old := range []uint64{1, 2, 7, 255, 256, 257, cp.Size - 1} {
		raw, err := pb.ConsistencyProof(ctx, old, cp.Size)
		require.NoError(t, err)
		ours, err := l.ConsistencyProof(ctx, old, cp.Size)
		require.NoError(t, err)
		require.Len(t, ours, len(raw))
		for j := range raw {
			require.Equal(t, raw[j], ours[j][:], "consistency proof from %d, node %d", old, j)
		}
	}
	runFsck(t, f, entry)
}
