package ledger_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
)

// stampingBackend is a fakeBackend that time-stamps checkpoints with a fixed token.
type stampingBackend struct {
	*fakeBackend
	asked [][]byte
}

func (s *stampingBackend) TimestampCheckpoint(_ context.Context, checkpoint []byte) ([]byte, error) {
	s.asked = append(s.asked, checkpoint)
	return []byte("token"), nil
}

func TestNewOffersTheBackendsTimestamps(t *testing.T) {
	ctx := context.Background()
	t.Run("backend without a TSA", func(t *testing.T) {
		l := ledger.New(&fakeBackend{})
		_, err := l.(ledger.Timestamper).TimestampCheckpoint(ctx, []byte("cp\n"))
		require.ErrorIs(t, err, ledger.ErrNoTimestamps)
		require.ErrorContains(t, err, "time-stamping checkpoint of example.org/fake: ")
	})
	t.Run("backend with a TSA", func(t *testing.T) {
		b := &stampingBackend{fakeBackend: &fakeBackend{}}
		l := ledger.New(b)
		tok, err := l.(ledger.Timestamper).TimestampCheckpoint(ctx, []byte("cp\n"))
		require.NoError(t, err)
		require.Equal(t, "token", string(tok))
		require.Equal(t, [][]byte{[]byte("cp\n")}, b.asked)

		require.NoError(t, l.Close())
		_, err = l.(ledger.Timestamper).TimestampCheckpoint(ctx, []byte("cp\n"))
		require.ErrorIs(t, err, ledger.ErrClosed)
		require.Len(t, b.asked, 1, "not after Close")
	})
	t.Run("through a decorator", func(t *testing.T) {
		b := &fakeBackend{}
		l := ledger.New(b, ledger.WithDecorator(func(inner ledger.Backend) ledger.Backend {
			return &stampingBackend{fakeBackend: inner.(*fakeBackend)}
		}))
		_, err := l.(ledger.Timestamper).TimestampCheckpoint(ctx, []byte("cp\n"))
		require.NoError(t, err)
	})
	t.Run("cancelled context", func(t *testing.T) {
		b := &stampingBackend{fakeBackend: &fakeBackend{}}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := ledger.New(b).(ledger.Timestamper).TimestampCheckpoint(cctx, []byte("cp\n"))
		require.ErrorIs(t, err, context.Canceled)
		require.Empty(t, b.asked)
	})
}
