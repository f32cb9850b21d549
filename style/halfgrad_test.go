package style

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/neuralstyle/neuralstyle/imageio"
)

// gradientAt evaluates the loss and its gradient, with opts on a simulated
// GPU (so that the network computes in the precision's type), at the
// content image plus a fixed pattern.
func gradientAt(t *testing.T, opts ...Option) (float64, []float32) {
	t.Helper()
	opts = append([]Option{WithModel(fixtureModel(t)), WithMaxSize(24), WithThreads(2, 1), WithOptimizer(Adam(1)), onSimulatedGPU(24 * gib)}, opts...)
	tr, err := NewTransferer(opts...)
	require.NoError(t, err)
	defer tr.Close()
	cfg, err := resolve(opts)
	require.NoError(t, err)
	_, err = placement(&cfg)
	require.NoError(t, err)
	p, err := tr.prepare(&cfg, contentImage(24, 20), styleImage(24, 24))
	require.NoError(t, err)
	require.NoError(t, tr.useEngine(&cfg, p, MemoryPlan{}))
	x, err := tr.setTargets(context.Background(), &cfg, p, imageio.Mean(tr.model.MeanPixel()))
	require.NoError(t, err)
	for i := range x {
		x[i] += float32(30 * math.Sin(float64(i)*0.37))
	}
	g := make([]float32, len(x))
	ev, err := tr.engine.evaluate(x, g)
	require.NoError(t, err)
	return ev.total, g
}

// gradientError is ‖got − want‖ / ‖want‖, +Inf when got has a value that
// is not finite.
func gradientError(want, got []float32) float64 {
	var d, n float64
	for i := range want {
		if math.IsInf(float64(got[i]), 0) || math.IsNaN(float64(got[i])) {
			return math.Inf(1)
		}
		d += math.Pow(float64(got[i]-want[i]), 2)
		n += math.Pow(float64(want[i]), 2)
	}
	return math.Sqrt(d / n)
}

// The gradient in float16 and bfloat16 is float32's to within the types'
// rounding, also where the loss's scale (a style weight of 10¹⁵) makes the
// derivative at the network's outputs overflow float16 unless it is scaled
// (halfGradient), and where no path bypasses the network (no total
// variation). float16 is closer than bfloat16: three more bits. The
// content loss alone, at an image 30 grey levels from the photo, is a
// difference of nearly equal features, which 16-bit features resolve
// only coarsely: measured 6 % (float16) and 27 % (bfloat16) from float32's
// gradient, so the bounds there are looser.
func TestHalfGradient(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       []Option
		f16, bf16  float64 // bounds on the gradient's relative error
		lossWithin float64
	}{
		{"defaults", nil, 0.01, 0.05, 0.02},
		{"style weight 1e15", []Option{WithStyleWeight(1e15)}, 0.01, 0.05, 0.02},
		{"no total variation", []Option{WithTVWeight(0)}, 0.01, 0.05, 0.02},
		{"content only", []Option{WithStyleWeight(0), WithTVWeight(0)}, 0.1, 0.5, 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loss32, g32 := gradientAt(t, tc.opts...)
			errs := map[Precision]float64{}
			for _, p := range []Precision{Float16, BFloat16} {
				loss, g := gradientAt(t, append(tc.opts, WithPrecision(p))...)
				errs[p] = gradientError(g32, g)
				t.Logf("%s: loss %.6g against %.6g, gradient %.2g from float32's", p, loss, loss32, errs[p])
				assert.InEpsilon(t, loss32, loss, tc.lossWithin, "%s loss", p)
			}
			assert.Less(t, errs[Float16], tc.f16, "float16 gradient")
			assert.Less(t, errs[BFloat16], tc.bf16, "bfloat16 gradient")
			assert.Less(t, errs[Float16], errs[BFloat16], "float16 closer than bfloat16")
		})
	}
}
