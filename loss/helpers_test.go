package loss

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
)

// newTensor returns a tensor of type dt (float32 or float64) and the given
// shape holding v.
func newTensor(t testing.TB, dt tf.DataType, v []float64, shape []int64) *tf.Tensor {
	t.Helper()
	if dt == tf.Float {
		f := make([]float32, len(v))
		for i, x := range v {
			f[i] = float32(x)
		}
		tensor, err := tfutil.Float32Tensor(f, shape...)
		require.NoError(t, err)
		return tensor
	}
	var buf bytes.Buffer
	require.NoError(t, binary.Write(&buf, binary.NativeEndian, v))
	tensor, err := tf.ReadTensor(tf.Double, shape, &buf)
	require.NoError(t, err)
	return tensor
}

// values returns the elements of a float32 or float64 tensor as float64s.
func values(t testing.TB, tensor *tf.Tensor) []float64 {
	t.Helper()
	n := 1
	for _, d := range tensor.Shape() {
		n *= int(d)
	}
	out := make([]float64, n)
	switch tensor.DataType() {
	case tf.Float:
		f, err := tfutil.Float32s(nil, tensor)
		require.NoError(t, err)
		for i, x := range f {
			out[i] = float64(x)
		}
	case tf.Double:
		var buf bytes.Buffer
		_, err := tensor.WriteContentsTo(&buf)
		require.NoError(t, err)
		require.NoError(t, binary.Read(&buf, binary.NativeEndian, out))
	default:
		t.Fatalf("tensor of type %v", tensor.DataType())
	}
	return out
}

// session finalizes s and opens a session on it, closed when the test ends.
func session(t testing.TB, s *op.Scope) *tf.Session {
	t.Helper()
	g, err := s.Finalize()
	require.NoError(t, err)
	sess, err := tf.NewSession(g, nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sess.Close()) })
	return sess
}

// run fetches outputs once and returns each as a flat []float64.
func run(t testing.TB, sess *tf.Session, feeds map[tf.Output]*tf.Tensor, fetches ...tf.Output) [][]float64 {
	t.Helper()
	out, err := sess.Run(feeds, fetches, nil)
	require.NoError(t, err)
	res := make([][]float64, len(out))
	for i, o := range out {
		res[i] = values(t, o)
	}
	return res
}

// gradients adds ∂y/∂x for each x, failing the test (not panicking) if the
// scope already failed or TensorFlow cannot differentiate the graph.
func gradients(t testing.TB, s *op.Scope, y tf.Output, xs ...tf.Output) []tf.Output {
	t.Helper()
	require.NoError(t, s.Err(), "scope failed before op.Gradients")
	g := op.Gradients(tfutil.Fresh(s), []tf.Output{y}, xs)
	require.NoError(t, s.Err(), "op.Gradients")
	return g
}

// relErr is ‖a − b‖∞ / max(‖b‖∞, tiny): the worst difference relative to
// the reference's largest entry.
func relErr(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var diff, scale float64
	for i := range a {
		diff = math.Max(diff, math.Abs(a[i]-b[i]))
		scale = math.Max(scale, math.Abs(b[i]))
	}
	return diff / math.Max(scale, 1e-300)
}

func constant(s *op.Scope, t testing.TB, dt tf.DataType, v []float64, shape ...int64) tf.Output {
	return op.Const(tfutil.Fresh(s), newTensor(t, dt, v, shape))
}

func placeholder(s *op.Scope, dt tf.DataType, shape ...int64) tf.Output {
	return op.Placeholder(tfutil.Fresh(s), dt, op.PlaceholderShape(tf.MakeShape(shape...)))
}

func sum(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}
