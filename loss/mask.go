package loss

import (
	"fmt"
	"math"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
)

// checkMask checks that mask is a float32 or float64 [H, W] tensor with known
// positive sizes and returns them.
func checkMask(fn string, mask tf.Output) (h, w int64, err error) {
	if mask.Op == nil {
		return 0, 0, fmt.Errorf("loss: %s: mask: %w: the zero tf.Output", fn, ErrShape)
	}
	if dt := mask.DataType(); !isFloat(dt) {
		return 0, 0, fmt.Errorf("loss: %s: mask: %w: %s, want float32 or float64", fn, ErrDType, tfutil.TypeName(dt))
	}
	sh := mask.Shape()
	d, err := sh.ToSlice()
	if err != nil || len(d) != 2 || d[0] <= 0 || d[1] <= 0 {
		return 0, 0, fmt.Errorf("loss: %s: mask: %w: %v, want [H, W] with both sizes known and positive", fn, ErrShape, sh)
	}
	return d[0], d[1], nil
}

// areaWeights returns the out × in matrix (row-major) that resamples a row of
// in pixels to out pixels by area averaging: output pixel i covers the
// interval [i·in/out, (i+1)·in/out) of the input, where input pixel p covers
// [p, p+1), and takes the mean of the input over it, so row i of the matrix
// holds each input pixel's overlap with that interval divided by its length.
// This is TensorFlow's ResizeArea (align_corners false) and OpenCV's
// INTER_AREA for shrinking, which neural-style-tf uses on its masks; on
// integer factors it is the plain block mean.
func areaWeights(out, in int64) []float64 {
	m := make([]float64, out*in)
	scale := float64(in) / float64(out)
	for i := range out {
		lo, hi := float64(i)*scale, float64(i+1)*scale
		for p := int64(math.Floor(lo)); p < in && float64(p) < hi; p++ {
			overlap := math.Min(float64(p+1), hi) - math.Max(float64(p), lo)
			if overlap > 0 {
				m[i*in+p] = overlap / scale
			}
		}
	}
	return m
}

// resizeMask resamples the [H, W] mask to [h, w] by area averaging (see
// areaWeights) as two matrix products, A·mask·Bᵀ, with the weights held as
// constants: plain MatMuls run on every device, unlike the CPU-only
// ResizeArea kernel. The result has the builder's element type.
func (b builder) resizeMask(mask tf.Output, mh, mw, h, w int64) tf.Output {
	if mask.DataType() != b.dt {
		mask = op.Cast(b.f(), mask, b.dt)
	}
	if h != mh {
		mask = op.MatMul(b.f(), b.matrix(areaWeights(h, mh), h, mh), mask)
	}
	if w != mw {
		mask = op.MatMul(b.f(), mask, b.matrix(areaWeights(w, mw), w, mw), op.MatMulTransposeB(true))
	}
	return mask
}
