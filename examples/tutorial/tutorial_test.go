package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"
	"go.uber.org/goleak"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/internal/tfutil"
	"github.com/neuralstyle/neuralstyle/vgg"
)

func TestMain(m *testing.M) {
	// The log filter of tfruntime/quiet (imported by main) reads for the
	// life of the process.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/neuralstyle/neuralstyle/tfruntime/quiet.pump"))
}

const (
	fixtureWeights = "../../vgg/testdata/vgg19_new.mat" // VGG19 layout, 4…12 channels
	contentImage   = "../images/chelsea.jpg"
	styleImage     = "../images/starry_night.jpg"
)

// result is what one run of the command printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

func runArgs(t *testing.T, ctx context.Context, load loadFunc, stdout *bytes.Buffer, args ...string) result {
	t.Helper()
	if stdout == nil {
		stdout = new(bytes.Buffer)
	}
	var stderr bytes.Buffer
	code := runWith(ctx, args, stdout, &stderr, load)
	return result{code, stdout.String(), stderr.String()}
}

// printed holds the parts of a run's output that the tests check.
type printed struct {
	styleShape string            // "(1, 480, 640, 3)"
	layers     map[string]string // the network dict: layer → shape
	order      []string          // its layers in the order printed
	conv41     string            // conv4_1's shape for the style image
	before     float64           // the loss before the first step
	iters      []int             // the "iter=" lines
	losses     []float64
}

var (
	reStyleShape = regexp.MustCompile(`(?m)^style image tensor shape: (\(.*\))$`)
	reLayer      = regexp.MustCompile(`(?m)^(input|(?:conv|relu)\d_\d|pool\d) +(\(\d+(?:, \d+)*\))$`)
	reConv41     = regexp.MustCompile(`(?m)^conv4_1 shape: (\(.*\)) \(`)
	reBefore     = regexp.MustCompile(`(?m)^loss before the first step \(the content image\): (\S+) = `)
	reIter       = regexp.MustCompile(`(?m)^iter=(\d+), loss=(\S+)$`)
	reRow        = regexp.MustCompile(`(?m)^(?:\[\[| \[) +-?\d+\.\d{3}(?: +-?\d+\.\d{3})*\]\]?$`) // a row of a printed block
)

func parse(t *testing.T, out string) printed {
	t.Helper()
	var p printed
	if m := reStyleShape.FindStringSubmatch(out); m != nil {
		p.styleShape = m[1]
	}
	p.layers = map[string]string{}
	for _, m := range reLayer.FindAllStringSubmatch(out, -1) {
		p.layers[m[1]] = m[2]
		p.order = append(p.order, m[1])
	}
	if m := reConv41.FindStringSubmatch(out); m != nil {
		p.conv41 = m[1]
	}
	if m := reBefore.FindStringSubmatch(out); m != nil {
		v, err := strconv.ParseFloat(m[1], 64)
		require.NoError(t, err)
		p.before = v
	}
	for _, m := range reIter.FindAllStringSubmatch(out, -1) {
		n, err := strconv.Atoi(m[1])
		require.NoError(t, err)
		v, err := strconv.ParseFloat(m[2], 64)
		require.NoError(t, err)
		p.iters = append(p.iters, n)
		p.losses = append(p.losses, v)
	}
	return p
}

func TestRunFixtureWeights(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sub", "tutorial.png") // the folder is created
	r := runArgs(t, context.Background(), vgg.Load, nil,
		"-weights", fixtureWeights, "-content", contentImage, "-style", styleImage,
		"-width", "64", "-height", "48", "-iterations", "100", "-out", out)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Empty(t, r.stderr)
	t.Log("\n" + r.stdout)

	p := parse(t, r.stdout)
	assert.Equal(t, "(1, 48, 64, 3)", p.styleShape)
	// The fixture's channel widths are 4, 6, 8, 10, 12 (vgg/testdata/make_fixtures.py).
	want := map[string]string{
		"input":   "(1, 48, 64, 3)",
		"conv1_1": "(1, 48, 64, 4)",
		"pool1":   "(1, 24, 32, 4)",
		"relu2_1": "(1, 24, 32, 6)",
		"relu3_1": "(1, 12, 16, 8)",
		"conv4_1": "(1, 6, 8, 10)",
		"conv4_2": "(1, 6, 8, 10)",
		"pool4":   "(1, 3, 4, 10)",
		"pool5":   "(1, 2, 2, 12)",
	}
	for name, shape := range want {
		assert.Equal(t, shape, p.layers[name], name)
	}
	assert.Len(t, p.order, 38, "input and the 37 layers of VGG19")
	assert.Equal(t, "(1, 6, 8, 10)", p.conv41)
	for _, s := range []string{
		"style target relu2_1: mean Gram matrix FᵀF/M, shape (6, 6)",
		"style target relu3_1: mean Gram matrix FᵀF/M, shape (8, 8)",
		"content target conv4_2: the content image's features, shape (1, 6, 8, 10)",
		"total loss:   10000·style + 5·content",
		"TensorFlow 2.",
		"mean pixel (R, G, B): [123.680, 116.779, 103.939]",
	} {
		assert.Contains(t, r.stdout, s)
	}
	// 6 rows of the 10×10 block of conv4_1 (its height is 6) and 10 of the image.
	assert.Len(t, reRow.FindAllString(r.stdout, -1), 16)

	// The loss goes down: from the content image to the first "iter=" line
	// and from the first to the last.
	require.Equal(t, []int{50, 100}, p.iters)
	assert.Greater(t, p.before, 0.0)
	assert.Less(t, p.losses[0], p.before)
	assert.Less(t, p.losses[len(p.losses)-1], p.losses[0])
	assert.Contains(t, r.stdout, "saved "+out+" (64×48)")

	img, err := imageio.Load(out, imageio.DecodeOptions{})
	require.NoError(t, err)
	assert.Equal(t, 64, img.Bounds().Dx())
	assert.Equal(t, 48, img.Bounds().Dy())
}

// The shapes the original tutorial prints for its 640×480 images and the
// real VGG19 (net dict, TensorFlow 1.3).
var tutorialShapes = []struct{ layer, shape string }{
	{"input", "(1, 480, 640, 3)"},
	{"conv1_1", "(1, 480, 640, 64)"}, {"relu1_1", "(1, 480, 640, 64)"},
	{"conv1_2", "(1, 480, 640, 64)"}, {"relu1_2", "(1, 480, 640, 64)"},
	{"pool1", "(1, 240, 320, 64)"},
	{"conv2_1", "(1, 240, 320, 128)"}, {"relu2_1", "(1, 240, 320, 128)"},
	{"conv2_2", "(1, 240, 320, 128)"}, {"relu2_2", "(1, 240, 320, 128)"},
	{"pool2", "(1, 120, 160, 128)"},
	{"conv3_1", "(1, 120, 160, 256)"}, {"relu3_1", "(1, 120, 160, 256)"},
	{"conv3_2", "(1, 120, 160, 256)"}, {"relu3_2", "(1, 120, 160, 256)"},
	{"conv3_3", "(1, 120, 160, 256)"}, {"relu3_3", "(1, 120, 160, 256)"},
	{"conv3_4", "(1, 120, 160, 256)"}, {"relu3_4", "(1, 120, 160, 256)"},
	{"pool3", "(1, 60, 80, 256)"},
	{"conv4_1", "(1, 60, 80, 512)"}, {"relu4_1", "(1, 60, 80, 512)"},
	{"conv4_2", "(1, 60, 80, 512)"}, {"relu4_2", "(1, 60, 80, 512)"},
	{"conv4_3", "(1, 60, 80, 512)"}, {"relu4_3", "(1, 60, 80, 512)"},
	{"conv4_4", "(1, 60, 80, 512)"}, {"relu4_4", "(1, 60, 80, 512)"},
	{"pool4", "(1, 30, 40, 512)"},
	{"conv5_1", "(1, 30, 40, 512)"}, {"relu5_1", "(1, 30, 40, 512)"},
	{"conv5_2", "(1, 30, 40, 512)"}, {"relu5_2", "(1, 30, 40, 512)"},
	{"conv5_3", "(1, 30, 40, 512)"}, {"relu5_3", "(1, 30, 40, 512)"},
	{"conv5_4", "(1, 30, 40, 512)"}, {"relu5_4", "(1, 30, 40, 512)"},
	{"pool5", "(1, 15, 20, 512)"},
}

// fullWidthModel is a VGG19 with the real channel counts (64, 128, 256, 512,
// 512) and small random weights (He-scaled, so activations keep their
// magnitude through the layers), made once for the tests that need it.
var fullWidthModel = sync.OnceValues(func() (*vgg.Model, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	blocks := []struct{ convs, ch int }{{2, 64}, {2, 128}, {4, 256}, {4, 512}, {4, 512}}
	var convs []vgg.Conv
	in := 3
	for b, blk := range blocks {
		for i := 1; i <= blk.convs; i++ {
			k := make([]float32, 9*in*blk.ch)
			a := math.Sqrt(3) * math.Sqrt(2/float64(9*in)) // uniform with He's variance
			for j := range k {
				k[j] = float32(a * (2*rng.Float64() - 1))
			}
			bias := make([]float32, blk.ch)
			for j := range bias {
				bias[j] = float32(0.1 * (2*rng.Float64() - 1))
			}
			convs = append(convs, vgg.Conv{
				Name: fmt.Sprintf("conv%d_%d", b+1, i), Kernel: k, Bias: bias,
				KernelShape: [4]int{3, 3, in, blk.ch},
			})
			in = blk.ch
		}
	}
	return vgg.New(convs, [3]float32{123.68, 116.779, 103.939})
})

// TestRunFullWidth runs steps 1 to 5 on a full-width synthetic VGG19 at the
// tutorial's 640×480 and checks that the printouts have the tutorial's
// shapes. The optimization is skipped (-iterations 0), which keeps the test
// to three forward passes.
func TestRunFullWidth(t *testing.T) {
	const fakePath = "synthetic-vgg19.mat"
	load := func(path string) (*vgg.Model, error) {
		require.Equal(t, fakePath, path)
		return fullWidthModel()
	}
	out := filepath.Join(t.TempDir(), "tutorial.jpg")
	r := runArgs(t, context.Background(), load, nil,
		"-weights", fakePath, "-content", contentImage, "-style", styleImage,
		"-iterations", "0", "-out", out) // -width 640 -height 480 by default
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	t.Log("\n" + r.stdout)

	p := parse(t, r.stdout)
	assert.Equal(t, "(1, 480, 640, 3)", p.styleShape)
	var order []string
	for _, want := range tutorialShapes {
		assert.Equal(t, want.shape, p.layers[want.layer], want.layer)
		order = append(order, want.layer)
	}
	assert.Equal(t, order, p.order, "the dict is printed in network order")
	assert.Equal(t, "(1, 60, 80, 512)", p.conv41)
	for _, s := range []string{
		"architecture: VGG19, 16 convolutions, 37 feature layers",
		"style target relu2_1: mean Gram matrix FᵀF/M, shape (128, 128)",
		"style target relu3_1: mean Gram matrix FᵀF/M, shape (256, 256)",
		"content target conv4_2: the content image's features, shape (1, 60, 80, 512)",
		"skipped (-iterations 0)",
		"saved " + out + " (640×480)",
	} {
		assert.Contains(t, r.stdout, s)
	}
	// Ten rows of ten values for the image and for conv4_1.
	assert.Len(t, reRow.FindAllString(r.stdout, -1), 20)
	assert.Greater(t, p.before, 0.0)
	assert.Empty(t, p.iters)

	img, err := imageio.Load(out, imageio.DecodeOptions{})
	require.NoError(t, err)
	assert.Equal(t, 640, img.Bounds().Dx())
	assert.Equal(t, 480, img.Bounds().Dy())
}

// cancelOn is a writer that cancels a context once the text written to it
// contains a marker.
type cancelOn struct {
	bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	n, err := c.Buffer.Write(p)
	if strings.Contains(c.Buffer.String(), c.marker) {
		c.cancel()
	}
	return n, err
}

func TestRunCancelled(t *testing.T) {
	tests := []struct {
		name   string
		marker string // cancel once this is printed; "" cancels before the run
		want   string
	}{
		{"before the run", "", "stopped before the optimization: context canceled"},
		{"during Adam", "iter=50,", "stopped after 50 of 200 iterations, no output written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.marker == "" {
				cancel()
			}
			w := &cancelOn{marker: "\x00", cancel: cancel}
			if tt.marker != "" {
				w.marker = tt.marker
			}
			out := filepath.Join(t.TempDir(), "out.png")
			var stderr bytes.Buffer
			code := runWith(ctx, []string{"-weights", fixtureWeights, "-content", contentImage, "-style", styleImage,
				"-width", "32", "-height", "24", "-iterations", "200", "-out", out}, w, &stderr, vgg.Load)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr.String(), tt.want)
			assert.Contains(t, stderr.String(), "context canceled")
			assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), stderr.String())
			assert.NoFileExists(t, out)
		})
	}
}

func TestRunFailures(t *testing.T) {
	dir := t.TempDir()
	notMat := filepath.Join(dir, "weights.mat")
	require.NoError(t, os.WriteFile(notMat, []byte("not a MAT file at all"), 0o644))
	missing := filepath.Join(dir, "missing.mat")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "folder.png"), 0o755))
	good := []string{"-weights", fixtureWeights, "-content", contentImage, "-style", styleImage, "-width", "16", "-height", "16"}
	with := func(args ...string) []string { return append(append([]string(nil), good...), args...) }

	tests := []struct {
		name string
		args []string
		code int
		want string // in the one line on stderr
	}{
		{"unknown flag", with("-bogus"), 2, "flag provided but not defined: -bogus"},
		{"stray argument", with("extra"), 2, `unexpected argument "extra"`},
		{"negative iterations", with("-iterations", "-1"), 2, "-iterations -1: must be 0 or more"},
		{"zero width", with("-width", "0"), 2, "-width 0: must be 1 to 8192"},
		{"huge height", with("-height", "100000"), 2, "-height 100000: must be 1 to 8192"},
		{"output format", with("-out", filepath.Join(dir, "out.xyz")), 2, "-out"},
		{"output is a folder", with("-out", filepath.Join(dir, "folder.png")), 1, "not a regular file"},
		{"missing weights", with("-weights", missing), 1, "https://www.vlfeat.org/matconvnet/models/imagenet-vgg-verydeep-19.mat"},
		{"not a weights file", with("-weights", notMat), 1, "-weights: "},
		{"missing content", with("-content", filepath.Join(dir, "none.jpg")), 1, "-content: "},
		{"style is not an image", with("-style", notMat), 1, "-style: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			out := filepath.Join(dir, tt.name+".png")
			if !strings.Contains(strings.Join(args, " "), "-out") {
				args = append(args, "-out", out)
			}
			r := runArgs(t, context.Background(), vgg.Load, nil, args...)
			assert.Equal(t, tt.code, r.code)
			assert.True(t, strings.HasPrefix(r.stderr, "tutorial: "), r.stderr)
			assert.Contains(t, r.stderr, tt.want)
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			assert.NoFileExists(t, out)
		})
	}
}

func TestRunHelp(t *testing.T) {
	r := runArgs(t, context.Background(), vgg.Load, nil, "-h")
	assert.Equal(t, 0, r.code)
	assert.Empty(t, r.stderr)
	for _, flag := range []string{"-weights", "-content", "-style", "-out", "-iterations", "-width", "-height", "Exit status"} {
		assert.Contains(t, r.stdout, flag)
	}
}

func TestDefaults(t *testing.T) {
	t.Setenv(weightsEnv, "")
	o, err := parseArgs(nil, nil)
	require.NoError(t, err)
	assert.Equal(t, options{
		content: "examples/images/chelsea.jpg",
		style:   "examples/images/starry_night.jpg", out: "out/tutorial.png",
		iterations: 500, width: 640, height: 480,
	}, o)
	// The default images are the sample images of the repository.
	for _, path := range []string{o.content, o.style} {
		assert.FileExists(t, filepath.Join("..", "..", path))
	}
}

func TestTuple(t *testing.T) {
	tests := []struct {
		shape []int64
		want  string
	}{
		{[]int64{1, 480, 640, 3}, "(1, 480, 640, 3)"},
		{[]int64{128, 128}, "(128, 128)"},
		{[]int64{5}, "(5,)"},
		{nil, "()"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tuple(tt.shape))
	}
}

// TestLossAtContentImage checks the graph behind steps 5 and 6 on the
// fixture network: the full loss at the content image, with the content
// target fed, is the style term alone (step 5 prints it from one run that
// does not feed the content target), the style term is the tutorial's mean
// over the two layers times 1e4, and the gradient has the image's shape.
func TestLossAtContentImage(t *testing.T) {
	m, err := vgg.Load(fixtureWeights)
	require.NoError(t, err)
	const h, w = 24, 32
	g, err := buildGraph(m, h, w)
	require.NoError(t, err)
	sess, err := tf.NewSession(g.graph, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, sess.Close()) }()
	require.NoError(t, g.net.Init(sess))

	tensor := func(path string) *tf.Tensor {
		img, err := imageio.Load(path, imageio.DecodeOptions{})
		require.NoError(t, err)
		small, err := imageio.ResizeTo(img, w, h)
		require.NoError(t, err)
		data, _, _ := imageio.ToTensor(small, imageio.Mean(m.MeanPixel()))
		x, err := tfutil.Float32Tensor(data, 1, h, w, 3)
		require.NoError(t, err)
		return x
	}
	styleIn, contentIn := tensor(styleImage), tensor(contentImage)
	var tg targets
	tg.style, err = sess.Run(map[tf.Output]*tf.Tensor{g.input: styleIn}, g.styleTargets, nil)
	require.NoError(t, err)
	fc, err := g.net.Layer(contentLayer)
	require.NoError(t, err)
	out, err := sess.Run(map[tf.Output]*tf.Tensor{g.input: contentIn}, []tf.Output{fc}, nil)
	require.NoError(t, err)
	tg.content = out[0]

	fetch := append([]tf.Output{g.terms.Total, g.terms.Style, g.terms.Content, g.grad}, g.styleLayerLoss...)
	out, err = sess.Run(g.feeds(contentIn, tg), fetch, nil)
	require.NoError(t, err)
	scalar := func(i int) float64 {
		v, err := tfutil.Scalar(out[i])
		require.NoError(t, err)
		return v
	}
	total, style, content := scalar(0), scalar(1), scalar(2)
	assert.Equal(t, 0.0, content)
	assert.Equal(t, style, total)
	assert.Greater(t, style, 0.0)
	assert.InDelta(t, styleWeight*(scalar(4)+scalar(5))/2, style, 1e-5*style)
	assert.Equal(t, []int64{1, h, w, 3}, out[3].Shape())
}
