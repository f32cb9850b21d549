package video

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"
)

// The temporal loss's value and gradient match numpy's (make_goldens.py).
func TestTemporalTermMatchesNumpy(t *testing.T) {
	var g struct {
		W, H                int
		Image, Warped, Mask []float32
		Value               float64
		Grad                []float64
	}
	readJSON(t, "testdata/temporal.json", &g)
	term, err := TemporalTerm(7, &Planar{W: g.W, H: g.H, C: 3, Pix: g.Warped}, g.Mask)
	require.NoError(t, err)
	assert.Equal(t, TemporalTermName, term.Name)
	assert.Equal(t, 7.0, term.Weight)

	s := op.NewScope()
	img := op.Placeholder(s.SubScope("image"), tf.Float, op.PlaceholderShape(tf.MakeShape(1, int64(g.H), int64(g.W), 3)))
	var feeds []tf.Output
	for i, in := range term.Inputs {
		feeds = append(feeds, op.Placeholder(s.SubScope("in").SubScope(string(rune('a'+i))), in.DataType(), op.PlaceholderShape(tf.MakeShape(in.Shape()...))))
	}
	value, err := term.Build(s.SubScope("term"), img, feeds)
	require.NoError(t, err)
	grad := op.Gradients(s.SubScope("grad"), []tf.Output{value}, []tf.Output{img})
	graph, err := s.Finalize()
	require.NoError(t, err)
	sess, err := tf.NewSession(graph, nil)
	require.NoError(t, err)
	defer sess.Close()

	x, err := tf.NewTensor(g.Image)
	require.NoError(t, err)
	require.NoError(t, x.Reshape([]int64{1, int64(g.H), int64(g.W), 3}))
	in := map[tf.Output]*tf.Tensor{img: x}
	for i, f := range feeds {
		in[f] = term.Inputs[i]
	}
	out, err := sess.Run(in, []tf.Output{value, grad[0]}, nil)
	require.NoError(t, err)
	assert.InDelta(t, g.Value, float64(out[0].Value().(float32)), 1e-5*g.Value)
	got := out[1].Value().([][][][]float32)
	i := 0
	for _, row := range got[0] {
		for _, px := range row {
			for _, v := range px {
				assert.InDelta(t, g.Grad[i], float64(v), 1e-6+1e-5*abs(g.Grad[i]), "gradient %d", i)
				i++
			}
		}
	}
	assert.Equal(t, len(g.Grad), i)
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestTemporalTermErrors(t *testing.T) {
	_, err := TemporalTerm(1, &Planar{W: 2, H: 2, C: 2, Pix: make([]float32, 8)}, make([]float32, 4))
	assert.ErrorContains(t, err, "2 channels, want 3")
	_, err = TemporalTerm(1, &Planar{W: 2, H: 2, C: 3, Pix: make([]float32, 12)}, make([]float32, 3))
	assert.ErrorContains(t, err, "mask of 3 values for a 2×2 frame")
}
