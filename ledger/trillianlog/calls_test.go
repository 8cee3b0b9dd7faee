package trillianlog_test

import (
	"context"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/trillian"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/evidctl/evidctl/ledger"
	"github.com/evidctl/evidctl/ledger/ledgertest"
	"github.com/evidctl/evidctl/ledger/trillianlog"
	"github.com/evidctl/evidctl/ledger/trillianlog/trilliantest"
)

// silentServer is a Trillian log server that accepts every call and answers none: each
// waits until its caller gives up. It stands for a server whose storage has stalled.
type silentServer struct {
	trillian.UnimplementedTrillianLogServer
}

func (silentServer) GetLatestSignedLogRoot(ctx context.Context, _ *trillian.GetLatestSignedLogRootRequest) (*trillian.GetLatestSignedLogRootResponse, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// serve runs srv on a loopback port until the test ends and returns its address.
func serve(t *testing.T, srv trillian.TrillianLogServer) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	g := grpc.NewServer()
	trillian.RegisterTrillianLogServer(g, srv)
	go func() { _ = g.Serve(lis) }()
	t.Cleanup(g.Stop)
	return lis.Addr().String()
}

// TestOpenGivesUpOnASilentServer: a Trillian that accepts the connection and never
// answers makes Open fail once the call timeout has passed, with an error that names the
// call and the limit, even when the caller's context has no deadline.
func TestOpenGivesUpOnASilentServer(t *testing.T) {
	addr := serve(t, silentServer{})
	key := filepath.Join(t.TempDir(), "k")
	_, err := trillianlog.NewKey(key, "evidctl.test/silent")
	require.NoError(t, err)

	done := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := trillianlog.Open(context.Background(), "trillian://"+addr+"/1", key, trillianlog.WithCallTimeout(500*time.Millisecond))
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatal("Open still waits for a silent Trillian after a minute")
	}
	require.Error(t, err)
	require.Equal(t, codes.DeadlineExceeded, status.Code(err), "%v", err)
	require.ErrorContains(t, err, "GetLatestSignedLogRoot within 500ms")
	require.Less(t, time.Since(start), 30*time.Second)
}

// forwardOnce is a Trillian log server in front of a real one: it forwards every call
// the personality makes, but holds the first QueueLeaf unanswered (and does not pass it
// on) until its caller gives up.
type forwardOnce struct {
	trillian.UnimplementedTrillianLogServer
	to     trillian.TrillianLogClient
	queued atomic.Int32
}

func (f *forwardOnce) QueueLeaf(ctx context.Context, in *trillian.QueueLeafRequest) (*trillian.QueueLeafResponse, error) {
	if f.queued.Add(1) == 1 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return f.to.QueueLeaf(ctx, in)
}

func (f *forwardOnce) GetLatestSignedLogRoot(ctx context.Context, in *trillian.GetLatestSignedLogRootRequest) (*trillian.GetLatestSignedLogRootResponse, error) {
	return f.to.GetLatestSignedLogRoot(ctx, in)
}

func (f *forwardOnce) GetInclusionProof(ctx context.Context, in *trillian.GetInclusionProofRequest) (*trillian.GetInclusionProofResponse, error) {
	return f.to.GetInclusionProof(ctx, in)
}

func (f *forwardOnce) GetInclusionProofByHash(ctx context.Context, in *trillian.GetInclusionProofByHashRequest) (*trillian.GetInclusionProofByHashResponse, error) {
	return f.to.GetInclusionProofByHash(ctx, in)
}

func (f *forwardOnce) GetLeavesByRange(ctx context.Context, in *trillian.GetLeavesByRangeRequest) (*trillian.GetLeavesByRangeResponse, error) {
	return f.to.GetLeavesByRange(ctx, in)
}

// TestQueueLeafTriedAgainAfterTimeout: a QueueLeaf that gets no answer within the call
// timeout may still have queued the leaf, so it is tried again, and the Append returns
// the leaf's receipt.
func TestQueueLeafTriedAgainAfterTimeout(t *testing.T) {
	upstream := trilliantest.InProcess(t)
	conn, err := grpc.NewClient(upstream, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	ep, err := trillianlog.CreateTree(ctx, upstream)
	require.NoError(t, err)

	fwd := &forwardOnce{to: trillian.NewTrillianLogClient(conn)}
	front := serve(t, fwd)
	key := filepath.Join(t.TempDir(), "k")
	_, err = trillianlog.NewKey(key, ledgertest.Origin(t, "evidctl.test/retry/"))
	require.NoError(t, err)
	l, err := trillianlog.Open(ctx, trillianlog.Endpoint{Addr: front, TreeID: ep.TreeID}.String(), key,
		trillianlog.WithCallTimeout(2*time.Second), trillianlog.WithPollInterval(5*time.Millisecond))
	require.NoError(t, err)
	defer l.Close()

	leaf := ledgertest.Leaf(t.Name())
	r, err := l.Append(ctx, leaf)
	require.NoError(t, err)
	require.EqualValues(t, 2, fwd.queued.Load(), "QueueLeaf calls: the one left unanswered, then the one that queued the leaf")
	_, err = (&ledger.Trust{Logs: []ledger.Log{{Origin: l.Origin(), VerifierKey: l.VerifierKey()}}}).VerifyReceipt(r, leaf)
	require.NoError(t, err)
}

// TestCallerDeadlineComesFirst: when the caller's context ends before the call timeout,
// the call ends with it, and the error does not blame the call timeout.
func TestCallerDeadlineComesFirst(t *testing.T) {
	addr := serve(t, silentServer{})
	key := filepath.Join(t.TempDir(), "k")
	_, err := trillianlog.NewKey(key, "evidctl.test/silent")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = trillianlog.Open(ctx, "trillian://"+addr+"/1", key, trillianlog.WithCallTimeout(time.Minute))
	require.Error(t, err)
	require.Equal(t, codes.DeadlineExceeded, status.Code(err), "%v", err)
	require.NotContains(t, err.Error(), "WithCallTimeout")
	require.Less(t, time.Since(start), 30*time.Second)
}
