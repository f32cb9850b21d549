package style

import (
	"context"
	"image"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Loss evaluates an image as the transfer would: the loss of a result is
// the one the test's independent path (float32Loss: the engine fed the
// image) gives, tiled or not, its terms add up, a mixed-precision result is
// evaluated in float32 on request, and bad input is refused with an error
// that names it.
func TestLoss(t *testing.T) {
	ctx := context.Background()
	base := []Option{WithModel(fixtureModel(t)), WithMaxSize(40), WithThreads(2, 1), WithIterations(10)}
	content, painting := contentImage(40, 32), styleImage(36, 36)
	tr, err := NewTransferer(base...)
	require.NoError(t, err)
	defer tr.Close()
	res, err := tr.Transfer(ctx, content, painting)
	require.NoError(t, err)

	got, err := tr.Loss(ctx, content, painting, res.Image)
	require.NoError(t, err)
	want := float32Loss(t, base, content, painting, res.Image)
	assert.InEpsilon(t, want, got.Total, 1e-6)
	assert.InEpsilon(t, got.Total, got.Content+got.Style+got.TV+got.Terms, 1e-6)
	assert.Positive(t, got.Content)
	assert.Positive(t, got.Style)
	photo, err := tr.Loss(ctx, content, painting, res.Image, WithContentWeight(0))
	require.NoError(t, err)
	assert.Zero(t, photo.Content, "WithContentWeight(0) in opts")

	tiled, err := tr.Loss(ctx, content, painting, res.Image, WithTiling(Tiling{Tile: 24}))
	require.NoError(t, err)
	assert.InEpsilon(t, got.Total, tiled.Total, 1e-3, "tiled")

	// A float16 result (on a simulated GPU), evaluated in float32.
	gpu := append(base, onSimulatedGPU(24*gib), WithOptimizer(Adam(2)))
	half, err := Transfer(ctx, content, painting, append(gpu, WithPrecision(Float16))...)
	require.NoError(t, err)
	in32, err := tr.Loss(ctx, content, painting, half.Image, WithPrecision(Float32), WithOptimizer(Adam(2)))
	require.NoError(t, err)
	assert.InEpsilon(t, float32Loss(t, append(base, WithOptimizer(Adam(2))), content, painting, half.Image), in32.Total, 1e-6)

	for _, tc := range []struct {
		name string
		img  image.Image
		opts []Option
		want string
	}{
		{"nil image", nil, nil, "style: Loss: the image to evaluate is empty"},
		{"wrong size", image.NewRGBA(image.Rect(0, 0, 40, 30)), nil, "style: Loss: the image to evaluate is 40×30 px, and the transfer's output is 40×32 px (the content image fitted to WithMaxSize 40)"},
		{"bad option", res.Image, []Option{WithMaxSize(-1)}, "WithMaxSize(-1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tr.Loss(ctx, content, painting, tc.img, tc.opts...)
			assert.ErrorContains(t, err, tc.want)
		})
	}
	_, err = tr.Loss(ctx, nil, painting, res.Image)
	assert.ErrorContains(t, err, "content")

	require.NoError(t, tr.Close())
	_, err = tr.Loss(ctx, content, painting, res.Image)
	assert.ErrorIs(t, err, ErrClosed)
}
