package loss

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
)

// TestW2Known checks the W2 term on cases whose value is known in closed
// form, in both element types: identical statistics give 0 with a zero
// gradient (also through a mask of ones); features shifted by a constant c
// per channel give k·‖c‖²/N (the covariances agree, only the means differ);
// and a style with covariance v·I against the same features scaled by a
// (covariance a²v·I) gives k·(√(a²v + ε) − √(v + ε))², whose target is known
// entry by entry (k = w2Scale).
func TestW2Known(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	const h, w, n = 4, 6, 3
	xv := uniform(r, h*w*n)
	shift := []float64{0.5, -1, 2}
	shifted := make([]float64, len(xv))
	for i, v := range xv {
		shifted[i] = v + shift[i%n]
	}
	// one-hot-like features on 6 positions: ±√(3v) in one channel each, so the
	// mean is 0 and the covariance v·I exactly (each channel: two positions
	// at ±√(3v) out of 6, so E[f²] = 2·3v/6 = v)
	const v = 2.0
	grid := make([]float64, 6*n)
	for p := range 6 {
		sign := 1.0
		if p >= 3 {
			sign = -1
		}
		grid[p*n+p%3] = sign * math.Sqrt(3*v)
	}
	const a = 1.5
	scaled := make([]float64, len(grid))
	for i, g := range grid {
		scaled[i] = a * g
	}
	eps := w2RelEpsilon * v // tr(Σs)/N = v
	for _, dt := range dtypes {
		t.Run(tfutil.TypeName(dt), func(t *testing.T) {
			s := op.NewScope()
			x := constant(s, t, dt, xv, 1, h, w, n)
			tx, err := W2Target(s, x)
			require.NoError(t, err)
			same, err := W2Layer(s, x, tx)
			require.NoError(t, err)
			ones := make([]float64, h*w)
			for i := range ones {
				ones[i] = 1
			}
			sameMasked, err := MaskedW2Layer(s, x, tx, constant(s, t, dt, ones, h, w))
			require.NoError(t, err)
			grad := gradients(t, s, same, x)[0]
			moved, err := W2Layer(s, constant(s, t, dt, shifted, 1, h, w, n), tx)
			require.NoError(t, err)
			g := constant(s, t, dt, grid, 1, 2, 3, n)
			tg, err := W2Target(s, g)
			require.NoError(t, err)
			wider, err := W2Layer(s, constant(s, t, dt, scaled, 1, 2, 3, n), tg)
			require.NoError(t, err)
			out := run(t, session(t, s), nil, same, sameMasked, grad, moved, wider, tg)

			tol := 1e-12
			if dt == tf.Float {
				tol = 1e-5
			}
			assert.InDelta(t, 0, out[0][0], tol, "identical statistics")
			assert.InDelta(t, 0, out[1][0], tol, "identical statistics, mask of ones")
			for i, gv := range out[2] {
				require.InDelta(t, 0, gv, tol, "gradient at identical statistics [%d]", i)
			}
			var want float64
			for _, c := range shift {
				want += c * c
			}
			assert.InEpsilon(t, w2Scale*want/n, out[3][0], tol, "a shift moves only the mean")
			d := math.Sqrt(a*a*v+eps) - math.Sqrt(v+eps)
			assert.InEpsilon(t, w2Scale*d*d, out[4][0], tol, "a scaled isotropic covariance")
			// the packed target: Σs + εI = (v + ε)·I, S = √(v + ε)·I, μ = 0, ε
			target := out[5]
			for i := range n {
				for j := range n {
					wantC, wantS := 0.0, 0.0
					if i == j {
						wantC, wantS = v+eps, math.Sqrt(v+eps)
					}
					assert.InDelta(t, wantC, target[i*n+j], tol*10, "Σs + εI [%d][%d]", i, j)
					assert.InDelta(t, wantS, target[(n+i)*n+j], tol*10, "S [%d][%d]", i, j)
				}
				assert.InDelta(t, 0, target[2*n*n+i], tol*10, "μs[%d]", i)
				assert.InEpsilon(t, eps, target[(2*n+1)*n+i], tol, "ε")
			}
		})
	}
}

// TestW2MaskSelectsRegion: a binary mask gives the W2 loss of the features
// it selects, and a uniform mask of any level the unmasked loss.
func TestW2MaskSelectsRegion(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	xv := uniform(r, 4*6*3)
	sv := uniform(r, 5*5*3)
	left := make([]float64, 4*6)
	half := make([]float64, 4*6)
	leftFeatures := make([]float64, 0, 4*3*3)
	for i := range 4 {
		for j := range 6 {
			half[i*6+j] = 0.3
		}
		for j := range 3 {
			left[i*6+j] = 1
			leftFeatures = append(leftFeatures, xv[(i*6+j)*3:(i*6+j)*3+3]...)
		}
	}
	for _, dt := range dtypes {
		t.Run(tfutil.TypeName(dt), func(t *testing.T) {
			s := op.NewScope()
			x := constant(s, t, dt, xv, 1, 4, 6, 3)
			target, err := W2Target(s, constant(s, t, dt, sv, 1, 5, 5, 3))
			require.NoError(t, err)
			plain, err := W2Layer(s, x, target)
			require.NoError(t, err)
			uniformMask, err := MaskedW2Layer(s, x, target, constant(s, t, dt, half, 4, 6))
			require.NoError(t, err)
			masked, err := MaskedW2Layer(s, x, target, constant(s, t, dt, left, 4, 6))
			require.NoError(t, err)
			sliced, err := W2Layer(s, constant(s, t, dt, leftFeatures, 1, 4, 3, 3), target)
			require.NoError(t, err)
			out := run(t, session(t, s), nil, plain, uniformMask, masked, sliced)
			tol := 1e-12
			if dt == tf.Float {
				tol = 1e-5
			}
			assert.InEpsilon(t, out[0][0], out[1][0], tol, "uniform mask")
			assert.InEpsilon(t, out[3][0], out[2][0], tol, "binary mask = loss of the selected features")
			assert.Greater(t, math.Abs(out[0][0]-out[2][0]), 1e-3*out[0][0], "the region differs from the whole")
		})
	}
}

// TestW2IllConditioned: on a 64-channel layer whose covariances span eight
// orders of magnitude (channels scaled by 10^(−4·k/63)), with three dead
// channels in the generated image, the float32 W2 term agrees with the
// float64 one and its gradient is finite.
func TestW2IllConditioned(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	const h, w, n = 24, 24, 64
	gen := func(m int, dead int) []float64 {
		v := randn(r, m*n, 1)
		for p := range m {
			for k := range n {
				v[p*n+k] = max(v[p*n+k]+0.3, 0) * math.Pow(10, -4*float64(k)/(n-1))
				if k < dead {
					v[p*n+k] = 0
				}
			}
		}
		return v
	}
	xv, sv := gen(h*w, 3), gen(30*20, 0)
	var vals, grads [2][]float64
	for i, dt := range dtypes {
		s := op.NewScope()
		x := placeholder(s, dt, 1, h, w, n)
		target, err := W2Target(s, constant(s, t, dt, sv, 1, 30, 20, n))
		require.NoError(t, err)
		e, err := W2Layer(s, x, target)
		require.NoError(t, err)
		g := gradients(t, s, e, x)[0]
		out := run(t, session(t, s), map[tf.Output]*tf.Tensor{x: newTensor(t, dt, xv, []int64{1, h, w, n})}, e, g)
		vals[i], grads[i] = out[0], out[1]
	}
	for _, g := range grads[0] {
		require.False(t, math.IsNaN(g) || math.IsInf(g, 0), "float32 gradient not finite")
	}
	t.Logf("float32 vs float64, 64 channels over 8 decades: value %.6g, rel. error %.2e, gradient %.2e",
		vals[1][0], relErr(vals[0], vals[1]), relErr(grads[0], grads[1]))
	assert.Less(t, relErr(vals[0], vals[1]), 1e-4, "value float32 %v, float64 %v", vals[0], vals[1])
	assert.Less(t, relErr(grads[0], grads[1]), 1e-3, "gradient")
}

func TestParseStyleLoss(t *testing.T) {
	for _, l := range []StyleLoss{Gram, W2} {
		got, err := ParseStyleLoss(l.String())
		require.NoError(t, err)
		assert.Equal(t, l, got)
	}
	got, err := ParseStyleLoss(" W2 ")
	require.NoError(t, err)
	assert.Equal(t, W2, got)
	_, err = ParseStyleLoss("sliced")
	assert.ErrorIs(t, err, ErrInvalid)
	assert.EqualError(t, err, `loss: style loss "sliced": invalid argument (want "gram" or "w2")`)
	assert.Equal(t, "StyleLoss(3)", StyleLoss(3).String())
	assert.Equal(t, []int64{5, 5}, Gram.TargetShape(5))
	assert.Equal(t, []int64{12, 5}, W2.TargetShape(5))
}

// TestW2BadInput: the W2 builders reject bad arguments with a sentinel error
// that names the problem, without panicking or touching the scope.
func TestW2BadInput(t *testing.T) {
	s := op.NewScope()
	x := placeholder(s, tf.Float, 1, 4, 5, 3)
	x64 := placeholder(s, tf.Double, 1, 4, 5, 3)
	unknownN := placeholder(s, tf.Float, 1, -1, -1, -1)
	unknownHW := placeholder(s, tf.Float, 1, -1, -1, 3)
	ints := placeholder(s, tf.Int32, 1, 4, 5, 3)
	gram := placeholder(s, tf.Float, 3, 3)
	w2 := placeholder(s, tf.Float, 8, 3)
	mask3 := placeholder(s, tf.Float, 1, 8, 10)
	one := func(_ tf.Output, err error) error { return err }
	cases := []struct {
		name string
		err  error
		want string
		call func() error
	}{
		{"target: zero output", ErrShape, "w2 target: features: bad shape: the zero tf.Output", func() error { return one(W2Target(s, tf.Output{})) }},
		{"target: unknown channels", ErrShape, "want [1, H, W, N] with N known", func() error { return one(W2Target(s, unknownN)) }},
		{"target: int32", ErrDType, "int32, want float32 or float64", func() error { return one(W2Target(s, ints)) }},
		{"target: nil scope", ErrInvalid, "nil scope", func() error { return one(W2Target(nil, x)) }},
		{"layer: Gram target", ErrShape, "want the [8, 3] W2Target", func() error { return one(W2Layer(s, x, gram)) }},
		{"layer: unknown size", ErrShape, "build the graph for a fixed image size", func() error { return one(W2Layer(s, unknownHW, w2)) }},
		{"layer: types differ", ErrDType, "float32, want float64", func() error { return one(W2Layer(s, x64, w2)) }},
		{"masked: zero mask", ErrShape, "mask: bad shape", func() error { return one(MaskedW2Layer(s, x, w2, tf.Output{})) }},
		{"masked: rank-3 mask", ErrShape, "mask: bad shape", func() error { return one(MaskedW2Layer(s, x, w2, mask3)) }},
		{"style: W2 with Gram targets", ErrShape, "want the [8, 3] W2Target", func() error {
			return one(Style(s, StyleSpec{Features: []tf.Output{x}, Loss: W2, Images: []StyleImage{{Targets: []tf.Output{gram}}}}))
		}},
		{"style: Gram with W2 targets", ErrShape, "want the [3, 3] mean Gram", func() error {
			return one(Style(s, StyleSpec{Features: []tf.Output{x}, Images: []StyleImage{{Targets: []tf.Output{w2}}}}))
		}},
		{"style: unknown loss", ErrInvalid, "unknown StyleLoss(2)", func() error {
			return one(Style(s, StyleSpec{Features: []tf.Output{x}, Loss: 2, Images: []StyleImage{{Targets: []tf.Output{gram}}}}))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { err = tc.call() })
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.err, "%v", err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Regexp(t, `^loss: `, err.Error())
			require.NoError(t, s.Err(), "a rejected call must leave the scope usable")
		})
	}
	// W2Target accepts an unknown height and width (a style image of any size)
	_, err := W2Target(s, unknownHW)
	require.NoError(t, err)
}
