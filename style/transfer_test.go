package style

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/loss"
	"github.com/neuralstyle/neuralstyle/optim"
	"github.com/neuralstyle/neuralstyle/tfruntime"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// The tests run the whole pipeline on the tiny VGG19-shaped fixture network
// of package vgg (random weights, 4–12 channels), on images of a few dozen
// pixels, so they take seconds.

const fixtureWeights = "../vgg/testdata/vgg19_new.mat"

var (
	modelOnce sync.Once
	model     *vgg.Model
	modelErr  error
)

func fixtureModel(t testing.TB) *vgg.Model {
	t.Helper()
	modelOnce.Do(func() { model, modelErr = vgg.Load(fixtureWeights) })
	require.NoError(t, modelErr)
	return model
}

// contentImage is a smooth colour gradient with a bright square.
func contentImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{uint8(40 + 150*x/w), uint8(60 + 120*y/h), 110, 255}
			if x > w/3 && x < 2*w/3 && y > h/3 && y < 2*h/3 {
				c = color.RGBA{230, 220, 90, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// styleImage is a high-contrast pattern of coloured diagonal stripes.
func styleImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			switch (x + 2*y) / 3 % 3 {
			case 0:
				img.SetRGBA(x, y, color.RGBA{20, 40, 200, 255})
			case 1:
				img.SetRGBA(x, y, color.RGBA{240, 200, 30, 255})
			default:
				img.SetRGBA(x, y, color.RGBA{10, 10, 10, 255})
			}
		}
	}
	return img
}

func transfer(t *testing.T, opts ...Option) (*Result, error) {
	t.Helper()
	base := []Option{WithModel(fixtureModel(t)), WithMaxSize(40), WithIterations(20), WithThreads(2, 1)}
	return Transfer(context.Background(), contentImage(40, 32), styleImage(36, 36), append(base, opts...)...)
}

func TestOptimizersReduceLoss(t *testing.T) {
	cases := []struct {
		name   string
		opts   []Option
		factor float64 // final loss at most first/factor
	}{
		{"lbfgs", []Option{WithOptimizer(LBFGS()), WithIterations(30)}, 50},
		{"adam", []Option{WithOptimizer(Adam(2)), WithIterations(60)}, 5},
		{"adam-averaged", []Option{WithOptimizer(Adam(2)), WithIterations(60), WithAveraging(0.9)}, 3},
		{"lbfgs-max-pool", []Option{WithPooling(vgg.MaxPool), WithIterations(30)}, 20},
		{"lbfgs-mean-gram-sq-tv", []Option{WithGramNorm(1), WithTVKind(1), WithContentNorm(2), WithIterations(30)}, 10},
		{"lbfgs-l2-pool", []Option{WithPooling(vgg.L2Pool), WithIterations(30)}, 20},
		{"lbfgs-w2", []Option{WithStyleLoss(loss.W2), WithIterations(30)}, 20},
		{"adam-w2-l2-pool", []Option{WithStyleLoss(loss.W2), WithPooling(vgg.L2Pool), WithOptimizer(Adam(2)), WithIterations(60)}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := transfer(t, tc.opts...)
			require.NoError(t, err)
			require.NotEmpty(t, res.History)
			first, last := res.History[0].Loss, res.Loss
			t.Logf("loss %.4g → %.4g in %d iterations, %d evaluations", first, last, res.Iterations, res.Evaluations)
			assert.Less(t, last, first/tc.factor)
			assert.Equal(t, image.Rect(0, 0, 40, 32), res.Image.Bounds())
			for _, p := range res.History {
				assert.InDelta(t, p.Loss, p.Content+p.Style+p.TV, 1e-3*p.Loss, "terms add up at iteration %d", p.Iteration)
			}
		})
	}
}

// With only the style term, the output's Gram matrices (or, for W2, feature
// means and covariances) approach the style image's: the style loss falls by
// orders of magnitude. W2 grows with the square of the features' distance
// where the Gram loss grows with its fourth power, so the same progress is a
// smaller ratio.
func TestStyleOnlyApproachesStyleGrams(t *testing.T) {
	for l, factor := range map[loss.StyleLoss]float64{loss.Gram: 100, loss.W2: 30} {
		t.Run(l.String(), func(t *testing.T) {
			res, err := transfer(t, WithContentWeight(0), WithTVWeight(0), WithIterations(40), WithStyleLoss(l))
			require.NoError(t, err)
			first, last := res.History[0].Style, res.History[len(res.History)-1].Style
			t.Logf("style loss %.4g → %.4g", first, last)
			assert.Less(t, last, first/factor)
			assert.Zero(t, res.History[0].Content)
		})
	}
}

// With only the content term, a noise start moves towards the content image.
func TestContentOnlyApproachesContent(t *testing.T) {
	content := contentImage(40, 32)
	res, err := Transfer(context.Background(), content, styleImage(36, 36), WithModel(fixtureModel(t)), WithMaxSize(40),
		WithStyleWeight(0), WithTVWeight(0), WithInit(InitNoise), WithNoise(0.5, 7), WithIterations(60),
		WithContentLayers(map[string]float64{"conv1_1": 1}))
	require.NoError(t, err)
	start, err := Transfer(context.Background(), content, styleImage(36, 36), WithModel(fixtureModel(t)), WithMaxSize(40),
		WithStyleWeight(0), WithTVWeight(0), WithInit(InitNoise), WithNoise(0.5, 7), WithIterations(1), WithOptimizer(Adam(1e-9)),
		WithContentLayers(map[string]float64{"conv1_1": 1}))
	require.NoError(t, err)
	before, after := meanAbsDiff(start.Image, content), meanAbsDiff(res.Image, content)
	t.Logf("mean |pixel − content|: %.2f at the start, %.2f after", before, after)
	assert.Less(t, after, before*0.5)
}

func meanAbsDiff(a, b *image.RGBA) float64 {
	sum := 0.0
	for i := range a.Pix {
		if i%4 == 3 {
			continue
		}
		sum += math.Abs(float64(a.Pix[i]) - float64(b.Pix[i]))
	}
	return sum / float64(len(a.Pix)*3/4)
}

// meanAbsDiffRegion is meanAbsDiff over the pixels with x in [x0, x1).
func meanAbsDiffRegion(a, b *image.RGBA, x0, x1 int) float64 {
	sum, n := 0.0, 0
	for y := a.Rect.Min.Y; y < a.Rect.Max.Y; y++ {
		for x := x0; x < x1; x++ {
			for c := 0; c < 3; c++ {
				sum += math.Abs(float64(a.Pix[a.PixOffset(x, y)+c]) - float64(b.Pix[b.PixOffset(x, y)+c]))
				n++
			}
		}
	}
	return sum / float64(n)
}

func TestOriginalColorsKeepContentChroma(t *testing.T) {
	content := contentImage(40, 32)
	plain, err := transfer(t)
	require.NoError(t, err)
	for _, space := range []imageio.ColorSpace{imageio.YUV, imageio.YCrCb, imageio.Lab, imageio.Luv} {
		t.Run(space.String(), func(t *testing.T) {
			kept, err := transfer(t, WithOriginalColors(space))
			require.NoError(t, err)
			chromaKept, chromaPlain := chromaDiff(kept.Image, content), chromaDiff(plain.Image, content)
			t.Logf("chroma distance to content: %.2f with original colours, %.2f without", chromaKept, chromaPlain)
			assert.Less(t, chromaKept, 0.25*chromaPlain)
		})
	}
}

// chromaDiff is the mean distance between the Cb/Cr channels of a and b.
func chromaDiff(a, b *image.RGBA) float64 {
	sum := 0.0
	for y := 0; y < a.Rect.Dy(); y++ {
		for x := 0; x < a.Rect.Dx(); x++ {
			pa, pb := a.RGBAAt(x, y), b.RGBAAt(x, y)
			_, cba, cra := color.RGBToYCbCr(pa.R, pa.G, pa.B)
			_, cbb, crb := color.RGBToYCbCr(pb.R, pb.G, pb.B)
			sum += math.Abs(float64(cba)-float64(cbb)) + math.Abs(float64(cra)-float64(crb))
		}
	}
	return sum / float64(a.Rect.Dx()*a.Rect.Dy())
}

// A mask that is white on the left half and black on the right confines the
// change to the left.
func TestMaskConfinesStyle(t *testing.T) {
	content := contentImage(40, 32)
	mask := image.NewGray(image.Rect(0, 0, 40, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 20; x++ {
			mask.SetGray(x, y, color.Gray{255})
		}
	}
	for _, l := range []loss.StyleLoss{loss.Gram, loss.W2} {
		t.Run(l.String(), func(t *testing.T) {
			res, err := transfer(t, WithStyleMasks(mask), WithIterations(30), WithStyleLoss(l))
			require.NoError(t, err)
			left, right := meanAbsDiffRegion(res.Image, content, 0, 12), meanAbsDiffRegion(res.Image, content, 28, 40)
			t.Logf("mean change: %.2f in the masked-in quarter, %.2f in the masked-out quarter", left, right)
			assert.Less(t, right, 0.3*left)
		})
	}
}

func TestSameSeedSameOutput(t *testing.T) {
	run := func(seed uint64) *image.RGBA {
		res, err := transfer(t, WithInit(InitNoise), WithNoise(0.8, seed), WithIterations(8))
		require.NoError(t, err)
		return res.Image
	}
	a, b, c := run(42), run(42), run(43)
	assert.Equal(t, a.Pix, b.Pix, "same seed, same bytes")
	assert.NotEqual(t, a.Pix, c.Pix, "another seed, another image")
}

func TestInitStyleStartsFromStyle(t *testing.T) {
	res, err := transfer(t, WithInit(InitStyle), WithIterations(1), WithOptimizer(Adam(1e-9)))
	require.NoError(t, err)
	// The style image is first scaled to the output's longest side (as for
	// the loss), then to the output's shape.
	scaled, err := imageio.Resize(styleImage(36, 36), 40)
	require.NoError(t, err)
	styleResized, err := imageio.ResizeTo(scaled, 40, 32)
	require.NoError(t, err)
	assert.Less(t, meanAbsDiff(res.Image, styleResized), 1.0)
}

func TestCancelReturnsBestSoFar(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Transfer(ctx, contentImage(40, 32), styleImage(36, 36), WithModel(fixtureModel(t)), WithMaxSize(40),
		WithIterations(200), WithOptimizer(Adam(2)), WithProgress(func(p Progress) error {
			if p.Iteration == 5 {
				cancel()
			}
			return nil
		}))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, res)
	require.NotNil(t, res.Image)
	assert.LessOrEqual(t, res.Iterations, 6)
	assert.Less(t, res.Loss, res.History[0].Loss)
}

func TestCancelBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Transfer(ctx, contentImage(40, 32), styleImage(36, 36), WithModel(fixtureModel(t)), WithMaxSize(40))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, res)
}

func TestProgressErrorStops(t *testing.T) {
	stop := errors.New("enough")
	res, err := transfer(t, WithIterations(50), WithProgress(func(p Progress) error {
		if p.Iteration == 3 {
			return stop
		}
		return nil
	}))
	assert.ErrorIs(t, err, stop)
	require.NotNil(t, res)
	assert.Len(t, res.History, 3)
}

func TestCheckpoints(t *testing.T) {
	var got []int
	res, err := transfer(t, WithIterations(10), WithOptimizer(Adam(1)), WithCheckpoint(3, func(c Checkpoint) error {
		got = append(got, c.Iteration)
		assert.Equal(t, image.Rect(0, 0, 40, 32), c.Image.Bounds())
		return nil
	}))
	require.NoError(t, err)
	assert.Equal(t, []int{3, 6, 9}, got)
	assert.Equal(t, 10, res.Iterations)

	stop := errors.New("disk full")
	_, err = transfer(t, WithIterations(10), WithCheckpoint(2, func(Checkpoint) error { return stop }))
	assert.ErrorIs(t, err, stop)
	assert.ErrorContains(t, err, "checkpoint")
}

func TestEarlyStop(t *testing.T) {
	res, err := transfer(t, WithIterations(500), WithEarlyStop(0.05))
	require.NoError(t, err)
	assert.Less(t, res.Iterations, 500)
	n := len(res.History)
	require.GreaterOrEqual(t, n, 2)
	prev, last := res.History[n-2].Loss, res.History[n-1].Loss
	assert.LessOrEqual(t, math.Abs(prev-last), 0.05*math.Abs(last))
}

func TestMultipleStyles(t *testing.T) {
	second := image.NewRGBA(image.Rect(0, 0, 30, 50))
	for i := range second.Pix {
		second.Pix[i] = uint8(i * 37)
	}
	for _, l := range []loss.StyleLoss{loss.Gram, loss.W2} {
		t.Run(l.String(), func(t *testing.T) {
			res, err := transfer(t, WithExtraStyles(second), WithStyleBlendWeights(3, 1), WithIterations(20), WithStyleLoss(l))
			require.NoError(t, err)
			assert.Less(t, res.Loss, res.History[0].Loss)
			masks, err := transfer(t, WithExtraStyles(second), WithStyleMasks(nil, image.NewGray(image.Rect(0, 0, 8, 8))),
				WithIterations(5), WithStyleLoss(l))
			require.NoError(t, err)
			assert.NotNil(t, masks.Image)
			assert.Less(t, masks.Loss, masks.History[0].Loss)
		})
	}
}

// colourDistance is how far apart the colours of two images of the same
// pixel count are: per channel the 1-D Wasserstein distance of their value
// distributions (the mean absolute difference of their sorted values), in
// grey levels, averaged over R, G and B.
func colourDistance(t *testing.T, a, b *image.RGBA) float64 {
	t.Helper()
	require.Equal(t, len(a.Pix), len(b.Pix))
	d := 0.0
	for ch := range 3 {
		var va, vb []int
		for i := ch; i < len(a.Pix); i += 4 {
			va = append(va, int(a.Pix[i]))
			vb = append(vb, int(b.Pix[i]))
		}
		slices.Sort(va)
		slices.Sort(vb)
		for i := range va {
			d += math.Abs(float64(va[i] - vb[i]))
		}
	}
	return d / float64(3*len(a.Pix)/4)
}

// shadedStripes is a style image of diagonal stripes in shades of blue and
// purple that vary smoothly across the image: colours far from
// contentImage's, spread over many values.
func shadedStripes(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := float64((x+2*y)%9) / 8
			img.SetRGBA(x, y, color.RGBA{uint8(20 + 100*v*float64(x)/float64(w)), uint8(10 + 50*float64(y)/float64(h)), uint8(120 + 130*v), 255})
		}
	}
	return img
}

// WithColorMatch gives the style image the content's colours. Started from
// the style image (as the network sees it) and barely moved, the output has
// the content's colours with the option and the style's without. Optimized
// on the style alone from the content, the output keeps the content's
// colours with the option and drifts to the style's without.
func TestColorMatch(t *testing.T) {
	content := contentImage(40, 32)
	cases := []struct {
		name string
		opts []Option
		max  float64 // the colour distance to the content with the option, at most
		gain float64 // the distance without the option over that with it, at least
	}{
		{"the style image seen", []Option{WithInit(InitStyle), WithOptimizer(Adam(0.01)), WithIterations(1)}, 12, 5},
		{"optimized on the style alone", []Option{WithContentWeight(0), WithIterations(60)}, 12, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			run := func(opts ...Option) (*Result, error) {
				base := []Option{WithModel(fixtureModel(t)), WithMaxSize(40), WithThreads(2, 1)}
				return Transfer(context.Background(), content, shadedStripes(36, 36), append(append(base, tc.opts...), opts...)...)
			}
			with, err := run(WithColorMatch())
			require.NoError(t, err)
			without, err := run()
			require.NoError(t, err)
			dw, dn := colourDistance(t, with.Image, content), colourDistance(t, without.Image, content)
			t.Logf("colour distance to the content: %.2f with WithColorMatch, %.2f without", dw, dn)
			assert.LessOrEqual(t, dw, tc.max)
			assert.GreaterOrEqual(t, dn, tc.gain*dw)
		})
	}
}

func TestInvalidOptions(t *testing.T) {
	cases := []struct {
		name string
		opts []Option
		msg  string
	}{
		{"unknown content layer", []Option{WithContentLayers(map[string]float64{"conv9_9": 1})}, `WithContentLayers(conv9_9)`},
		{"unknown style layer", []Option{WithStyleLayers(map[string]float64{"relu1_1": 1, "fc7": 1})}, `WithStyleLayers(fc7)`},
		{"negative layer weight", []Option{WithStyleLayers(map[string]float64{"relu1_1": -1})}, "relu1_1=-1"},
		{"zero layer weights", []Option{WithContentLayers(map[string]float64{"conv4_2": 0})}, "weights sum to zero"},
		{"no layers", []Option{WithStyleLayers(nil)}, "at least one layer"},
		{"negative content weight", []Option{WithContentWeight(-1)}, "WithContentWeight(-1)"},
		{"NaN style weight", []Option{WithStyleWeight(math.NaN())}, "WithStyleWeight(NaN)"},
		{"infinite tv weight", []Option{WithTVWeight(math.Inf(1))}, "WithTVWeight(+Inf)"},
		{"zero iterations", []Option{WithIterations(0)}, "WithIterations(0)"},
		{"negative iterations", []Option{WithIterations(-5)}, "WithIterations(-5)"},
		{"tiny max size", []Option{WithMaxSize(4)}, "WithMaxSize(4)"},
		{"huge max size", []Option{WithMaxSize(1 << 20)}, "WithMaxSize(1048576)"},
		{"style scale", []Option{WithStyleScale(0)}, "WithStyleScale(0)"},
		{"noise ratio", []Option{WithNoise(1.5, 0)}, "WithNoise(1.5)"},
		{"negative lr", []Option{WithOptimizer(Adam(-1))}, "WithOptimizer(adam(-1))"},
		{"zero lr", []Option{WithOptimizer(Adam(0))}, "WithOptimizer(adam(0)): want a finite learning rate > 0"},
		{"zero optimizer", []Option{WithOptimizer(nil)}, "WithOptimizer"},
		{"bad init", []Option{WithInit(Init(9))}, "WithInit(9)"},
		{"bad pooling", []Option{WithPooling(vgg.Pooling(7))}, "WithPooling(7)"},
		{"bad style loss", []Option{WithStyleLoss(loss.StyleLoss(4))}, "WithStyleLoss(4)"},
		{"bad device", []Option{WithDevice("gpu")}, `WithDevice("gpu")`},
		{"negative threads", []Option{WithThreads(-1, 0)}, "WithThreads(-1, 0)"},
		{"bad precision", []Option{WithPrecision(Precision(5))}, "WithPrecision(Precision(5)): want Float32, BFloat16 or Float16"},
		{"checkpoint interval", []Option{WithCheckpoint(0, func(Checkpoint) error { return nil })}, "WithCheckpoint(0)"},
		{"averaging decay", []Option{WithAveraging(1)}, "WithAveraging(1)"},
		{"early stop", []Option{WithEarlyStop(-0.1)}, "WithEarlyStop(-0.1)"},
		{"multi-scale size", []Option{WithMultiScale(8)}, "WithMultiScale(8)"},
		{"blend weight count", []Option{WithStyleBlendWeights(1, 2)}, "2 weights for 1 style images"},
		{"blend weights zero", []Option{WithStyleBlendWeights(0)}, "sum to zero"},
		{"mask count", []Option{WithStyleMasks(nil, nil)}, "WithStyleMasks(2 masks)"},
		{"nil extra style", []Option{WithExtraStyles(nil)}, "WithExtraStyles(image 0)"},
		{"nil model", []Option{WithModel(nil)}, "WithModel(nil)"},
		{"nil option", []Option{nil}, "nil Option"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := transfer(t, tc.opts...)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidOption)
			assert.ErrorContains(t, err, tc.msg)
			assert.Nil(t, res)
		})
	}
}

func TestInvalidImages(t *testing.T) {
	m := fixtureModel(t)
	cases := []struct {
		name           string
		content, style image.Image
		opts           []Option
		msg            string
	}{
		{"nil content", nil, styleImage(20, 20), nil, "content image is nil or empty"},
		{"empty content", image.NewRGBA(image.Rectangle{}), styleImage(20, 20), nil, "content image is nil or empty"},
		{"nil style", contentImage(20, 20), nil, nil, "style image is nil or empty"},
		{"content too thin", contentImage(400, 4), styleImage(20, 20), []Option{WithMaxSize(64)}, "content image is 64×1"},
		{"style too thin", contentImage(32, 32), styleImage(300, 2), []Option{WithMaxSize(32)}, "style image 1 is 32×1"},
		{"empty mask", contentImage(32, 32), styleImage(32, 32), []Option{WithStyleMasks(image.NewGray(image.Rectangle{}))}, "WithStyleMasks(mask 1)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Transfer(context.Background(), tc.content, tc.style, append([]Option{WithModel(m), WithIterations(2)}, tc.opts...)...)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrInvalidImage) || errors.Is(err, ErrInvalidOption), "%v", err)
			assert.ErrorContains(t, err, tc.msg)
			assert.Nil(t, res)
		})
	}
}

func TestMissingWeightsFile(t *testing.T) {
	_, err := Transfer(context.Background(), contentImage(32, 32), styleImage(32, 32), WithWeightsFile(t.TempDir()+"/none.mat"))
	require.Error(t, err)
	assert.ErrorContains(t, err, "none.mat")
	t.Setenv(WeightsEnv, t.TempDir()+"/from-env.mat")
	_, err = NewTransferer()
	assert.ErrorContains(t, err, "from-env.mat")
}

// A Transferer reuses its graph for transfers of the same size and rebuilds
// it for another size; results do not depend on what ran before.
func TestTransfererReuse(t *testing.T) {
	tr, err := NewTransferer(WithModel(fixtureModel(t)), WithIterations(6), WithMaxSize(40))
	require.NoError(t, err)
	defer tr.Close()
	ctx := context.Background()
	a1, err := tr.Transfer(ctx, contentImage(40, 32), styleImage(36, 36))
	require.NoError(t, err)
	first := tr.engine
	// Another style image of another size: same graph.
	_, err = tr.Transfer(ctx, contentImage(40, 32), styleImage(20, 50))
	require.NoError(t, err)
	assert.Same(t, first, tr.engine, "same output size reuses the graph")
	a2, err := tr.Transfer(ctx, contentImage(40, 32), styleImage(36, 36))
	require.NoError(t, err)
	assert.Equal(t, a1.Image.Pix, a2.Image.Pix, "targets are recomputed per transfer")
	// Another content size: a new graph.
	b, err := tr.Transfer(ctx, contentImage(30, 40), styleImage(36, 36))
	require.NoError(t, err)
	assert.NotSame(t, first, tr.engine)
	assert.Equal(t, image.Rect(0, 0, 30, 40), b.Image.Bounds())

	require.NoError(t, tr.Close())
	require.NoError(t, tr.Close(), "Close is idempotent")
	_, err = tr.Transfer(ctx, contentImage(40, 32), styleImage(36, 36))
	assert.ErrorIs(t, err, ErrClosed)
}

// Transfers on several goroutines sharing one model give the results they
// give one after another.
func TestConcurrentTransfersShareModel(t *testing.T) {
	contents := []*image.RGBA{contentImage(40, 32), contentImage(32, 40), contentImage(40, 40), contentImage(36, 24)}
	run := func(i int) *Result {
		res, err := Transfer(context.Background(), contents[i], styleImage(30+i, 30), WithModel(fixtureModel(t)),
			WithMaxSize(40), WithIterations(8), WithThreads(1, 1))
		require.NoError(t, err)
		return res
	}
	sequential := make([]*Result, len(contents))
	for i := range contents {
		sequential[i] = run(i)
	}
	concurrent := make([]*Result, len(contents))
	var wg sync.WaitGroup
	for i := range contents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			concurrent[i] = run(i)
		}()
	}
	wg.Wait()
	for i := range contents {
		assert.Equal(t, sequential[i].Image.Pix, concurrent[i].Image.Pix, "transfer %d", i)
	}
}

// A network whose activations overflow float32 gives an infinite loss; the
// run stops with optim.ErrNonFinite instead of returning garbage.
func TestNonFiniteLoss(t *testing.T) {
	m := fixtureModel(t)
	convs := m.Convs()
	for i := range convs {
		for j := range convs[i].Kernel {
			convs[i].Kernel[j] *= 1e6
		}
	}
	huge, err := vgg.New(convs, m.MeanPixel())
	require.NoError(t, err)
	_, err = Transfer(context.Background(), contentImage(40, 32), styleImage(36, 36), WithModel(huge), WithMaxSize(40), WithIterations(5))
	require.Error(t, err)
	assert.ErrorIs(t, err, optim.ErrNonFinite)
	assert.ErrorContains(t, err, "iteration 0")
}

func TestScaleSchedule(t *testing.T) {
	wide := image.Rect(0, 0, 400, 100)
	cases := []struct {
		min, max int
		bounds   image.Rectangle
		want     []int
	}{
		{0, 512, image.Rect(0, 0, 300, 200), []int{512}},
		{128, 512, image.Rect(0, 0, 300, 200), []int{128, 256, 512}},
		{100, 512, image.Rect(0, 0, 300, 200), []int{100, 200, 400, 512}},
		{512, 512, image.Rect(0, 0, 300, 200), []int{512}},
		{16, 128, wide, []int{64, 128}}, // 16 and 32 would make the short side < 16
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, scaleSchedule(tc.min, tc.max, image.NewRGBA(tc.bounds)), "%d…%d on %v", tc.min, tc.max, tc.bounds)
	}
}

// A coarse-to-fine run optimizes at each size in turn, starting every scale
// from the previous result, and ends at the requested size.
func TestMultiScale(t *testing.T) {
	var (
		scales     []string
		firstEvals []int // evaluations to finish the first iteration of each scale
	)
	res, err := transfer(t, WithMultiScale(16), WithIterations(15), WithProgress(func(p Progress) error {
		if p.Iteration == 1 {
			scales = append(scales, fmt.Sprintf("%d/%d %dx%d", p.Scale, p.Scales, p.Width, p.Height))
			firstEvals = append(firstEvals, p.Evaluations)
		}
		return nil
	}))
	require.NoError(t, err)
	assert.Equal(t, []string{"1/2 32x26", "2/2 40x32"}, scales)
	// The fine scale's first L-BFGS step has the length the coarse scale
	// ended with, and the coarse scale's is firstStepRMS grey levels, so
	// neither line search has to grow gonum's unit first step.
	t.Logf("evaluations in the first iteration of each scale: %v", firstEvals)
	assert.LessOrEqual(t, firstEvals[0], 3)
	assert.LessOrEqual(t, firstEvals[1], 3)
	assert.Equal(t, image.Rect(0, 0, 40, 32), res.Image.Bounds())
	assert.Len(t, res.History, 30)
	// The fine scale starts from the coarse result, which is a better start
	// than the content image, and the run ends lower than a single-scale run
	// of as many full-size iterations (measured: about 13× lower).
	single, err := transfer(t, WithIterations(15))
	require.NoError(t, err)
	t.Logf("loss after the first full-size iteration: %.4g multi-scale, %.4g single; final %.4g vs %.4g",
		res.History[15].Loss, single.History[0].Loss, res.Loss, single.Loss)
	assert.Less(t, res.History[15].Loss, single.History[0].Loss)
	assert.Less(t, res.Loss, single.Loss)

	// Cancelled at the coarse scale: the image so far, at the requested size.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err = Transfer(ctx, contentImage(40, 32), styleImage(36, 36), WithModel(fixtureModel(t)), WithMaxSize(40),
		WithMultiScale(16), WithIterations(15), WithProgress(func(p Progress) error {
			if p.Iteration == 3 {
				cancel()
			}
			return nil
		}))
	assert.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, res)
	assert.Equal(t, image.Rect(0, 0, 40, 32), res.Image.Bounds())
}

// WithDevice re-imports the graph with a default device; on the CPU the
// result is the one without the option, and Result.Device names the device
// the network ran on.
func TestWithDevice(t *testing.T) {
	plain, err := transfer(t, WithIterations(5), WithOptimizer(Adam(1)))
	require.NoError(t, err)
	pinned, err := transfer(t, WithIterations(5), WithOptimizer(Adam(1)), WithDevice("/cpu:0"))
	require.NoError(t, err)
	assert.Equal(t, plain.Image.Pix, pinned.Image.Pix)
	assert.Equal(t, "/device:CPU:0", pinned.Device)
	def, err := tfruntime.Default()
	require.NoError(t, err)
	assert.Equal(t, def.Short(), plain.Device, "without WithDevice: TensorFlow's default")
	assert.Zero(t, liveSessions.Load())
}

// A device TensorFlow does not see is refused before any work: before the
// weights are read (the file here does not exist, and the error is about
// the device) and before a session is opened; the error lists the devices
// and names the runtime.
func TestWithDeviceMissing(t *testing.T) {
	devices, err := tfruntime.Devices()
	require.NoError(t, err)
	gpus := 0
	for _, d := range devices {
		if d.Type == "GPU" {
			gpus++
		}
	}
	missing := fmt.Sprintf("/gpu:%d", gpus) // one past the last GPU
	_, err = NewTransferer(WithWeightsFile("does-not-exist.mat"), WithDevice(missing))
	require.ErrorIs(t, err, tfruntime.ErrNoDevice)
	assert.ErrorContains(t, err, fmt.Sprintf("style: WithDevice(%q): ", missing))
	assert.ErrorContains(t, err, "/device:CPU:0", "the error lists the devices")
	if gpus == 0 {
		assert.ErrorContains(t, err, "no GPU is visible to TensorFlow")
		assert.ErrorContains(t, err, "build", "the error names the runtime variant")
	}

	// Transfer options are checked the same way, before a session opens.
	tr, err := NewTransferer(WithModel(fixtureModel(t)), WithMaxSize(40), WithIterations(2))
	require.NoError(t, err)
	defer tr.Close()
	_, err = tr.Transfer(context.Background(), contentImage(40, 32), styleImage(36, 36), WithDevice(missing))
	require.ErrorIs(t, err, tfruntime.ErrNoDevice)
	assert.Zero(t, liveSessions.Load())
}

// BFloat16 runs the network in mixed precision: the result differs from the
// float32 one (the rewrite took effect) and Adam's loss falls as far. With
// L-BFGS, and on a CPU without bfloat16 instructions, the option is refused.
func TestPrecision(t *testing.T) {
	if !cpuHasBFloat16 {
		_, err := transfer(t, WithPrecision(BFloat16), WithOptimizer(Adam(1)))
		require.ErrorIs(t, err, ErrInvalidOption)
		assert.ErrorContains(t, err, "WithPrecision(bfloat16): this CPU has no bfloat16 instructions")
		t.Log("this CPU has no bfloat16 instructions: only the refusal is tested")
		return
	}
	f32, err := transfer(t, WithOptimizer(Adam(2)), WithIterations(30))
	require.NoError(t, err)
	bf16, err := transfer(t, WithOptimizer(Adam(2)), WithIterations(30), WithPrecision(BFloat16))
	require.NoError(t, err)
	t.Logf("loss after 30 iterations: float32 %.4g (first %.4g), bfloat16 %.4g (first %.4g)",
		f32.Loss, f32.History[0].Loss, bf16.Loss, bf16.History[0].Loss)
	assert.NotEqual(t, f32.Image.Pix, bf16.Image.Pix, "the bfloat16 rewrite changed nothing")
	assert.InEpsilon(t, f32.History[0].Loss, bf16.History[0].Loss, 0.05, "first iteration")
	assert.InEpsilon(t, f32.Loss, bf16.Loss, 0.1, "after 30 iterations")
	assert.Less(t, bf16.Loss, bf16.History[0].Loss/2.5)

	// L-BFGS is refused, whichever option comes first.
	_, err = transfer(t, WithPrecision(BFloat16))
	require.ErrorIs(t, err, ErrInvalidOption)
	assert.ErrorContains(t, err, "WithPrecision(bfloat16): needs WithOptimizer(Adam(…))")
	_, err = transfer(t, WithPrecision(BFloat16), WithOptimizer(Adam(1)), WithOptimizer(LBFGS()))
	assert.ErrorIs(t, err, ErrInvalidOption)
	_, err = transfer(t, WithPrecision(Float16), onSimulatedGPU(24*gib))
	assert.ErrorContains(t, err, "WithPrecision(float16): needs WithOptimizer(Adam(…))")

	cpuHasBFloat16 = false
	defer func() { cpuHasBFloat16 = true }()
	_, err = transfer(t, WithPrecision(BFloat16), WithOptimizer(Adam(1)))
	require.ErrorIs(t, err, ErrInvalidOption)
	assert.ErrorContains(t, err, "WithPrecision(bfloat16): this CPU has no bfloat16 instructions")
}

// With WithClampPixels(true), the default, the losses see the image clamped
// to the pixel range: a pixel beyond it counts as the bound and gets no
// gradient, a pixel on the bound still does, and a transfer's reported loss
// is the loss of the image it delivers.
func TestClampPixels(t *testing.T) {
	t.Run("evaluation", func(t *testing.T) {
		m := fixtureModel(t)
		const w, h = 24, 20
		mean := m.MeanPixel()
		content, painting := contentImage(w, h), styleImage(w, h)
		for _, clamp := range []bool{true, false} {
			opts := []Option{WithModel(m), WithMaxSize(w), WithThreads(2, 1), WithClampPixels(clamp)}
			tr, err := NewTransferer(opts...)
			require.NoError(t, err)
			defer tr.Close()
			cfg, err := resolve(opts)
			require.NoError(t, err)
			p, err := tr.prepare(&cfg, content, painting)
			require.NoError(t, err)
			require.NoError(t, tr.useEngine(&cfg, p, MemoryPlan{}))
			x, err := tr.setTargets(context.Background(), &cfg, p, imageio.Mean(mean))
			require.NoError(t, err)

			// Pixel 0 red far above the range, pixel 1 green far below,
			// pixel 2 blue exactly on the lower bound (black).
			beyond := slices.Clone(x)
			beyond[0], beyond[4], beyond[8] = 1000, -1000, -mean[2]
			onBounds := slices.Clone(beyond)
			onBounds[0], onBounds[4] = 255-mean[0], -mean[1]
			g1, g2 := make([]float32, len(x)), make([]float32, len(x))
			e1, err := tr.engine.evaluate(beyond, g1)
			require.NoError(t, err)
			e2, err := tr.engine.evaluate(onBounds, g2)
			require.NoError(t, err)
			if clamp {
				assert.Equal(t, e2.total, e1.total, "beyond the range counts as the bound")
				assert.Zero(t, g1[0], "no gradient above the range")
				assert.Zero(t, g1[4], "no gradient below the range")
				assert.NotZero(t, g1[8], "a pixel on the bound keeps its gradient")
				assert.NotZero(t, g2[0], "a pixel on the bound keeps its gradient")
				assert.Equal(t, g2[8], g1[8])
			} else {
				assert.NotEqual(t, e2.total, e1.total)
				assert.NotZero(t, g1[0])
				assert.NotZero(t, g1[4])
			}
		}
	})

	t.Run("delivered loss", func(t *testing.T) {
		base := []Option{WithModel(fixtureModel(t)), WithMaxSize(40), WithThreads(2, 1)}
		content, painting := contentImage(40, 32), styleImage(36, 36)
		delivered := map[bool]float64{}
		for _, clamp := range []bool{true, false} {
			res, err := Transfer(context.Background(), content, painting, append(base, WithIterations(30), WithClampPixels(clamp))...)
			require.NoError(t, err)
			delivered[clamp] = float32Loss(t, base, content, painting, res.Image)
			t.Logf("clamp %v: reported loss %.4g, loss of the delivered image %.4g", clamp, res.Loss, delivered[clamp])
			if clamp {
				// Only the rounding to 8 bits separates the two.
				assert.InEpsilon(t, res.Loss, delivered[clamp], 0.05)
			}
		}
		// Unclamped, L-BFGS lowers the loss with pixels the output cannot
		// hold (measured: 100× higher delivered loss).
		assert.Less(t, 10*delivered[true], delivered[false])
	})
}

// ParsePrecision reads the names String gives, and nothing else.
func TestParsePrecision(t *testing.T) {
	for _, p := range []Precision{Float32, BFloat16, Float16} {
		for _, in := range []string{p.String(), " " + strings.ToUpper(p.String()) + " "} {
			got, err := ParsePrecision(in)
			require.NoError(t, err, in)
			assert.Equal(t, p, got, in)
		}
	}
	for _, in := range []string{"", "float64", "bf16", "fp16", "half", "Precision(5)"} {
		_, err := ParsePrecision(in)
		assert.ErrorContains(t, err, "unknown precision", in)
	}
}
