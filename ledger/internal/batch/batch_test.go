package batch

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEach(t *testing.T) {
	var running, most atomic.Int32
	out, err := Each(8, func(i int) (int, error) {
		most.Store(max(most.Load(), running.Add(1)))
		time.Sleep(10 * time.Millisecond)
		running.Add(-1)
		return i * i, nil
	})
	require.NoError(t, err)
	require.Equal(t, []int{0, 1, 4, 9, 16, 25, 36, 49}, out)
	require.Greater(t, most.Load(), int32(1), "the calls ran one at a time")
}

func TestEachErrors(t *testing.T) {
	refused := errors.New("refused")
	out, err := Each(3, func(i int) (*int, error) {
		if i == 1 {
			return nil, refused
		}
		return &i, nil
	})
	require.ErrorIs(t, err, refused)
	require.EqualError(t, err, "leaf 2 of 3: refused")
	require.NotNil(t, out[0])
	require.Nil(t, out[1])
	require.NotNil(t, out[2])

	_, err = Each(1, func(int) (int, error) { return 0, refused })
	require.EqualError(t, err, "refused", "a batch of one names no position")

	out0, err := Each(0, func(int) (int, error) { return 0, refused })
	require.NoError(t, err)
	require.Empty(t, out0)
}
