package video

import (
	"fmt"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/style"
)

// TemporalTermName is the name of the term TemporalTerm returns (style.Term.Name).
const TemporalTermName = "temporal"

// TemporalTerm returns Ruder et al.'s short-term temporal loss as a term of
// style's objective (style.WithTerms):
//
//	L = 1/D · Σ c(x) · (image(x) − warped(x))²,  D = H·W·3,
//
// summed over pixels x and the three channels, where image is the image
// being optimized, warped the previous stylized frame warped into this one
// and c the consistency mask. warped is H × W × 3 on the network's scale
// (RGB 0–255 with the mean pixel subtracted, as style feeds the network);
// mask has H × W values in [0, 1]. An all-zero mask gives a term of value 0
// that keeps the graph of the frames that follow (the first frame uses one).
func TemporalTerm(weight float64, warped *Planar, mask []float32) (style.Term, error) {
	if err := warped.check(); err != nil {
		return style.Term{}, err
	}
	if warped.C != 3 {
		return style.Term{}, fmt.Errorf("video: temporal loss: warped frame has %d channels, want 3", warped.C)
	}
	if len(mask) != warped.W*warped.H {
		return style.Term{}, fmt.Errorf("video: temporal loss: mask of %d values for a %d×%d frame", len(mask), warped.W, warped.H)
	}
	h, w := int64(warped.H), int64(warped.W)
	wt, err := tf.NewTensor(warped.Pix)
	if err != nil {
		return style.Term{}, fmt.Errorf("video: temporal loss: %w", err)
	}
	if err := wt.Reshape([]int64{1, h, w, 3}); err != nil {
		return style.Term{}, fmt.Errorf("video: temporal loss: %w", err)
	}
	mt, err := tf.NewTensor(mask)
	if err != nil {
		return style.Term{}, fmt.Errorf("video: temporal loss: %w", err)
	}
	if err := mt.Reshape([]int64{1, h, w, 1}); err != nil {
		return style.Term{}, fmt.Errorf("video: temporal loss: %w", err)
	}
	return style.Term{
		Name:   TemporalTermName,
		Weight: weight,
		Inputs: []*tf.Tensor{wt, mt},
		Build:  buildTemporal,
	}, nil
}

// buildTemporal is the graph of TemporalTerm: image [1,H,W,3], inputs the
// warped frame [1,H,W,3] and the mask [1,H,W,1].
func buildTemporal(s *op.Scope, image tf.Output, inputs []tf.Output) (tf.Output, error) {
	if len(inputs) != 2 {
		return tf.Output{}, fmt.Errorf("video: temporal loss: %d inputs, want 2", len(inputs))
	}
	shape := image.Shape()
	if shape.NumDimensions() != 4 {
		return tf.Output{}, fmt.Errorf("video: temporal loss: image of shape %v, want [1, H, W, 3]", shape)
	}
	dims, err := shape.ToSlice()
	if err != nil {
		return tf.Output{}, fmt.Errorf("video: temporal loss: image of shape %v: %w", shape, err)
	}
	d := float32(dims[0] * dims[1] * dims[2] * dims[3])
	sq := op.SquaredDifference(s, image, inputs[0])
	weighted := op.Mul(s.SubScope("masked"), sq, inputs[1])
	sum := op.Sum(s, weighted, op.Const(s.SubScope("axes"), []int32{0, 1, 2, 3}))
	return op.Div(s.SubScope("mean"), sum, op.Const(s.SubScope("d"), d)), nil
}
