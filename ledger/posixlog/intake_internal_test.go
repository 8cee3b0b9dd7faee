package posixlog

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestIntakeGroupsConcurrentReservations: the reserved leaves of appends reserving at
// the same moment go to Tessera together, once the last is reserved; a leaf whose
// companions take too long goes after maxWait.
func TestIntakeGroupsConcurrentReservations(t *testing.T) {
	groups := make(chan []*handoff, 4)
	in := &intake{maxWait: 200 * time.Millisecond, hand: func(g []*handoff) { groups <- g }}
	h1, h2 := &handoff{}, &handoff{}
	in.begin(1)
	in.begin(2)
	in.submit(h1, 1)
	in.submit(nil, 1) // a leaf already logged
	select {
	case <-groups:
		t.Fatal("handed over while a leaf was still reserving")
	case <-time.After(50 * time.Millisecond):
	}
	in.submit(h2, 1)
	require.Equal(t, []*handoff{h1, h2}, <-groups)

	h3 := &handoff{}
	in.begin(2)
	in.pause() // waiting for another append of its key: not waited for
	in.submit(h3, 1)
	require.Equal(t, []*handoff{h3}, <-groups)
	in.resume()

	h4 := &handoff{}
	in.begin(1)
	start := time.Now()
	in.submit(h4, 1) // the resumed leaf is still reserving
	require.Equal(t, []*handoff{h4}, <-groups)
	require.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond, "after maxWait")
	in.submit(nil, 1)

	h5 := &handoff{}
	in.begin(1)
	start = time.Now()
	in.submit(h5, 1)
	require.Equal(t, []*handoff{h5}, <-groups)
	require.Less(t, time.Since(start), 100*time.Millisecond, "alone: at once")
}

// TestSizeFloor: the floor reads the tree state at most every so often, and never goes
// down.
func TestSizeFloor(t *testing.T) {
	reads, size := 0, uint64(5)
	f := &sizeFloor{every: time.Hour, read: func(context.Context) (uint64, error) { reads++; return size, nil }}
	got, err := f.get(t.Context())
	require.NoError(t, err)
	require.Equal(t, uint64(5), got)
	size = 9
	f.raise(7)
	got, _ = f.get(t.Context())
	require.Equal(t, uint64(7), got, "raised, not read again")
	require.Equal(t, 1, reads)
	f.every = 0
	got, _ = f.get(t.Context())
	require.Equal(t, uint64(9), got)
	size = 3
	got, _ = f.get(t.Context())
	require.Equal(t, uint64(9), got, "never down")
}
