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
	for i, r := range sparseArea(int(out), int(in)) {
		for k, p := range r.idx {
			m[int64(i)*in+int64(p)] = r.w[k]
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

// ResizeMask resamples a row-major mh × mw mask to h × w by area averaging,
// the rule by which MaskedStyleLayer resamples its mask to a layer (the
// weights of areaWeights, applied as A·mask·Bᵀ), computed in Go in float64
// and returned in float32. Tiled evaluation (package style) uses it to crop
// a layer's mask per tile. Sizes must be positive and len(mask) = mh·mw;
// otherwise the error matches ErrShape.
func ResizeMask(mask []float32, mh, mw, h, w int) ([]float32, error) {
	if mh <= 0 || mw <= 0 || h <= 0 || w <= 0 || len(mask) != mh*mw {
		return nil, fmt.Errorf("loss: resize mask: %w: %d values for %d×%d, to %d×%d", ErrShape, len(mask), mh, mw, h, w)
	}
	rows := sparseArea(h, mh)
	cols := sparseArea(w, mw)
	tmp := make([]float64, h*mw) // A·mask
	for i, r := range rows {
		dst := tmp[i*mw : (i+1)*mw]
		for k, p := range r.idx {
			src, wt := mask[p*mw:(p+1)*mw], r.w[k]
			for x, v := range src {
				dst[x] += wt * float64(v)
			}
		}
	}
	out := make([]float32, h*w)
	for i := range h {
		src := tmp[i*mw : (i+1)*mw]
		for j, c := range cols {
			var s float64
			for k, p := range c.idx {
				s += c.w[k] * src[p]
			}
			out[i*w+j] = float32(s)
		}
	}
	return out, nil
}

// areaRow is one row of areaWeights without its zeros.
type areaRow struct {
	idx []int
	w   []float64
}

// sparseArea returns the rows of areaWeights(out, in), each with only its
// non-zero weights.
func sparseArea(out, in int) []areaRow {
	rows := make([]areaRow, out)
	scale := float64(in) / float64(out)
	for i := range rows {
		lo, hi := float64(i)*scale, float64(i+1)*scale
		for p := int(math.Floor(lo)); p < in && float64(p) < hi; p++ {
			overlap := math.Min(float64(p+1), hi) - math.Max(float64(p), lo)
			if overlap > 0 {
				rows[i].idx = append(rows[i].idx, p)
				rows[i].w = append(rows[i].w, overlap/scale)
			}
		}
	}
	return rows
}
