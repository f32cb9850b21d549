package loss

import (
	"fmt"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
)

// TotalVariation adds the total-variation loss of an image to the graph of s
// and returns it as a scalar: over every channel and every image of the
// batch, the sum of the vertical and horizontal neighbour differences
//
//	TVAbsolute: Σ|x[i+1,j] − x[i,j]| + Σ|x[i,j+1] − x[i,j]|
//	TVSquared:  Σ(x[i+1,j] − x[i,j])² + Σ(x[i,j+1] − x[i,j])²
//
// TVAbsolute is exactly tf.image.total_variation, which neural-style-tf adds
// with weight 1e-3 (the default here too; see doc.go for the choice). image is
// a float32 or float64 NHWC tensor [B, H, W, C] whose H and W are known
// statically, normally the variable being optimized, in the network's input
// scale (0–255 minus the mean pixel). The gradient of |Δ| at Δ = 0 is taken
// as 0, as TensorFlow does.
//
// Bad arguments are errors matching ErrShape, ErrDType or ErrInvalid, and no
// op is added then. Not safe for concurrent use on one scope.
func TotalVariation(s *op.Scope, image tf.Output, kind TVKind) (tf.Output, error) {
	const fn = "total variation"
	if !kind.valid() {
		return tf.Output{}, fmt.Errorf("loss: %s: %w: unknown %v", fn, ErrInvalid, kind)
	}
	if image.Op == nil {
		return tf.Output{}, fmt.Errorf("loss: %s: image: %w: the zero tf.Output", fn, ErrShape)
	}
	if dt := image.DataType(); !isFloat(dt) {
		return tf.Output{}, fmt.Errorf("loss: %s: image: %w: %s, want float32 or float64", fn, ErrDType, tfutil.TypeName(dt))
	}
	sh := image.Shape()
	if sh.NumDimensions() != 4 || sh.Size(1) <= 0 || sh.Size(2) <= 0 {
		return tf.Output{}, fmt.Errorf("loss: %s: image: %w: %v, want [B, H, W, C] with H and W known and positive", fn, ErrShape, sh)
	}
	h, w := sh.Size(1), sh.Size(2)
	s, err := start(fn, s, "total_variation")
	if err != nil {
		return tf.Output{}, err
	}
	b := builder{s: s, dt: image.DataType()}
	// int32 begin and size: the C++ gradient of Slice builds int32 shapes.
	slice := func(begin, size []int32) tf.Output {
		return op.Slice(b.f(), image, op.Const(b.f(), begin), op.Const(b.f(), size))
	}
	dy := op.Sub(b.f(), slice([]int32{0, 1, 0, 0}, []int32{-1, -1, -1, -1}), slice([]int32{0, 0, 0, 0}, []int32{-1, int32(h - 1), -1, -1}))
	dx := op.Sub(b.f(), slice([]int32{0, 0, 1, 0}, []int32{-1, -1, -1, -1}), slice([]int32{0, 0, 0, 0}, []int32{-1, -1, int32(w - 1), -1}))
	penalty := func(d tf.Output) tf.Output {
		if kind == TVSquared {
			return op.Square(b.f(), d)
		}
		return op.Abs(b.f(), d)
	}
	tv := op.Add(b.f(), b.sum(penalty(dy), 4), b.sum(penalty(dx), 4))
	return finish(fn, s, tv)
}
