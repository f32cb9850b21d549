package style

import (
	"context"
	"errors"
	"image"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
	// iters is the last iteration reported (set by the progress callback),
	// at its value when the context flipped.
	iters, at atomic.Int64
}

func newFlipCtx(n int32) *flipCtx {
	return &flipCtx{Context: context.Background(), n: n, done: make(chan struct{})}
}

func (c *flipCtx) Err() error {
	if atomic.AddInt32(&c.calls, 1) >= c.n {
		if c.closed.CompareAndSwap(false, true) {
			c.at.Store(c.iters.Load())
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
			WithExtraStyles(second), WithIterations(50), WithOptimizer(Adam(1)),
			WithProgress(func(p Progress) error { ctx.iters.Store(int64(p.Iteration)); return nil }))
		require.Error(t, err, "cancelled at Err call %d", n)
		assert.ErrorIs(t, err, context.Canceled, "cancelled at Err call %d", n)
		if res != nil {
			require.NotNil(t, res.Image, "a result always carries an image")
			assert.Equal(t, image.Rect(0, 0, 40, 32), res.Image.Bounds())
			assert.LessOrEqual(t, int64(res.Iterations), ctx.at.Load()+1, "stops within one iteration of the cancellation at Err call %d", n)
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

// A cancellation stops the run within one iteration, for both optimizers on
// both paths (in the graph and on the host), and returns the best image so
// far with an error matching context.Canceled. The cancel comes at
// iteration k from the progress callback, from another goroutine while the
// callback waits for it, or from another goroutine while the run goes on.
// The run stops after at most one more iteration than were done when
// cancel returned (k or k+1 for the first two). Its loss is the lowest of
// its history, and no higher than that of an uncancelled run of as many
// iterations; where both made the same evaluations (a cancel between
// iterations), their images are the same.
func TestCancelStopsWithinOneIteration(t *testing.T) {
	const k = 4
	type canceller int
	const (
		inCallback canceller = iota // the callback of iteration k cancels
		waited                      // a goroutine cancels; the callback of iteration k waits for it
		async                       // a goroutine cancels while the run goes on
	)
	// Adam's step is so large that its loss rises after iteration 2: the
	// best image is not the last one.
	optimizers := []struct {
		name       string
		opts       []Option
		bestIsLast bool
	}{
		{"adam in the graph", []Option{WithOptimizer(Adam(100))}, false},
		{"adam on the host", []Option{WithOptimizer(Adam(100)), onHost()}, false},
		{"lbfgs in the graph", []Option{WithOptimizer(LBFGS())}, true},
		{"lbfgs on the host", []Option{WithOptimizer(LBFGS()), onHost()}, true},
	}
	type cancelCase struct {
		name       string
		opts       []Option
		by         canceller
		bestIsLast bool
	}
	var cases []cancelCase
	for _, o := range optimizers {
		cases = append(cases,
			cancelCase{o.name + " from the callback", o.opts, inCallback, o.bestIsLast},
			cancelCase{o.name + " from a goroutine the callback waits for", o.opts, waited, o.bestIsLast},
			cancelCase{o.name + " from a goroutine during the run", o.opts, async, o.bestIsLast})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var seen, at atomic.Int64 // the last iteration reported; the iterations done when cancel returned
			reached := make(chan struct{})
			var wg sync.WaitGroup
			if tc.by != inCallback {
				wg.Add(1)
				go func() {
					defer wg.Done()
					select {
					case <-reached:
					case <-ctx.Done():
						return
					}
					cancel()
					at.Store(seen.Load())
				}()
			}
			progress := WithProgress(func(p Progress) error {
				seen.Store(int64(p.Iteration))
				if p.Iteration != k {
					return nil
				}
				switch tc.by {
				case inCallback:
					cancel()
					at.Store(k)
				case waited:
					close(reached)
					select {
					case <-ctx.Done():
					case <-time.After(10 * time.Second):
						return errors.New("the goroutine did not cancel")
					}
				case async:
					close(reached)
				}
				return nil
			})
			res, err := Transfer(ctx, contentImage(40, 32), styleImage(36, 36), append([]Option{WithModel(fixtureModel(t)),
				WithMaxSize(40), WithThreads(2, 1), WithIterations(100), progress}, tc.opts...)...)
			cancel()
			wg.Wait()
			require.NotNil(t, res)
			t.Logf("cancelled after iteration %d; stopped after %d, %d evaluations", at.Load(), res.Iterations, res.Evaluations)
			assert.GreaterOrEqual(t, res.Iterations, k)
			if tc.by != async {
				assert.LessOrEqual(t, res.Iterations, k+1, "stops within one iteration of the cancellation")
			}
			assert.LessOrEqual(t, int64(res.Iterations), at.Load()+1, "stops within one iteration of the cancellation")
			require.ErrorIs(t, err, context.Canceled)
			require.NotNil(t, res.Image)
			assert.Equal(t, image.Rect(0, 0, 40, 32), res.Image.Bounds())
			require.Len(t, res.History, res.Iterations)
			lowest := res.History[0].Loss
			for _, p := range res.History {
				lowest = min(lowest, p.Loss)
			}
			assert.LessOrEqual(t, res.Loss, lowest*(1+1e-6), "the best loss so far")
			if !tc.bestIsLast {
				require.Greater(t, res.History[len(res.History)-1].Loss, lowest, "the case has a best image before the last")
			}

			// An uncancelled run of as many iterations.
			ref, err := transfer(t, append(tc.opts, WithIterations(res.Iterations))...)
			require.NoError(t, err)
			assert.LessOrEqual(t, res.Loss, ref.Loss*(1+1e-5), "no worse than an uncancelled run of %d iterations", res.Iterations)
			if tc.by != async {
				require.Equal(t, ref.Evaluations, res.Evaluations, "cancelled between iterations")
			}
			if ref.Evaluations == res.Evaluations {
				assert.InDelta(t, ref.Loss, res.Loss, 1e-5*ref.Loss)
				assert.LessOrEqual(t, maxPixelDiff(ref.Image, res.Image), 1, "the image of an uncancelled run of %d iterations", res.Iterations)
			}
		})
	}
}

// maxPixelDiff is the largest difference of a channel value between two
// images of the same size.
func maxPixelDiff(a, b *image.RGBA) int {
	d := 0
	for i := range a.Pix {
		d = max(d, int(a.Pix[i])-int(b.Pix[i]), int(b.Pix[i])-int(a.Pix[i]))
	}
	return d
}
