package server_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/trillian"
	"github.com/google/trillian/types"
	"github.com/transparency-dev/merkle/rfc6962"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/evidctl/evidctl/crypto/sign"
	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/httplog"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/posixlog/posixlogtest"
	"github.com/evidctl/evidctl/ledger/server"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

// BenchmarkServe measures signed appends per second through the ledger server (client
// signs a 64-byte entry, posts it, gets a receipt whose path it checks) beside the raw
// engine on the same machine in the same run: Tessera Add + publication await with
// posixlog's settings; and, on the process Trillian of scripts/trillian/up.sh
// ($EVIDCTL_TRILLIAN; skipped without it), Trillian QueueLeaf alone (the intake rate; the
// leaf is not yet in the tree when it returns) and QueueLeaf then polling until the leaf
// is integrated (rawQueueAndWait). Closed loops: each of
// the N clients waits for its answer before sending the next.
//
//	bench/serve.sh
func BenchmarkServe(b *testing.B) {
	for _, clients := range []int{64, 256} {
		b.Run(fmt.Sprintf("posix/server/clients=%d", clients), func(b *testing.B) {
			l, entry := posixlogtest.NewLog(b)
			runClients(b, clients, serverAppend(b, l, entry))
		})
		b.Run(fmt.Sprintf("posix/tessera/clients=%d", clients), func(b *testing.B) {
			runClients(b, clients, posixlogtest.RawTessera(b))
		})
		b.Run(fmt.Sprintf("trillian/server/clients=%d", clients), func(b *testing.B) {
			addr, _ := trilliantest.FromEnv(b)
			l, entry := trilliantest.NewLog(b, addr)
			runClients(b, clients, serverAppend(b, l, entry))
		})
		b.Run(fmt.Sprintf("trillian/queueleaf/clients=%d", clients), func(b *testing.B) {
			addr, tree := trilliantest.FromEnv(b)
			runClients(b, clients, rawQueueLeaf(b, addr, tree))
		})
		b.Run(fmt.Sprintf("trillian/queue+wait/clients=%d", clients), func(b *testing.B) {
			addr, tree := trilliantest.FromEnv(b)
			runClients(b, clients, rawQueueAndWait(b, addr, tree))
		})
	}
}

// serverAppend serves l on loopback and returns a function appending one signed entry
// through a client that verifies the server's checkpoints with entry.
func serverAppend(b *testing.B, l ledger.Ledger, entry ledger.Log) func(context.Context, int) error {
	s := ledgertest.NewSigner(b)
	url := serveHandler(b, l, []*sign.Verifier{s.Verifier()}, server.WithLogger(discardLogger()), server.WithRateLimit(0, 0)) // one key for all clients
	c, err := httplog.Open(b.Context(), url, httplog.WithTrust(&ledger.Trust{Logs: []ledger.Log{entry}}), httplog.WithHTTPClient(&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close() })
	run := make([]byte, 8)
	_, _ = rand.Read(run)
	appendFn := func(ctx context.Context, i int) error {
		_, err := c.AppendSigned(ctx, ledgertest.Leaf(fmt.Sprintf(`{"bench":"%x","event":%d}`, run, i)), s)
		return err
	}
	// Warm up: a new Trillian tree waits up to a second for the signer to take it on.
	if err := appendFn(b.Context(), -1); err != nil {
		b.Fatal(err)
	}
	return appendFn
}

// rawQueueLeaf returns a function queueing one new leaf on the tree with Trillian's own
// API (the tree of up.sh, or a new one).
func rawQueueLeaf(b *testing.B, addr string, tree int64) func(context.Context, int) error {
	c, tree := trillianClient(b, addr, tree)
	return func(ctx context.Context, i int) error {
		_, err := c.QueueLeaf(ctx, &trillian.QueueLeafRequest{LogId: tree, Leaf: &trillian.LogLeaf{LeafValue: ledgertest.UniqueEntry(i)}})
		return err
	}
}

// rawQueueAndWait is a minimal append-and-wait on Trillian's API alone, with no signing,
// no proof checking and no HTTP: QueueLeaf, then every 20 ms read the latest root and ask
// for an inclusion proof by leaf hash at its size, until there is one. (Trillian's own
// client.LogClient.AddLeaf does the same but can wait forever under concurrency when no
// new root follows, so it is not used.)
func rawQueueAndWait(b *testing.B, addr string, tree int64) func(context.Context, int) error {
	c, tree := trillianClient(b, addr, tree)
	return func(ctx context.Context, i int) error {
		leaf := ledgertest.UniqueEntry(i)
		if _, err := c.QueueLeaf(ctx, &trillian.QueueLeafRequest{LogId: tree, Leaf: &trillian.LogLeaf{LeafValue: leaf}}); err != nil {
			return err
		}
		hash := rfc6962.DefaultHasher.HashLeaf(leaf)
		for {
			time.Sleep(20 * time.Millisecond)
			resp, err := c.GetLatestSignedLogRoot(ctx, &trillian.GetLatestSignedLogRootRequest{LogId: tree})
			if err != nil {
				return err
			}
			var root types.LogRootV1
			if err := root.UnmarshalBinary(resp.GetSignedLogRoot().GetLogRoot()); err != nil {
				return err
			}
			if root.TreeSize == 0 {
				continue
			}
			_, err = c.GetInclusionProofByHash(ctx, &trillian.GetInclusionProofByHashRequest{LogId: tree, LeafHash: hash, TreeSize: int64(root.TreeSize)})
			if status.Code(err) != codes.NotFound {
				return err
			}
		}
	}
}

// trillianClient connects to the log server at addr, and makes a tree if tree is 0.
func trillianClient(b *testing.B, addr string, tree int64) (trillian.TrillianLogClient, int64) {
	if tree == 0 {
		l, _ := trilliantest.NewLog(b, addr)
		tree = l.Endpoint().TreeID
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	return trillian.NewTrillianLogClient(conn), tree
}

// runClients measures appendFn with ledgertest.ClosedLoop, the same closed-loop
// driver posixlog's benchmark uses; ns/op is meaningless across clients and is hidden.
func runClients(b *testing.B, n int, appendFn func(context.Context, int) error) {
	ledgertest.ClosedLoop(b, n, appendFn)
	b.ReportMetric(0, "ns/op")
}
