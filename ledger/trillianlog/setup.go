package trillianlog

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/google/trillian"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/evidctl/evidctl/ledger/internal/notekey"
)

// NewKey generates the personality's Ed25519 note signing key, named origin, and writes
// it to keyFile (which must not exist) with mode 0600. It returns the verifier key to put
// in trust policies. Use it when the tree already exists (made with Trillian's
// createtree); Init makes both.
//
// origin is the first line of every checkpoint: by C2SP convention a schema-less URL such
// as "evidence.example.org/trillian-1"; it may not contain spaces or '+'. Use one key (one
// origin) per tree: checkpoints of two trees under one origin would contradict each other.
func NewKey(keyFile, origin string) (verifierKey string, err error) {
	return notekey.WriteNew(keyFile, origin)
}

// CreateTree creates a new, active log tree through the Trillian admin API served by the
// log server at addr (host:port), initialises it (InitLog) and waits until its first,
// empty log root is readable. It retries while the server is unavailable, until ctx ends.
func CreateTree(ctx context.Context, addr string, opts ...Option) (Endpoint, error) {
	cfg := defaults()
	if err := cfg.apply(opts); err != nil {
		return Endpoint{}, fmt.Errorf("creating tree: %w", err)
	}
	conn, err := dial(addr, cfg)
	if err != nil {
		return Endpoint{}, fmt.Errorf("creating tree on %s: %w", addr, err)
	}
	defer conn.Close()
	req := &trillian.CreateTreeRequest{Tree: &trillian.Tree{
		TreeState:       trillian.TreeState_ACTIVE,
		TreeType:        trillian.TreeType_LOG,
		DisplayName:     cfg.displayName,
		MaxRootDuration: durationpb.New(cfg.maxRoot),
	}}
	admin, logs := trillian.NewTrillianAdminClient(conn), trillian.NewTrillianLogClient(conn)
	var tree *trillian.Tree
	err = retryUnavailable(ctx, func() (err error) {
		tree, err = admin.CreateTree(ctx, req)
		return err
	})
	if err != nil {
		return Endpoint{}, fmt.Errorf("creating tree on %s: %w", addr, err)
	}
	err = retryUnavailable(ctx, func() error {
		_, err := logs.InitLog(ctx, &trillian.InitLogRequest{LogId: tree.TreeId})
		return err
	})
	if err == nil {
		err = retryUnavailable(ctx, func() error {
			_, err := logs.GetLatestSignedLogRoot(ctx, &trillian.GetLatestSignedLogRootRequest{LogId: tree.TreeId})
			return err
		}, codes.FailedPrecondition)
	}
	if err != nil {
		return Endpoint{}, fmt.Errorf("initialising tree %d on %s: %w", tree.TreeId, addr, err)
	}
	return Endpoint{Addr: addr, TreeID: tree.TreeId}, nil
}

// retryUnavailable calls f until it succeeds, fails with a code other than Unavailable
// (or one of also), or ctx ends, backing off from 50 ms to 2 s.
func retryUnavailable(ctx context.Context, f func() error, also ...codes.Code) error {
	wait := 50 * time.Millisecond
	for {
		err := f()
		code := status.Code(err)
		if err == nil || (code != codes.Unavailable && !slices.Contains(also, code)) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// Init sets up a new Trillian-backed log: it creates and initialises a tree (CreateTree)
// and writes a new note key named origin to keyFile (NewKey). It returns the log's
// endpoint, to pass to Open, and the verifier key for trust policies. If the tree cannot
// be made, no key file is left behind.
func Init(ctx context.Context, addr, keyFile, origin string, opts ...Option) (Endpoint, string, error) {
	if _, err := os.Lstat(keyFile); err == nil {
		return Endpoint{}, "", fmt.Errorf("initialising trillian log: key file %s already exists", keyFile)
	}
	vkey, err := notekey.WriteNew(keyFile, origin)
	if err != nil {
		return Endpoint{}, "", fmt.Errorf("initialising trillian log: %w", err)
	}
	ep, err := CreateTree(ctx, addr, opts...)
	if err != nil {
		_ = os.Remove(keyFile)
		return Endpoint{}, "", fmt.Errorf("initialising trillian log: %w", err)
	}
	return ep, vkey, nil
}

// dial opens a gRPC client connection to addr; it connects lazily. Each call on it
// is bounded by cfg.callTimeout (calls.go).
func dial(addr string, cfg config) (*grpc.ClientConn, error) {
	opts := slices.Clone(cfg.dialOptions)
	if opts == nil {
		opts = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	if cfg.callTimeout > 0 {
		opts = append(opts, grpc.WithChainUnaryInterceptor(callDeadline(cfg.callTimeout)))
	}
	return grpc.NewClient(addr, opts...)
}
