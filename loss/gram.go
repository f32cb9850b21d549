package loss

import (
	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"
)

// GramMatrix adds the Gram matrix G = FᵀF of a feature map to the graph of s.
// features is a float32 or float64 [1, H, W, N] tensor with a known static
// shape; F is it reshaped to (H·W) × N, and G is N × N, unnormalized
// (G_ij = Σ_p F_pi·F_pj over the M = H·W positions).
//
// GramMatrix does not panic on bad input: an unusable shape or type is an error
// matching ErrShape or ErrDType. Like every builder here it is not safe for
// concurrent use on one scope (op.Scope is not).
func GramMatrix(s *op.Scope, features tf.Output) (tf.Output, error) {
	const fn = "gram"
	d, err := checkFeatures(fn, "features", features)
	if err != nil {
		return tf.Output{}, err
	}
	s, err = start(fn, s, "gram")
	if err != nil {
		return tf.Output{}, err
	}
	b := builder{s: s, dt: features.DataType()}
	return finish(fn, s, b.gram(features, d))
}

// MeanGram adds the mean Gram matrix Ĝ = FᵀF / M (M = H·W) of a feature map
// to the graph of s: the average over positions of the outer product of the
// feature vectors, which does not grow with the image size. Arguments and
// errors are as for GramMatrix.
func MeanGram(s *op.Scope, features tf.Output) (tf.Output, error) {
	const fn = "mean gram"
	d, err := checkFeatures(fn, "features", features)
	if err != nil {
		return tf.Output{}, err
	}
	s, err = start(fn, s, "mean_gram")
	if err != nil {
		return tf.Output{}, err
	}
	b := builder{s: s, dt: features.DataType()}
	return finish(fn, s, b.scale(b.gram(features, d), 1/float64(d.area())))
}

// StyleTarget adds the style target of one layer to the graph of s: the mean
// Gram Ĝ_s = FᵀF / M_s of the style image's features at that layer (it is
// MeanGram). The caller runs it once per style image and layer and holds the
// [N, N] result (a constant, or a variable assigned once) to pass as the target
// of StyleLayer, MaskedStyleLayer or Style; nothing in this package recomputes
// a target per iteration. The style image may have any size.
func StyleTarget(s *op.Scope, styleFeatures tf.Output) (tf.Output, error) {
	return MeanGram(s, styleFeatures)
}

// gram returns FᵀF for features of the given sizes.
func (b builder) gram(x tf.Output, d dims) tf.Output {
	f := b.reshape(x, d.area(), d.n)
	return op.MatMul(b.f(), f, f, op.MatMulTransposeA(true))
}
