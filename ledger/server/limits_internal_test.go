package server

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestByteBudget: waiters are served in order, an address over its share is refused at
// once, and a waiter that gives up leaves the budget as it was.
func TestByteBudget(t *testing.T) {
	a, b, c := netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("10.0.0.2/32"), netip.MustParsePrefix("10.0.0.3/32")
	bb := newByteBudget(160, 40) // a share is 40 bytes
	ctx := t.Context()
	require.NoError(t, bb.acquire(ctx, a, 40))
	require.ErrorIs(t, bb.acquire(ctx, a, 1), errAddressShare)
	require.NoError(t, bb.acquire(ctx, b, 40))
	require.NoError(t, bb.acquire(ctx, c, 40))
	require.NoError(t, bb.acquire(ctx, netip.MustParsePrefix("10.0.0.4/32"), 30)) // 10 left

	// A large waiter first, then a small one that would fit in the 10 bytes left: the small
	// one waits its turn behind the large one.
	granted := make(chan string, 2)
	go func() {
		if bb.acquire(ctx, netip.MustParsePrefix("10.0.0.5/32"), 40) == nil {
			granted <- "large"
		}
	}()
	waiting := func(n int) func() bool {
		return func() bool { bb.mu.Lock(); defer bb.mu.Unlock(); return len(bb.waiters) == n }
	}
	require.Eventually(t, waiting(1), time.Second, time.Millisecond)
	go func() {
		if bb.acquire(ctx, netip.MustParsePrefix("10.0.0.6/32"), 5) == nil {
			granted <- "small"
		}
	}()
	require.Eventually(t, waiting(2), time.Second, time.Millisecond, "the small waiter jumped the queue")
	require.Empty(t, granted)
	bb.release(a, 40) // 50 free: both, in order
	require.ElementsMatch(t, []string{"large", "small"}, []string{<-granted, <-granted})

	// A waiter that gives up takes nothing, and its address's count is given back.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, bb.acquire(short, a, 40), context.DeadlineExceeded)
	bb.mu.Lock()
	require.Equal(t, int64(5), bb.free)
	require.Zero(t, bb.byAddr[a])
	require.Empty(t, bb.waiters)
	bb.mu.Unlock()
}

// TestAddrKey: IPv4 addresses count one by one, IPv6 ones by /64, mapped IPv4 as IPv4.
func TestAddrKey(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.1:443":         "192.0.2.1/32",
		"[2001:db8::1]:443":     "2001:db8::/64",
		"[2001:db8::2:1]:80":    "2001:db8::/64",
		"[2001:db8:0:1::1]:80":  "2001:db8:0:1::/64",
		"[::ffff:192.0.2.1]:80": "192.0.2.1/32",
		"[fe80::1%eth0]:80":     "fe80::/64",
		"not an address":        "invalid Prefix",
	} {
		require.Equal(t, want, addrKey(remote).String(), remote)
	}
}
