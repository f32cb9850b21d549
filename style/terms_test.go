package style

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/imageio"
)

// pullTerm is a term that pulls the image towards target: the mean of
// (image − target)² with target fed as an input.
func pullTerm(t *testing.T, name string, weight float64, target image.Image) Term {
	t.Helper()
	x, h, w := imageio.ToTensor(target, imageio.Mean(fixtureModel(t).MeanPixel()))
	in, err := tf.NewTensor(x)
	require.NoError(t, err)
	require.NoError(t, in.Reshape([]int64{1, int64(h), int64(w), 3}))
	return Term{Name: name, Weight: weight, Inputs: []*tf.Tensor{in},
		Build: func(s *op.Scope, img tf.Output, inputs []tf.Output) (tf.Output, error) {
			return op.Mean(s, op.SquaredDifference(s, img, inputs[0]), op.Const(s.SubScope("axes"), []int32{0, 1, 2, 3})), nil
		}}
}

func uniform(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(c), image.Point{}, draw.Src)
	return img
}

// With only an extra term, the optimizer follows its gradient to its
// minimum; a second transfer on the same graph (same term key) sees the
// new input.
func TestTermsPullTowardsTarget(t *testing.T) {
	tr, err := NewTransferer(WithModel(fixtureModel(t)), WithMaxSize(40), WithThreads(2, 1),
		WithContentWeight(0), WithStyleWeight(0), WithTVWeight(0), WithIterations(30))
	require.NoError(t, err)
	defer tr.Close()
	for _, target := range []*image.RGBA{uniform(40, 32, color.RGBA{200, 60, 30, 255}), styleImage(40, 32)} {
		var first Progress
		res, err := tr.Transfer(context.Background(), contentImage(40, 32), styleImage(36, 36),
			WithTerms(pullTerm(t, "pull", 1, target)),
			WithProgress(func(p Progress) error {
				if p.Iteration == 1 {
					first = p
				}
				return nil
			}))
		require.NoError(t, err)
		assert.Greater(t, first.Terms, 0.0)
		assert.InDelta(t, first.Loss, first.Terms, 1e-6*first.Loss, "only the term is weighted")
		assert.Less(t, meanAbsDiff(res.Image, target), 1.0)
	}
}

// The term's weighted value is part of the total loss next to the others.
func TestTermsAddToLoss(t *testing.T) {
	var ps []Progress
	_, err := transfer(t, WithIterations(3), WithTerms(pullTerm(t, "pull", 2.5, uniform(40, 32, color.RGBA{0, 0, 0, 255}))),
		WithProgress(func(p Progress) error { ps = append(ps, p); return nil }))
	require.NoError(t, err)
	require.NotEmpty(t, ps)
	for _, p := range ps {
		assert.Greater(t, p.Terms, 0.0)
		assert.InDelta(t, p.Loss, p.Content+p.Style+p.TV+p.Terms, 1e-5*p.Loss)
	}
}

func TestInitImageStartsThere(t *testing.T) {
	start := uniform(80, 64, color.RGBA{10, 200, 120, 255})
	res, err := transfer(t, WithInitImage(start), WithIterations(1), WithOptimizer(Adam(1e-9)))
	require.NoError(t, err)
	assert.Less(t, meanAbsDiff(res.Image, uniform(40, 32, color.RGBA{10, 200, 120, 255})), 0.5)
}

func TestInvalidTerms(t *testing.T) {
	build := func(s *op.Scope, img tf.Output, _ []tf.Output) (tf.Output, error) {
		return op.Sum(s, img, op.Const(s.SubScope("axes"), []int32{0, 1, 2, 3})), nil
	}
	cases := []struct {
		name string
		opt  Option
		msg  string
	}{
		{"empty name", WithTerms(Term{Weight: 1, Build: build}), `term 1 name ""`},
		{"bad name", WithTerms(Term{Name: "a b", Weight: 1, Build: build}), `name "a b"`},
		{"twice", WithTerms(Term{Name: "a", Build: build}, Term{Name: "a", Build: build}), "name used twice"},
		{"negative weight", WithTerms(Term{Name: "a", Weight: -1, Build: build}), "weight -1"},
		{"nil build", WithTerms(Term{Name: "a", Weight: 1}), "Build is nil"},
		{"nil input", WithTerms(Term{Name: "a", Weight: 1, Build: build, Inputs: []*tf.Tensor{nil}}), "input 1"},
		{"nil init image", WithInitImage(nil), "WithInitImage"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := transfer(t, tc.opt)
			require.ErrorIs(t, err, ErrInvalidOption)
			assert.ErrorContains(t, err, tc.msg)
			assert.Nil(t, res)
		})
	}
}

// A Build that fails, or returns something other than a scalar, is an
// error naming the term, with no session left open.
func TestTermBuildErrors(t *testing.T) {
	cases := []struct {
		name  string
		build func(*op.Scope, tf.Output, []tf.Output) (tf.Output, error)
		msg   string
	}{
		{"error", func(*op.Scope, tf.Output, []tf.Output) (tf.Output, error) { return tf.Output{}, errors.New("boom") }, `term "bad": boom`},
		{"not scalar", func(s *op.Scope, img tf.Output, _ []tf.Output) (tf.Output, error) { return img, nil }, "want a float32 scalar"},
	}
	before := liveSessions.Load()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := transfer(t, WithTerms(Term{Name: "bad", Weight: 1, Build: tc.build}))
			assert.ErrorContains(t, err, tc.msg)
		})
	}
	assert.Equal(t, before, liveSessions.Load())
}

// With WithDevice the graph is re-imported; the term's placeholders follow.
func TestTermsWithDevice(t *testing.T) {
	target := uniform(40, 32, color.RGBA{30, 90, 220, 255})
	res, err := transfer(t, WithDevice("/cpu:0"), WithContentWeight(0), WithStyleWeight(0), WithTVWeight(0), WithIterations(30),
		WithTerms(pullTerm(t, "pull", 1, target)))
	require.NoError(t, err)
	assert.Less(t, meanAbsDiff(res.Image, target), 1.0)
}
