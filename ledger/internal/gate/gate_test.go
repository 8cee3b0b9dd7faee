package gate

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/evidctl/evidctl/ledger"
)

func TestGate(t *testing.T) {
	var g Gate
	require.NoError(t, g.Enter("log"))
	require.True(t, g.Close())
	require.False(t, g.Close(), "a second Close reports the gate was closed")
	require.ErrorIs(t, g.Enter("log"), ledger.ErrClosed)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, g.Wait(ctx), context.DeadlineExceeded, "one operation still in flight")
	g.Done()
	require.NoError(t, g.Wait(context.Background()))
}
