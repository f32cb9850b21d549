package style

import (
	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"
)

// halfGradient builds the gradient of a loss with respect to the image
// when the network computes in float16 (Float16, vgg.BuildOptions.Compute),
// where the derivative that flows back into the network, at the scale of
// the loss (10⁴ to 10⁸ per feature with the default weights), would
// overflow float16's 65504. The loss reads the network's outputs through
// StopGradient (use); gradient then computes, in float32, the loss's
// derivative with respect to each output, divides all of them by the
// largest magnitude among them, backpropagates that through the network
// (in float16: its values now start at most 1), and multiplies the
// result by the same magnitude. Paths from the image to the loss that do
// not pass through the network (total variation, WithTerms) are added
// unscaled. With on false it is op.Gradients.
type halfGradient struct {
	on      bool
	outputs []tf.Output       // the network outputs the loss reads, in order of use
	stopped []tf.Output       // their StopGradients, in the same order
	index   map[tf.Output]int // where each output is in outputs
}

func newHalfGradient(compute tf.DataType) *halfGradient {
	return &halfGradient{on: compute == tf.Half, index: map[tf.Output]int{}}
}

// use returns what the loss reads of the network output out: out itself,
// or with on, its StopGradient (one per output).
func (h *halfGradient) use(s *op.Scope, out tf.Output) tf.Output {
	if !h.on {
		return out
	}
	if i, ok := h.index[out]; ok {
		return h.stopped[i]
	}
	st := op.StopGradient(s.SubScope("half_gradient"), out)
	h.index[out] = len(h.outputs)
	h.outputs = append(h.outputs, out)
	h.stopped = append(h.stopped, st)
	return st
}

// gradient returns ∂total/∂input (see halfGradient).
func (h *halfGradient) gradient(s *op.Scope, total, input tf.Output) tf.Output {
	if !h.on || len(h.outputs) == 0 {
		return op.Gradients(s, []tf.Output{total}, []tf.Output{input})[0]
	}
	stopped := h.stopped
	fs := s.SubScope("features")
	g := op.Gradients(fs, []tf.Output{total}, stopped)
	if s.Err() != nil {
		return tf.Output{}
	}
	flat := op.Const(fs.SubScope("flat"), []int32{-1})
	first := op.Const(fs.SubScope("axis"), []int32{0})
	maxes := make([]tf.Output, len(g))
	for i := range g {
		if g[i].Op == nil { // the loss does not depend on this output
			g[i] = op.ZerosLike(fs.SubScope("unused"), stopped[i])
		}
		maxes[i] = op.Max(fs.SubScope("max"), op.Abs(fs.SubScope("abs"), op.Reshape(fs.SubScope("flatten"), g[i], flat)), first)
	}
	largest := op.Max(fs.SubScope("largest"), op.Pack(fs.SubScope("maxes"), maxes), first)
	// A loss flat in every feature gives 0/floor = 0, not NaN.
	largest = op.Maximum(fs.SubScope("floor"), largest, op.Const(fs.SubScope("tiny"), float32(1e-30)))
	ns := s.SubScope("network")
	dx := make([]tf.Output, len(g))
	for i := range g {
		dx[i] = op.Div(ns.SubScope("normalized"), g[i], largest)
	}
	grad := op.Mul(ns.SubScope("rescaled"), op.Gradients(ns, h.outputs, []tf.Output{input}, dx...)[0], largest)
	if s.Err() != nil {
		return tf.Output{}
	}
	if direct := op.Gradients(s.SubScope("direct"), []tf.Output{total}, []tf.Output{input})[0]; direct.Op != nil {
		grad = op.Add(s.SubScope("sum"), grad, direct)
	}
	return grad
}
