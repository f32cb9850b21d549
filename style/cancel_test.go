package style

import (
	"context"
	"image"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flipCtx reports itself cancelled from the n-th call of Err on, which
// cancels a transfer at every point where it looks at its context: before
// the work, between the target computations, before each evaluation, after
// each iteration.
type flipCtx struct {
	context.Context
	calls, n int32
	done     chan struct{}
	closed   atomic.Bool
}

func newFlipCtx(n int32) *flipCtx {
	return &flipCtx{Context: context.Background(), n: n, done: make(chan struct{})}
}

func (c *flipCtx) Err() error {
	if atomic.AddInt32(&c.calls, 1) >= c.n {
		if c.closed.CompareAndSwap(false, true) {
			close(c.done)
		}
		return context.Canceled
	}
	return nil
}

func (c *flipCtx) Done() <-chan struct{} { return c.done }

func TestCancelAtEveryPoint(t *testing.T) {
	second := styleImage(24, 30)
	for n := int32(1); n <= 12; n++ {
		ctx := newFlipCtx(n)
		res, err := Transfer(ctx, contentImage(40, 32), styleImage(36, 36), WithModel(fixtureModel(t)), WithMaxSize(40),
			WithExtraStyles(second), WithIterations(50), WithOptimizer(Adam(1)))
		require.Error(t, err, "cancelled at Err call %d", n)
		assert.ErrorIs(t, err, context.Canceled, "cancelled at Err call %d", n)
		if res != nil {
			require.NotNil(t, res.Image, "a result always carries an image")
			assert.Equal(t, image.Rect(0, 0, 40, 32), res.Image.Bounds())
			assert.LessOrEqual(t, res.Iterations, int(n), "stops within one iteration of the cancellation")
		}
		assert.Zero(t, liveSessions.Load(), "session closed after cancellation at Err call %d", n)
	}
}

// A context cancelled while a checkpoint is being written stops the run
// right after that checkpoint, with the image of that iteration returned.
func TestCancelDuringCheckpoint(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var written []int
	res, err := Transfer(ctx, contentImage(40, 32), styleImage(36, 36), WithModel(fixtureModel(t)), WithMaxSize(40),
		WithIterations(50), WithOptimizer(Adam(1)), WithCheckpoint(4, func(c Checkpoint) error {
			written = append(written, c.Iteration)
			cancel() // the user pressed Ctrl-C while the file was being written
			return nil
		}))
	assert.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, res)
	assert.Equal(t, []int{4}, written)
	assert.Equal(t, 4, res.Iterations)
}
