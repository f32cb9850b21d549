package style

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// Every session a transfer opens is closed: by Transfer itself, by
// Transferer.Close, and on the error paths.
func TestSessionsAreClosed(t *testing.T) {
	require.Zero(t, liveSessions.Load())
	_, err := transfer(t, WithIterations(3))
	require.NoError(t, err)
	assert.Zero(t, liveSessions.Load(), "after a one-shot Transfer")

	ctx, cancel := context.WithCancel(context.Background())
	_, err = Transfer(ctx, contentImage(40, 32), styleImage(36, 36), WithModel(fixtureModel(t)), WithMaxSize(40),
		WithProgress(func(Progress) error { cancel(); return nil }))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, liveSessions.Load(), "after a cancelled Transfer")

	tr, err := NewTransferer(WithModel(fixtureModel(t)), WithIterations(2), WithMaxSize(40))
	require.NoError(t, err)
	for _, w := range []int{40, 30, 40} {
		_, err := tr.Transfer(context.Background(), contentImage(w, 32), styleImage(36, 36))
		require.NoError(t, err)
		assert.Equal(t, int64(1), liveSessions.Load(), "a Transferer holds one session at a time")
	}
	require.NoError(t, tr.Close())
	assert.Zero(t, liveSessions.Load(), "after Transferer.Close")
}
