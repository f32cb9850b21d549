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

var dtypes = []tf.DataType{tf.Float, tf.Double}

// TestGramKnown: Grams of features whose Gram is known by construction.
func TestGramKnown(t *testing.T) {
	oneHot := func(h, w, n int64, scale func(p int64) float64) []float64 {
		v := make([]float64, h*w*n)
		for p := range h * w {
			v[p*n+p%n] = scale(p)
		}
		return v
	}
	cases := []struct {
		name       string
		shape      []int64
		features   []float64
		gram, mean []float64
	}{
		{
			// positions 0..3 hold the unit vectors e0..e3, positions 4, 5 are zero
			name:     "identity-like",
			shape:    []int64{1, 2, 3, 4},
			features: []float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},
			gram:     []float64{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1},
			mean:     []float64{1. / 6, 0, 0, 0, 0, 1. / 6, 0, 0, 0, 0, 1. / 6, 0, 0, 0, 0, 1. / 6},
		},
		{
			// every position holds the unit vectors cyclically, scaled by p+1:
			// G is diagonal with G_kk = Σ_{p≡k} (p+1)²
			name:     "scaled one-hot",
			shape:    []int64{1, 3, 2, 3},
			features: oneHot(3, 2, 3, func(p int64) float64 { return float64(p + 1) }),
			gram:     []float64{1 + 16, 0, 0, 0, 4 + 25, 0, 0, 0, 9 + 36},
			mean:     []float64{17. / 6, 0, 0, 0, 29. / 6, 0, 0, 0, 45. / 6},
		},
		{
			name:     "constant 3",
			shape:    []int64{1, 2, 2, 2},
			features: []float64{3, 3, 3, 3, 3, 3, 3, 3},
			gram:     []float64{36, 36, 36, 36},
			mean:     []float64{9, 9, 9, 9},
		},
		{
			name:     "1..8",
			shape:    []int64{1, 2, 2, 2},
			features: []float64{1, 2, 3, 4, 5, 6, 7, 8},
			gram:     []float64{84, 100, 100, 120},
			mean:     []float64{21, 25, 25, 30},
		},
	}
	for _, dt := range dtypes {
		for _, tc := range cases {
			t.Run(tfutil.TypeName(dt)+"/"+tc.name, func(t *testing.T) {
				s := op.NewScope()
				x := constant(s, t, dt, tc.features, tc.shape...)
				g, err := GramMatrix(s, x)
				require.NoError(t, err)
				m, err := MeanGram(s, x)
				require.NoError(t, err)
				tg, err := StyleTarget(s, x)
				require.NoError(t, err)
				out := run(t, session(t, s), nil, g, m, tg)
				assert.InDeltaSlice(t, tc.gram, out[0], 1e-12)
				assert.InDeltaSlice(t, tc.mean, out[1], 1e-6)
				assert.Equal(t, out[1], out[2], "StyleTarget is MeanGram")
			})
		}
	}
}

// TestIdenticalIsZero: every loss of features against their own targets is
// 0, and so is the total variation of a constant image.
func TestIdenticalIsZero(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, dt := range dtypes {
		t.Run(tfutil.TypeName(dt), func(t *testing.T) {
			s := op.NewScope()
			x1 := constant(s, t, dt, uniform(r, 4*5*3), 1, 4, 5, 3)
			x2 := constant(s, t, dt, uniform(r, 2*3*6), 1, 2, 3, 6)
			t1, err := StyleTarget(s, x1)
			require.NoError(t, err)
			t2, err := StyleTarget(s, x2)
			require.NoError(t, err)
			ones := constant(s, t, dt, []float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 4, 5)
			var outs []tf.Output
			keep := func(v tf.Output, err error) {
				require.NoError(t, err)
				outs = append(outs, v)
			}
			for _, norm := range []GramNorm{GramTutorial, GramMean} {
				keep(StyleLayer(s, x1, t1, norm))
				keep(MaskedStyleLayer(s, x1, t1, ones, norm))
				keep(Style(s, StyleSpec{Features: []tf.Output{x1, x2}, Norm: norm,
					Images: []StyleImage{{Targets: []tf.Output{t1, t2}}, {Targets: []tf.Output{t1, t2}, Mask: ones}}}))
			}
			for _, norm := range []ContentNorm{ContentTutorial, ContentMean, ContentHalf} {
				keep(ContentLayer(s, x1, x1, norm))
			}
			keep(Content(s, ContentSpec{Features: []tf.Output{x1, x2}, Targets: []tf.Output{x1, x2}}))
			flat := constant(s, t, dt, []float64{7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}, 1, 2, 3, 2)
			for _, kind := range []TVKind{TVAbsolute, TVSquared} {
				keep(TotalVariation(s, flat, kind))
			}
			for i, v := range run(t, session(t, s), nil, outs...) {
				assert.InDelta(t, 0, v[0], 1e-12, "output %d", i)
			}
		})
	}
}

// TestMaskNormalization: the masked Gram is divided by Σm², so a uniform mask
// of any level, and a mask of ones, give the unmasked loss; and a binary mask
// gives the loss of the features it selects.
func TestMaskNormalization(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	xv := uniform(r, 4*6*3)
	targetV := uniform(r, 9)
	for i := range 3 { // symmetric, as a Gram is
		for j := range i {
			targetV[i*3+j] = targetV[j*3+i]
		}
	}
	fill := func(n int, v float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	// left half of the 4×6 grid (columns 0..2) in the mask, and the same
	// features sliced out as a 4×3 map
	left := make([]float64, 4*6)
	leftFeatures := make([]float64, 0, 4*3*3)
	for i := range 4 {
		for j := range 3 {
			left[i*6+j] = 1
			leftFeatures = append(leftFeatures, xv[(i*6+j)*3:(i*6+j)*3+3]...)
		}
	}
	for _, dt := range dtypes {
		for _, norm := range []GramNorm{GramTutorial, GramMean} {
			t.Run(tfutil.TypeName(dt)+"/"+norm.String(), func(t *testing.T) {
				s := op.NewScope()
				x := constant(s, t, dt, xv, 1, 4, 6, 3)
				target := constant(s, t, dt, targetV, 3, 3)
				plain, err := StyleLayer(s, x, target, norm)
				require.NoError(t, err)
				var uniformMasks []tf.Output
				for _, level := range []float64{1, 0.5, 0.01} {
					// at the layer's size, and at twice it (resampled)
					for _, k := range []int64{1, 2} {
						m := constant(s, t, dt, fill(int(4*6*k*k), level), 4*k, 6*k)
						v, err := MaskedStyleLayer(s, x, target, m, norm)
						require.NoError(t, err)
						uniformMasks = append(uniformMasks, v)
					}
				}
				half, err := MaskedStyleLayer(s, x, target, constant(s, t, dt, left, 4, 6), norm)
				require.NoError(t, err)
				sliced, err := StyleLayer(s, constant(s, t, dt, leftFeatures, 1, 4, 3, 3), target, norm)
				require.NoError(t, err)
				out := run(t, session(t, s), nil, append([]tf.Output{plain, half, sliced}, uniformMasks...)...)
				tol := 1e-12
				if dt == tf.Float {
					tol = 1e-5
				}
				for i, v := range out[3:] {
					assert.InEpsilon(t, out[0][0], v[0], tol, "uniform mask %d", i)
				}
				assert.InEpsilon(t, out[2][0], out[1][0], tol, "binary mask = loss of the selected features")
			})
		}
	}
}

// TestResizeMatchesResizeArea: the MatMul resampling equals TensorFlow's
// ResizeArea op (align_corners false), for shrinking by integer and
// non-integer factors and for enlarging.
func TestResizeMatchesResizeArea(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	sizes := [][4]int64{{7, 9, 4, 5}, {7, 9, 2, 3}, {8, 10, 4, 5}, {6, 7, 3, 4}, {5, 5, 7, 8}, {9, 4, 9, 2}, {1, 1, 1, 1}, {512, 384, 32, 24}}
	for _, sz := range sizes {
		mh, mw, h, w := sz[0], sz[1], sz[2], sz[3]
		mv := uniform(r, int(mh*mw))
		s := op.NewScope()
		m := constant(s, t, tf.Float, mv, mh, mw)
		b := builder{s: s.SubScope("resize"), dt: tf.Float}
		got := op.Identity(b.f(), b.resizeMask(m, mh, mw, h, w))
		want := op.ResizeArea(tfutil.Fresh(s), op.Reshape(tfutil.Fresh(s), m, op.Const(tfutil.Fresh(s), []int64{1, mh, mw, 1})),
			op.Const(tfutil.Fresh(s), []int32{int32(h), int32(w)}))
		out := run(t, session(t, s), nil, got, want)
		assert.Less(t, relErr(out[0], out[1]), 2e-6, "%dx%d -> %dx%d", mh, mw, h, w)
		assert.Len(t, out[0], int(h*w))
	}
	for _, sz := range [][2]int64{{9, 4}, {7, 2}, {5, 7}, {512, 32}, {3, 3}} {
		a := areaWeights(sz[1], sz[0])
		for i := range sz[1] {
			assert.InDelta(t, 1, sum(a[i*sz[0]:(i+1)*sz[0]]), 1e-12, "row %d of %v sums to 1", i, sz)
		}
	}
}

// TestScalingMatchesNeuralStyleTF checks the layer- and image-count factors
// on top of normalized weights, which neural-style-tf applies.
func TestScalingMatchesNeuralStyleTF(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s := op.NewScope()
	x1 := constant(s, t, tf.Double, uniform(r, 2*2*2), 1, 2, 2, 2)
	x2 := constant(s, t, tf.Double, uniform(r, 3*2*3), 1, 3, 2, 3)
	t1 := constant(s, t, tf.Double, []float64{1, 0.5, 0.5, 2}, 2, 2)
	t2 := constant(s, t, tf.Double, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}, 3, 3)
	c1 := constant(s, t, tf.Double, uniform(r, 2*2*2), 1, 2, 2, 2)
	e1, err := StyleLayer(s, x1, t1, GramTutorial)
	require.NoError(t, err)
	e2, err := StyleLayer(s, x2, t2, GramTutorial)
	require.NoError(t, err)
	// 2 layers weighted 1:3, 3 images weighted 0, 1, 1 (the first not built)
	style, err := Style(s, StyleSpec{Features: []tf.Output{x1, x2}, LayerWeights: []float64{1, 3},
		Images: []StyleImage{{Targets: []tf.Output{t2, t2}, Weight: 0}, {Targets: []tf.Output{t1, t2}, Weight: 1}, {Targets: []tf.Output{t1, t2}, Weight: 1}}})
	require.EqualError(t, err, "loss: style: image 0, layer 0: target: bad shape: [3, 3], want the [2, 2] mean Gram of the style image's features")
	style, err = Style(s, StyleSpec{Features: []tf.Output{x1, x2}, LayerWeights: []float64{1, 3},
		Images: []StyleImage{{Targets: []tf.Output{t1, t2}, Weight: 0}, {Targets: []tf.Output{t1, t2}, Weight: 1}, {Targets: []tf.Output{t1, t2}, Weight: 1}}})
	require.NoError(t, err)
	cl, err := ContentLayer(s, x1, c1, ContentTutorial)
	require.NoError(t, err)
	content, err := Content(s, ContentSpec{Features: []tf.Output{x1, x1}, Targets: []tf.Output{c1, c1}, LayerWeights: []float64{2, 2}})
	require.NoError(t, err)
	out := run(t, session(t, s), nil, e1, e2, style, cl, content)
	// per image (0.25·E1 + 0.75·E2)/2, blended (0 + ½ + ½)/3
	want := (0.25*out[0][0] + 0.75*out[1][0]) / 2 / 3
	assert.InEpsilon(t, want, out[2][0], 1e-12)
	// two identical layers weighted ½ each, divided by 2
	assert.InEpsilon(t, out[3][0]/2, out[4][0], 1e-12)
}

func TestParseAndString(t *testing.T) {
	for _, n := range []GramNorm{GramTutorial, GramMean} {
		got, err := ParseGramNorm(n.String())
		require.NoError(t, err)
		assert.Equal(t, n, got)
	}
	for _, n := range []ContentNorm{ContentTutorial, ContentMean, ContentHalf} {
		got, err := ParseContentNorm(n.String())
		require.NoError(t, err)
		assert.Equal(t, n, got)
	}
	for i, n := range []ContentNorm{ContentTutorial, ContentMean, ContentHalf} {
		got, err := ParseContentNorm(string(rune('1' + i)))
		require.NoError(t, err, "neural-style-tf's --content_loss_function %d", i+1)
		assert.Equal(t, n, got)
	}
	for _, k := range []TVKind{TVAbsolute, TVSquared} {
		got, err := ParseTVKind(k.String())
		require.NoError(t, err)
		assert.Equal(t, k, got)
	}
	got, err := ParseGramNorm(" MEAN ")
	require.NoError(t, err)
	assert.Equal(t, GramMean, got)
	for _, bad := range []func() error{
		func() error { _, err := ParseGramNorm("gatys"); return err },
		func() error { _, err := ParseContentNorm("4"); return err },
		func() error { _, err := ParseTVKind("l1"); return err },
	} {
		assert.ErrorIs(t, bad(), ErrInvalid)
	}
	assert.Equal(t, "GramNorm(7)", GramNorm(7).String())
	assert.Equal(t, "ContentNorm(-1)", ContentNorm(-1).String())
	assert.Equal(t, "TVKind(2)", TVKind(2).String())
}

// TestBadInput: every builder rejects bad arguments with a sentinel error,
// without panicking and without touching the scope, which stays usable.
func TestBadInput(t *testing.T) {
	s := op.NewScope()
	x := placeholder(s, tf.Float, 1, 4, 5, 3)
	x64 := placeholder(s, tf.Double, 1, 4, 5, 3)
	xOther := placeholder(s, tf.Float, 1, 2, 2, 3)
	target := placeholder(s, tf.Float, 3, 3)
	unknownHW := placeholder(s, tf.Float, 1, -1, -1, 3)
	unknownRank := op.Placeholder(tfutil.Fresh(s), tf.Float)
	batch2 := placeholder(s, tf.Float, 2, 4, 5, 3)
	ints := placeholder(s, tf.Int32, 1, 4, 5, 3)
	mask := placeholder(s, tf.Float, 8, 10)
	mask3 := placeholder(s, tf.Float, 1, 8, 10)
	maskInt := placeholder(s, tf.Int32, 8, 10)
	scalar := placeholder(s, tf.Float)
	vector := placeholder(s, tf.Float, 3)
	one := func(out tf.Output, err error) error { return err }
	img := func(ts ...tf.Output) []StyleImage { return []StyleImage{{Targets: ts}} }
	cases := []struct {
		name string
		err  error
		call func() error
	}{
		{"gram: zero output", ErrShape, func() error { return one(GramMatrix(s, tf.Output{})) }},
		{"gram: unknown size", ErrShape, func() error { return one(GramMatrix(s, unknownHW)) }},
		{"gram: unknown rank", ErrShape, func() error { return one(GramMatrix(s, unknownRank)) }},
		{"gram: batch 2", ErrShape, func() error { return one(GramMatrix(s, batch2)) }},
		{"gram: int32", ErrDType, func() error { return one(GramMatrix(s, ints)) }},
		{"gram: nil scope", ErrInvalid, func() error { return one(GramMatrix(nil, x)) }},
		{"mean gram: unknown size", ErrShape, func() error { return one(MeanGram(s, unknownHW)) }},
		{"style layer: target shape", ErrShape, func() error { return one(StyleLayer(s, x, vector, GramTutorial)) }},
		{"style layer: target zero", ErrShape, func() error { return one(StyleLayer(s, x, tf.Output{}, GramTutorial)) }},
		{"style layer: target type", ErrDType, func() error { return one(StyleLayer(s, x64, target, GramTutorial)) }},
		{"style layer: unknown norm", ErrInvalid, func() error { return one(StyleLayer(s, x, target, GramNorm(9))) }},
		{"masked: zero mask", ErrShape, func() error { return one(MaskedStyleLayer(s, x, target, tf.Output{}, GramMean)) }},
		{"masked: rank-3 mask", ErrShape, func() error { return one(MaskedStyleLayer(s, x, target, mask3, GramMean)) }},
		{"masked: int mask", ErrDType, func() error { return one(MaskedStyleLayer(s, x, target, maskInt, GramMean)) }},
		{"style: no layers", ErrInvalid, func() error { return one(Style(s, StyleSpec{Images: img()})) }},
		{"style: no images", ErrInvalid, func() error { return one(Style(s, StyleSpec{Features: []tf.Output{x}})) }},
		{"style: target count", ErrInvalid, func() error {
			return one(Style(s, StyleSpec{Features: []tf.Output{x, x}, Images: img(target)}))
		}},
		{"style: weight count", ErrWeights, func() error {
			return one(Style(s, StyleSpec{Features: []tf.Output{x}, LayerWeights: []float64{1, 2}, Images: img(target)}))
		}},
		{"style: negative weight", ErrWeights, func() error {
			return one(Style(s, StyleSpec{Features: []tf.Output{x}, LayerWeights: []float64{-1}, Images: img(target)}))
		}},
		{"style: NaN weight", ErrWeights, func() error {
			return one(Style(s, StyleSpec{Features: []tf.Output{x}, LayerWeights: []float64{math.NaN()}, Images: img(target)}))
		}},
		{"style: zero layer weights", ErrWeights, func() error {
			return one(Style(s, StyleSpec{Features: []tf.Output{x}, LayerWeights: []float64{0}, Images: img(target)}))
		}},
		{"style: negative image weight", ErrWeights, func() error {
			return one(Style(s, StyleSpec{Features: []tf.Output{x}, Images: []StyleImage{{Targets: []tf.Output{target}, Weight: -1}}}))
		}},
		{"style: infinite image weight", ErrWeights, func() error {
			return one(Style(s, StyleSpec{Features: []tf.Output{x}, Images: []StyleImage{{Targets: []tf.Output{target}, Weight: math.Inf(1)}}}))
		}},
		{"style: mixed types", ErrDType, func() error {
			return one(Style(s, StyleSpec{Features: []tf.Output{x, x64}, Images: img(target, placeholder(s, tf.Double, 3, 3))}))
		}},
		{"style: bad mask", ErrShape, func() error {
			return one(Style(s, StyleSpec{Features: []tf.Output{x}, Images: []StyleImage{{Targets: []tf.Output{target}, Mask: mask3}}}))
		}},
		{"content layer: shapes differ", ErrShape, func() error { return one(ContentLayer(s, x, xOther, ContentTutorial)) }},
		{"content layer: types differ", ErrDType, func() error { return one(ContentLayer(s, x, x64, ContentTutorial)) }},
		{"content layer: unknown norm", ErrInvalid, func() error { return one(ContentLayer(s, x, x, ContentNorm(3))) }},
		{"content: no layers", ErrInvalid, func() error { return one(Content(s, ContentSpec{})) }},
		{"content: target count", ErrInvalid, func() error {
			return one(Content(s, ContentSpec{Features: []tf.Output{x}, Targets: []tf.Output{x, x}}))
		}},
		{"content: weights", ErrWeights, func() error {
			return one(Content(s, ContentSpec{Features: []tf.Output{x}, Targets: []tf.Output{x}, LayerWeights: []float64{math.Inf(1)}}))
		}},
		{"tv: unknown size", ErrShape, func() error { return one(TotalVariation(s, unknownHW, TVAbsolute)) }},
		{"tv: rank 2", ErrShape, func() error { return one(TotalVariation(s, mask, TVAbsolute)) }},
		{"tv: int", ErrDType, func() error { return one(TotalVariation(s, ints, TVAbsolute)) }},
		{"tv: unknown kind", ErrInvalid, func() error { return one(TotalVariation(s, x, TVKind(5))) }},
		{"weighted: nothing", ErrInvalid, func() error { _, err := Weighted(s, Terms{}, Weights{}); return err }},
		{"weighted: weight without term", ErrInvalid, func() error {
			_, err := Weighted(s, Terms{Content: scalar}, Weights{Content: 1, TV: 1e-3})
			return err
		}},
		{"weighted: negative", ErrWeights, func() error {
			_, err := Weighted(s, Terms{Content: scalar}, Weights{Content: -5})
			return err
		}},
		{"weighted: not a scalar", ErrShape, func() error {
			_, err := Weighted(s, Terms{Content: vector}, Weights{Content: 1})
			return err
		}},
		{"weighted: mixed types", ErrDType, func() error {
			_, err := Weighted(s, Terms{Content: scalar, Style: placeholder(s, tf.Double)}, Weights{Content: 1, Style: 1})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { err = tc.call() })
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.err, "%v", err)
			assert.Regexp(t, `^loss: `, err.Error())
			require.NoError(t, s.Err(), "a rejected call must leave the scope usable")
		})
	}
	// a scope that already failed is reported, not built upon
	bad := op.NewScope()
	op.Const(bad, "a")
	op.Const(bad, "b") // duplicate node name: graft does not make names unique
	require.Error(t, bad.Err())
	_, err := GramMatrix(bad, x)
	assert.ErrorIs(t, err, bad.Err())
}

// TestFloat32AtLargeSize: at a realistic layer size (128×128 positions, 64
// channels, the style image of another size) the float32 style loss and its
// gradient agree with the same graph in float64 to float32 tolerance.
func TestFloat32AtLargeSize(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	relu := func(n int, mu, scale float64) []float64 {
		v := randn(r, n, scale)
		for i := range v {
			v[i] = max(v[i]+mu, 0)
		}
		return v
	}
	const h, w, n = 128, 128, 64
	xv := relu(h*w*n, 0.2, 30)
	sv := relu(100*150*n, 0.5, 40)
	mv := uniform(r, h*w)
	var vals, grads [2][]float64
	for i, dt := range dtypes {
		s := op.NewScope()
		x := placeholder(s, dt, 1, h, w, n)
		target, err := StyleTarget(s, constant(s, t, dt, sv, 1, 100, 150, n))
		require.NoError(t, err)
		e, err := MaskedStyleLayer(s, x, target, constant(s, t, dt, mv, h, w), GramTutorial)
		require.NoError(t, err)
		g := gradients(t, s, e, x)[0]
		out := run(t, session(t, s), map[tf.Output]*tf.Tensor{x: newTensor(t, dt, xv, []int64{1, h, w, n})}, e, g)
		vals[i], grads[i] = out[0], out[1]
	}
	assert.Less(t, relErr(vals[0], vals[1]), 1e-4, "value float32 %v, float64 %v", vals[0], vals[1])
	assert.Less(t, relErr(grads[0], grads[1]), 1e-3, "gradient")
	t.Logf("float32 vs float64 at 128×128×64: value rel. error %.2e, gradient %.2e", relErr(vals[0], vals[1]), relErr(grads[0], grads[1]))
}
