package trillianlog

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// DefaultCallTimeout bounds each call to Trillian whose context has no earlier
// deadline. A Trillian server that accepts a connection and then never answers (its
// storage stalled, a proxy that holds requests) would otherwise hold an Append, Open
// or proof request for as long as its context lasts, which for a server's background
// work or a CLI is forever. Every call this package makes is small (one leaf, one
// proof, one root, a bounded range of leaves), so 30 s is far beyond a healthy answer.
const DefaultCallTimeout = 30 * time.Second

// WithCallTimeout sets the longest one call to Trillian may take (default
// DefaultCallTimeout); 0 sets no limit beyond the caller's context. A call that runs
// out of it fails with codes.DeadlineExceeded, naming the call and the limit; a
// QueueLeaf that does is tried again, as when Trillian is unreachable, since the leaf
// may have been queued.
func WithCallTimeout(d time.Duration) Option { return func(c *config) { c.callTimeout = d } }

// callDeadline is the unary client interceptor of WithCallTimeout: it gives each call
// at most d, unless the caller's context ends sooner, and says so when that limit ended
// the call. The deadline travels with the call, so the server may end it a moment
// before the client does: a DeadlineExceeded that comes within d/10 of the limit is
// the limit's.
func callDeadline(d time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		deadline := time.Now().Add(d)
		if theirs, ok := ctx.Deadline(); ok && theirs.Before(deadline) {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		callCtx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		err := invoker(callCtx, method, req, reply, cc, opts...)
		if status.Code(err) == codes.DeadlineExceeded && ctx.Err() == nil && time.Until(deadline) < d/10 {
			return status.Errorf(codes.DeadlineExceeded, "trillian did not answer %s within %v (trillianlog.WithCallTimeout): %v", method, d, err)
		}
		return err
	}
}
