package tfutil

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"
)

// These tests are the runtime smoke test: they fail (never skip) when the
// TensorFlow C library is missing, incomplete or not the 2.x the bindings
// were generated from.

func TestRuntimeVersionIs2x(t *testing.T) {
	v := tf.Version()
	t.Logf("TensorFlow C library %s", v)
	assert.True(t, strings.HasPrefix(v, "2."), "TF_Version() = %q, want 2.x", v)
}

// run builds the graph made by build, runs it once and returns the fetched
// tensors. The session is closed on every path.
func run(t *testing.T, s *op.Scope, feeds map[tf.Output]*tf.Tensor, fetches ...tf.Output) []*tf.Tensor {
	t.Helper()
	g, err := s.Finalize()
	require.NoError(t, err)
	sess, err := tf.NewSession(g, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, sess.Close()) }()
	out, err := sess.Run(feeds, fetches, nil)
	require.NoError(t, err)
	return out
}

func randn(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	return x
}

// TestRuntimeForwardConvNet runs Conv2D → BiasAdd → Relu → AvgPool → Sum and
// compares with the same computation written out in Go.
func TestRuntimeForwardConvNet(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const h, w, cin, cout = 4, 6, 2, 3
	x := randn(r, h*w*cin)
	k := randn(r, 3*3*cin*cout)
	b := randn(r, cout)

	s := op.NewScope()
	in := op.Const(Fresh(s), reshape4(x, 1, h, w, cin))
	y := op.Conv2D(Fresh(s), in, op.Const(Fresh(s), reshape4(k, 3, 3, cin, cout)), []int64{1, 1, 1, 1}, "SAME")
	y = op.BiasAdd(Fresh(s), y, op.Const(Fresh(s), b))
	y = op.Relu(Fresh(s), y)
	y = op.AvgPool(Fresh(s), y, []int64{1, 2, 2, 1}, []int64{1, 2, 2, 1}, "VALID")
	sum := op.Sum(Fresh(s), y, op.Const(Fresh(s), []int32{0, 1, 2, 3}))
	got := run(t, s, nil, sum)[0].Value().(float64)

	// Reference: explicit loops.
	relu := make([]float64, h*w*cout)
	for i := 0; i < h; i++ {
		for j := 0; j < w; j++ {
			for o := 0; o < cout; o++ {
				acc := b[o]
				for di := -1; di <= 1; di++ {
					for dj := -1; dj <= 1; dj++ {
						ii, jj := i+di, j+dj
						if ii < 0 || ii >= h || jj < 0 || jj >= w {
							continue
						}
						for c := 0; c < cin; c++ {
							acc += x[(ii*w+jj)*cin+c] * k[(((di+1)*3+dj+1)*cin+c)*cout+o]
						}
					}
				}
				relu[(i*w+j)*cout+o] = math.Max(acc, 0)
			}
		}
	}
	want := 0.0
	for i := 0; i < h; i += 2 {
		for j := 0; j < w; j += 2 {
			for o := 0; o < cout; o++ {
				want += (relu[(i*w+j)*cout+o] + relu[(i*w+j+1)*cout+o] + relu[((i+1)*w+j)*cout+o] + relu[((i+1)*w+j+1)*cout+o]) / 4
			}
		}
	}
	assert.InDelta(t, want, got, 1e-9*math.Max(1, math.Abs(want)))
}

func reshape4(v []float64, a, b, c, d int) [][][][]float64 {
	out := make([][][][]float64, a)
	for i := range out {
		out[i] = make([][][]float64, b)
		for j := range out[i] {
			out[i][j] = make([][]float64, c)
			for k := range out[i][j] {
				off := ((i*b+j)*c + k) * d
				out[i][j][k] = v[off : off+d]
			}
		}
	}
	return out
}

// TestRuntimeGradients checks that the symbolic gradient TensorFlow registers
// for each op the library differentiates through agrees with central finite
// differences. Each case maps an input x of the given shape to a tensor y;
// the checked scalar is Σ y·u for a fixed random u, so every entry of the
// Jacobian contributes.
func TestRuntimeGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	k := reshape4(randn(r, 3*3*2*3), 3, 3, 2, 3)
	m := randn(r, 6*4)
	cases := []struct {
		name  string
		shape []int64
		f     func(s *op.Scope, x tf.Output) tf.Output
	}{
		{"Conv2D+BiasAdd+Relu+AvgPool", []int64{1, 4, 6, 2}, func(s *op.Scope, x tf.Output) tf.Output {
			y := op.Conv2D(Fresh(s), x, op.Const(Fresh(s), k), []int64{1, 1, 1, 1}, "SAME")
			y = op.Relu(Fresh(s), op.BiasAdd(Fresh(s), y, op.Const(Fresh(s), []float64{0.1, -0.2, 0.3})))
			return op.AvgPool(Fresh(s), y, []int64{1, 2, 2, 1}, []int64{1, 2, 2, 1}, "SAME")
		}},
		{"MaxPool", []int64{1, 5, 4, 2}, func(s *op.Scope, x tf.Output) tf.Output {
			return op.MaxPool(Fresh(s), x, []int64{1, 2, 2, 1}, []int64{1, 2, 2, 1}, "SAME")
		}},
		{"MatMul(transpose_a)", []int64{6, 3}, func(s *op.Scope, x tf.Output) tf.Output {
			return op.MatMul(Fresh(s), x, x, op.MatMulTransposeA(true))
		}},
		{"MatMul", []int64{4, 6}, func(s *op.Scope, x tf.Output) tf.Output {
			return op.MatMul(Fresh(s), x, op.Const(Fresh(s), [][]float64{m[0:4], m[4:8], m[8:12], m[12:16], m[16:20], m[20:24]}))
		}},
		{"Square", []int64{3, 4}, func(s *op.Scope, x tf.Output) tf.Output { return op.Square(Fresh(s), x) }},
		{"Reshape", []int64{2, 3, 4}, func(s *op.Scope, x tf.Output) tf.Output {
			return op.Square(Fresh(s), op.Reshape(Fresh(s), x, op.Const(Fresh(s), []int32{-1, 4})))
		}},
		{"Sub+Mul+Mean", []int64{3, 4}, func(s *op.Scope, x tf.Output) tf.Output {
			d := op.Sub(Fresh(s), x, op.Const(Fresh(s), float64(0.5)))
			return op.Mean(Fresh(s), op.Mul(Fresh(s), d, d), op.Const(Fresh(s), []int32{1}))
		}},
		{"Slice (total variation)", []int64{1, 4, 5, 3}, func(s *op.Scope, x tf.Output) tf.Output {
			a := op.Slice(Fresh(s), x, op.Const(Fresh(s), []int32{0, 1, 0, 0}), op.Const(Fresh(s), []int32{-1, -1, -1, -1}))
			b := op.Slice(Fresh(s), x, op.Const(Fresh(s), []int32{0, 0, 0, 0}), op.Const(Fresh(s), []int32{-1, 3, -1, -1}))
			return op.Square(Fresh(s), op.Sub(Fresh(s), a, b))
		}},
		{"Abs", []int64{3, 4}, func(s *op.Scope, x tf.Output) tf.Output { return op.Abs(Fresh(s), x) }},
		{"Transpose", []int64{2, 3, 4}, func(s *op.Scope, x tf.Output) tf.Output {
			return op.Square(Fresh(s), op.Transpose(Fresh(s), x, op.Const(Fresh(s), []int32{2, 0, 1})))
		}},
		// the W2 style loss and L2 pooling
		{"Sqrt+Maximum (L2 pooling)", []int64{1, 5, 4, 2}, func(s *op.Scope, x tf.Output) tf.Output {
			p := op.AvgPool(Fresh(s), op.Square(Fresh(s), x), []int64{1, 2, 2, 1}, []int64{1, 2, 2, 1}, "SAME")
			return op.Sqrt(Fresh(s), op.Maximum(Fresh(s), p, op.Const(Fresh(s), 1e-30)))
		}},
		{"DiagPart", []int64{4, 4}, func(s *op.Scope, x tf.Output) tf.Output { return op.Square(Fresh(s), op.DiagPart(Fresh(s), x)) }},
		{"Mean(keep_dims)+Sub+RealDiv", []int64{5, 3}, func(s *op.Scope, x tf.Output) tf.Output {
			mu := op.Mean(Fresh(s), x, op.Const(Fresh(s), []int32{0}), op.MeanKeepDims(true))
			d := op.Sub(Fresh(s), x, mu)
			return op.RealDiv(Fresh(s), op.Mul(Fresh(s), d, d), op.Add(Fresh(s), op.Square(Fresh(s), mu), op.Const(Fresh(s), 1.0)))
		}},
		// int32 begin and size: the C++ Slice gradient fails to build with int64 ones
		{"Slice (W2 target rows)+StopGradient", []int64{6, 2}, func(s *op.Scope, x tf.Output) tf.Output {
			a := op.Slice(Fresh(s), x, op.Const(Fresh(s), []int32{2, 0}), op.Const(Fresh(s), []int32{3, 2}))
			// stop(a) − stop(a) is 0 with a zero gradient, so y = a² to both sides
			zero := op.Sub(Fresh(s), op.StopGradient(Fresh(s), a), op.StopGradient(Fresh(s), a))
			return op.Add(Fresh(s), op.Square(Fresh(s), a), op.Mul(Fresh(s), zero, a))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := 1
			for _, d := range tc.shape {
				n *= int(d)
			}
			s := op.NewScope()
			x := op.Placeholder(Fresh(s), tf.Double, op.PlaceholderShape(tf.MakeShape(tc.shape...)))
			y := tc.f(s, x)
			// u has y's shape: draw it from a graph op so no shape bookkeeping is needed here.
			u := op.RandomStandardNormal(Fresh(s), op.Shape(Fresh(s), y), tf.Double, op.RandomStandardNormalSeed(7), op.RandomStandardNormalSeed2(9))
			uConst := run(t, s.SubScope("probe"), map[tf.Output]*tf.Tensor{x: mustTensor(t, randn(r, n), tc.shape)}, u)[0]
			s = op.NewScope()
			x = op.Placeholder(Fresh(s), tf.Double, op.PlaceholderShape(tf.MakeShape(tc.shape...)))
			y = tc.f(s, x)
			obj := op.Sum(Fresh(s), op.Mul(Fresh(s), y, op.Const(Fresh(s), uConst)), op.Range(Fresh(s), op.Const(Fresh(s), int32(0)), op.Rank(Fresh(s), y), op.Const(Fresh(s), int32(1))))
			grad := op.Gradients(Fresh(s), []tf.Output{obj}, []tf.Output{x})
			require.NoError(t, s.Err(), "gradient of %s is not available in this TensorFlow build", tc.name)
			g, err := s.Finalize()
			require.NoError(t, err)
			sess, err := tf.NewSession(g, nil)
			require.NoError(t, err)
			defer sess.Close()
			eval := func(xv []float64) (float64, []float64) {
				out, err := sess.Run(map[tf.Output]*tf.Tensor{x: mustTensor(t, xv, tc.shape)}, []tf.Output{obj, grad[0]}, nil)
				require.NoError(t, err)
				return out[0].Value().(float64), flatten(out[1].Value())
			}
			x0 := randn(r, n)
			_, analytic := eval(x0)
			const h = 1e-6
			numeric := make([]float64, n)
			for i := range x0 {
				xp := append([]float64(nil), x0...)
				xm := append([]float64(nil), x0...)
				xp[i] += h
				xm[i] -= h
				fp, _ := eval(xp)
				fm, _ := eval(xm)
				numeric[i] = (fp - fm) / (2 * h)
			}
			assert.Less(t, relErr(analytic, numeric), 1e-3, "analytic %v\nnumeric  %v", analytic, numeric)
		})
	}
}

// TestRuntimeMissingGradients records what the C++ gradient registry, which
// the C API differentiates through, lacks for the W2 style loss: TensorFlow
// 2.18 has no gradient for SelfAdjointEigV2 or MatrixSquareRoot (Python
// registers both; C++ does not). package loss therefore forms the W2
// gradient itself (see loss/doc.go). If this test fails, a TensorFlow
// upgrade has added one, and the W2 term could use it instead.
func TestRuntimeMissingGradients(t *testing.T) {
	cases := []struct {
		name string
		f    func(s *op.Scope, x tf.Output) tf.Output
	}{
		{"SelfAdjointEigV2", func(s *op.Scope, x tf.Output) tf.Output {
			e, _ := op.SelfAdjointEigV2(Fresh(s), x)
			return e
		}},
		{"MatrixSquareRoot", func(s *op.Scope, x tf.Output) tf.Output { return op.MatrixSquareRoot(Fresh(s), x) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := op.NewScope()
			x := op.Placeholder(Fresh(s), tf.Double, op.PlaceholderShape(tf.MakeShape(3, 3)))
			y := op.Sum(Fresh(s), tc.f(s, x), op.Const(Fresh(s), []int32{0}))
			require.NoError(t, s.Err())
			op.Gradients(Fresh(s), []tf.Output{y}, []tf.Output{x})
			require.Error(t, s.Err(), "TensorFlow now has a C++ gradient for %s", tc.name)
			assert.Contains(t, s.Err().Error(), "No gradient defined for op: "+tc.name)
		})
	}
}

// TestRuntimeSelfAdjointEig checks the forward kernel the W2 style targets
// use: the eigendecomposition of a symmetric matrix reassembles it.
func TestRuntimeSelfAdjointEig(t *testing.T) {
	a := [][]float64{{4, 1, 0.5}, {1, 3, 0.25}, {0.5, 0.25, 2}}
	s := op.NewScope()
	e, v := op.SelfAdjointEigV2(Fresh(s), op.Const(Fresh(s), a))
	out := run(t, s, nil, e, v)
	vals, vecs := out[0].Value().([]float64), out[1].Value().([][]float64)
	require.Len(t, vals, 3)
	assert.InDelta(t, 9.0, vals[0]+vals[1]+vals[2], 1e-12, "the trace")
	for i := range 3 {
		for j := range 3 {
			var sum float64
			for k := range 3 {
				sum += vecs[i][k] * vals[k] * vecs[j][k]
			}
			assert.InDelta(t, a[i][j], sum, 1e-12, "V·diag(e)·Vᵀ [%d][%d]", i, j)
		}
	}
}

func mustTensor(t *testing.T, v []float64, shape []int64) *tf.Tensor {
	t.Helper()
	tensor, err := tf.NewTensor(v)
	require.NoError(t, err)
	require.NoError(t, tensor.Reshape(shape))
	return tensor
}

// flatten turns the nested slices of Tensor.Value into one slice.
func flatten(v any) []float64 {
	switch v := v.(type) {
	case float64:
		return []float64{v}
	case []float64:
		return v
	case [][]float64:
		var out []float64
		for _, r := range v {
			out = append(out, r...)
		}
		return out
	case [][][]float64:
		var out []float64
		for _, r := range v {
			out = append(out, flatten(r)...)
		}
		return out
	case [][][][]float64:
		var out []float64
		for _, r := range v {
			out = append(out, flatten(r)...)
		}
		return out
	}
	panic("flatten: unexpected type")
}

// relErr is ‖a−b‖∞ / max(‖b‖∞, 1e-8).
func relErr(a, b []float64) float64 {
	var diff, scale float64
	for i := range a {
		diff = math.Max(diff, math.Abs(a[i]-b[i]))
		scale = math.Max(scale, math.Abs(b[i]))
	}
	return diff / math.Max(scale, 1e-8)
}
