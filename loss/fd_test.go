package loss

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
)

// tinyNet is a two-layer stand-in for VGG with random weights, in float64:
// conv 3×3 (3→4) + relu → f1; avgpool 2×2/2 SAME; conv 3×3 (4→5) + relu → f2.
type tinyNet struct {
	k1, b1, k2, b2 []float64
}

func newTinyNet(r *rand.Rand) tinyNet {
	return tinyNet{k1: randn(r, 3*3*3*4, 0.4), b1: randn(r, 4, 0.1), k2: randn(r, 3*3*4*5, 0.3), b2: randn(r, 5, 0.1)}
}

func (n tinyNet) build(t testing.TB, s *op.Scope, img tf.Output) (f1, f2 tf.Output) {
	s = s.SubScope("net")
	f := func() *op.Scope { return tfutil.Fresh(s) }
	conv := func(x tf.Output, k, b []float64, cin, cout int64) tf.Output {
		y := op.Conv2D(f(), x, constant(s, t, tf.Double, k, 3, 3, cin, cout), []int64{1, 1, 1, 1}, "SAME")
		return op.Relu(f(), op.BiasAdd(f(), y, constant(s, t, tf.Double, b, cout)))
	}
	f1 = conv(img, n.k1, n.b1, 3, 4)
	pooled := op.AvgPool(f(), f1, []int64{1, 2, 2, 1}, []int64{1, 2, 2, 1}, "SAME")
	f2 = conv(pooled, n.k2, n.b2, 4, 5)
	return f1, f2
}

func randn(r *rand.Rand, n int, scale float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = scale * r.NormFloat64()
	}
	return x
}

func uniform(r *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = r.Float64()
	}
	return x
}

// targetsOf runs the net once on a constant image and returns the mean Grams
// (style targets) and the features of both layers: what a caller does once
// per transfer before the optimization starts.
func targetsOf(t *testing.T, net tinyNet, img []float64, shape ...int64) (grams, feats [2][]float64) {
	s := op.NewScope()
	f1, f2 := net.build(t, s, constant(s, t, tf.Double, img, shape...))
	g1, err := StyleTarget(s, f1)
	require.NoError(t, err)
	g2, err := StyleTarget(s, f2)
	require.NoError(t, err)
	out := run(t, session(t, s), nil, g1, g2, f1, f2)
	return [2][]float64{out[0], out[1]}, [2][]float64{out[2], out[3]}
}

// TestFiniteDifferences checks the gradient TensorFlow derives for every term
// with respect to the input image, through the tiny net, against central
// finite differences in float64. The targets are computed once, beforehand,
// and held as constants.
func TestFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	net := newTinyNet(r)
	const h, w = 6, 7 // f1: 6×7×4, f2: 3×4×5 (SAME pooling rounds up)
	styleA, featsA := targetsOf(t, net, randn(r, 5*4*3, 1), 1, 5, 4, 3)
	styleB, featsB := targetsOf(t, net, randn(r, 8*6*3, 1), 1, 8, 6, 3)
	_, content := targetsOf(t, net, randn(r, h*w*3, 1), 1, h, w, 3)
	maskV := uniform(r, h*w)
	inv := make([]float64, len(maskV))
	for i, v := range maskV {
		inv[i] = 1 - v
	}

	s := op.NewScope()
	img := placeholder(s, tf.Double, 1, h, w, 3)
	f1, f2 := net.build(t, s, img)
	tA1, tA2 := constant(s, t, tf.Double, styleA[0], 4, 4), constant(s, t, tf.Double, styleA[1], 5, 5)
	tB1, tB2 := constant(s, t, tf.Double, styleB[0], 4, 4), constant(s, t, tf.Double, styleB[1], 5, 5)
	c1, c2 := constant(s, t, tf.Double, content[0], 1, h, w, 4), constant(s, t, tf.Double, content[1], 1, 3, 4, 5)
	mask, maskInv := constant(s, t, tf.Double, maskV, h, w), constant(s, t, tf.Double, inv, h, w)
	w2Target := func(v []float64, shape ...int64) tf.Output {
		tgt, err := W2Target(s, constant(s, t, tf.Double, v, shape...))
		require.NoError(t, err)
		return tgt
	}
	wA1, wA2 := w2Target(featsA[0], 1, 5, 4, 4), w2Target(featsA[1], 1, 3, 2, 5)
	wB1, wB2 := w2Target(featsB[0], 1, 8, 6, 4), w2Target(featsB[1], 1, 4, 3, 5)

	type term struct {
		name string
		out  tf.Output
	}
	var terms []term
	add := func(name string, out tf.Output, err error) {
		require.NoError(t, err, name)
		terms = append(terms, term{name, out})
	}
	for _, norm := range []GramNorm{GramTutorial, GramMean} {
		v, err := StyleLayer(s, f1, tA1, norm)
		add("style layer f1 "+norm.String(), v, err)
		v, err = StyleLayer(s, f2, tA2, norm)
		add("style layer f2 "+norm.String(), v, err)
		v, err = MaskedStyleLayer(s, f2, tA2, mask, norm)
		add("masked style layer f2 "+norm.String(), v, err)
		v, err = Style(s, StyleSpec{
			Features: []tf.Output{f1, f2}, LayerWeights: []float64{1, 3}, Norm: norm,
			Images: []StyleImage{
				{Targets: []tf.Output{tA1, tA2}, Weight: 2, Mask: mask},
				{Targets: []tf.Output{tB1, tB2}, Weight: 1, Mask: maskInv},
			},
		})
		add("style masked blend "+norm.String(), v, err)
	}
	v, err := W2Layer(s, f1, wA1)
	add("w2 layer f1", v, err)
	v, err = W2Layer(s, f2, wA2)
	add("w2 layer f2", v, err)
	v, err = MaskedW2Layer(s, f2, wA2, mask)
	add("masked w2 layer f2", v, err)
	v, err = Style(s, StyleSpec{
		Features: []tf.Output{f1, f2}, LayerWeights: []float64{1, 3}, Loss: W2,
		Images: []StyleImage{
			{Targets: []tf.Output{wA1, wA2}, Weight: 2, Mask: mask},
			{Targets: []tf.Output{wB1, wB2}, Weight: 1},
		},
	})
	add("style w2 masked blend", v, err)
	for _, norm := range []ContentNorm{ContentTutorial, ContentMean, ContentHalf} {
		v, err := ContentLayer(s, f2, c2, norm)
		add("content layer f2 "+norm.String(), v, err)
	}
	cont, err := Content(s, ContentSpec{Features: []tf.Output{f1, f2}, Targets: []tf.Output{c1, c2}, LayerWeights: []float64{1, 2}})
	add("content f1+f2", cont, err)
	tvAbs, err := TotalVariation(s, img, TVAbsolute)
	add("tv abs", tvAbs, err)
	tvSq, err := TotalVariation(s, img, TVSquared)
	add("tv squared", tvSq, err)
	sty, err := Style(s, StyleSpec{Features: []tf.Output{f1, f2}, Images: []StyleImage{{Targets: []tf.Output{tA1, tA2}}}})
	add("style f1+f2", sty, err)
	total, err := Weighted(s, Terms{Content: cont, Style: sty, TV: tvAbs}, Weights{Content: 5, Style: 1e2, TV: 1e-3})
	add("weighted total", total.Total, err)

	fetches := make([]tf.Output, len(terms))
	for i, tm := range terms {
		fetches[i] = tm.out
	}
	for _, tm := range terms {
		fetches = append(fetches, gradients(t, s, tm.out, img)[0])
	}
	sess := session(t, s)
	x0 := randn(r, h*w*3, 1)
	eval := func(x []float64) [][]float64 {
		return run(t, sess, map[tf.Output]*tf.Tensor{img: newTensor(t, tf.Double, x, []int64{1, h, w, 3})}, fetches...)
	}
	base := eval(x0)
	numeric := make([][]float64, len(terms))
	for i := range numeric {
		numeric[i] = make([]float64, len(x0))
	}
	const step = 1e-5
	x := append([]float64(nil), x0...)
	for j := range x0 {
		x[j] = x0[j] + step
		plus := eval(x)
		x[j] = x0[j] - step
		minus := eval(x)
		x[j] = x0[j]
		for i := range terms {
			numeric[i][j] = (plus[i][0] - minus[i][0]) / (2 * step)
		}
	}
	for i, tm := range terms {
		analytic := base[len(terms)+i]
		e := relErr(analytic, numeric[i])
		t.Logf("%-32s value %12.6g  gradient rel. error %.2e", tm.name, base[i][0], e)
		assert.Greater(t, base[i][0], 0.0, "%s: a zero loss proves nothing", tm.name)
		assert.Less(t, e, 1e-6, "%s", tm.name)
	}
}
