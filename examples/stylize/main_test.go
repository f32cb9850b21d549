package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/internal/cli"
	"github.com/neuralstyle/neuralstyle/style"
)

// fixtureWeights is the tiny VGG19-shaped network of the vgg package's
// tests: the same file layout as the real weights, with few channels.
const fixtureWeights = "../../vgg/testdata/vgg19_new.mat"

// writeImage writes a w×h PNG with a pattern chosen by kind into dir and
// returns its path.
func writeImage(t *testing.T, dir, name string, w, h int, kind string) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var c color.RGBA
			switch kind {
			case "gradient": // a smooth photo-like content image
				c = color.RGBA{uint8(255 * x / w), uint8(255 * y / h), 128, 255}
			case "stripes": // a strongly textured style image
				if (x/4+y/6)%2 == 0 {
					c = color.RGBA{230, 200, 40, 255}
				} else {
					c = color.RGBA{20, 40, 160, 255}
				}
			case "half": // a mask: left half white
				if x < w/2 {
					c = color.RGBA{255, 255, 255, 255}
				} else {
					c = color.RGBA{0, 0, 0, 255}
				}
			}
			img.SetRGBA(x, y, c)
		}
	}
	path := filepath.Join(dir, name)
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	return path
}

// inputs is a directory with the images the tests use.
type inputs struct {
	dir, content, style, style2, mask, mask2 string
}

func newInputs(t *testing.T) inputs {
	dir := t.TempDir()
	return inputs{
		dir:     dir,
		content: writeImage(t, dir, "content.png", 48, 40, "gradient"),
		style:   writeImage(t, dir, "style.png", 40, 40, "stripes"),
		style2:  writeImage(t, dir, "style2.png", 32, 48, "gradient"),
		mask:    writeImage(t, dir, "mask.png", 48, 40, "half"),
		mask2:   writeImage(t, dir, "mask2.png", 24, 20, "half"),
	}
}

// stylize runs the command and returns its exit status, stdout and stderr.
func stylize(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, path)
	return img
}

// files lists the names in dir, hidden temporary files included.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestRunWritesResultAndPlot(t *testing.T) {
	in := newInputs(t)
	base := []string{"-content", in.content, "-style", in.style, "-weights", fixtureWeights, "-iterations", "5", "-max-size", "48"}
	tests := []struct {
		name  string
		out   string
		args  []string
		files []string // written beside the inputs, besides the inputs themselves
	}{
		{name: "defaults", out: "out.png", files: []string{"out.png", "out_loss.png"}},
		{name: "adam", out: "adam.png", args: []string{"-optimizer", "adam", "-lr", "2"}, files: []string{"adam.png", "adam_loss.png"}},
		{name: "jpeg", out: "result.jpg", args: []string{"-quality", "80"}, files: []string{"result.jpg", "result_loss.png"}},
		{name: "no plot", out: "noplot.png", args: []string{"-plot", ""}, files: []string{"noplot.png"}},
		{name: "plot elsewhere", out: "p.png", args: []string{"-plot", "curves.png"}, files: []string{"p.png", "curves.png"}},
		{name: "checkpoints", out: "cp.png", args: []string{"-checkpoint-every", "2"},
			files: []string{"cp.png", "cp_loss.png", "cp_iter2.png", "cp_iter4.png"}},
		{name: "two styles with weights and masks", out: "blend.png",
			args:  []string{"-style", in.style2, "-style-weights", "0.7,0.3", "-mask", in.mask, "-mask", in.mask2},
			files: []string{"blend.png", "blend_loss.png"}},
		{name: "w2 style loss, l2 pooling, masked blend", out: "w2.png",
			args: []string{"-style-loss", "w2", "-pooling", "l2", "-style", in.style2, "-style-weights", "0.7,0.3",
				"-mask", in.mask, "-mask", in.mask2},
			files: []string{"w2.png", "w2_loss.png"}},
		{name: "every option", out: "all.png", args: []string{
			"-content-weight", "1", "-style-weight", "100", "-tv-weight", "0", "-tv-kind", "squared",
			"-content-layers", "conv4_2:1,conv5_1:0.5", "-style-layers", "relu1_1,relu3_1:2",
			"-content-norm", "2", "-gram-norm", "mean", "-style-loss", "gram", "-init", "noise", "-noise-ratio", "0.5", "-seed", "7",
			"-original-colors", "lab", "-color-match", "-pooling", "max", "-precision", "float32", "-clamp-pixels=false", "-style-scale", "0.5", "-multi-scale", "32",
			"-early-stop", "1e-9", "-average", "0.9", "-device", "/cpu:0", "-threads", "1,1", "-quiet"},
			files: []string{"all.png", "all_loss.png"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, tt.out)
			args := append(append(append([]string(nil), base...), "-out", out), tt.args...)
			for i, a := range args { // relative -plot paths go into dir too
				if i > 0 && args[i-1] == "-plot" && a != "" {
					args[i] = filepath.Join(dir, a)
				}
			}
			code, stdout, stderr := stylize(t, context.Background(), args...)
			require.Equal(t, 0, code, "stderr: %s", stderr)
			assert.Empty(t, stderr)
			assert.ElementsMatch(t, tt.files, files(t, dir), "no temporary files may stay behind")

			img, err := imageio.Load(out, imageio.DecodeOptions{})
			require.NoError(t, err)
			assert.Equal(t, image.Rect(0, 0, 48, 40), img.Bounds())
			for _, f := range tt.files {
				if strings.HasSuffix(f, "_loss.png") || f == "curves.png" {
					plot := decodePNG(t, filepath.Join(dir, f))
					assert.Greater(t, plot.Bounds().Dx(), 400, "plot width")
					assert.Greater(t, plot.Bounds().Dy(), 250, "plot height")
				}
			}
			if slicesContain(tt.args, "-quiet") {
				assert.Empty(t, stdout)
			} else {
				assert.Contains(t, stdout, "iteration 5/5")
				assert.Contains(t, stdout, "wrote "+out)
				assert.Equal(t, 1, strings.Count(stdout, "running on /device:"), "where it runs is said once: %s", stdout)
			}
		})
	}
}

// TestRunInitImage checks that -init-image is where the optimization starts:
// after one tiny Adam step from the stripes, resized to the 48×40 output,
// the result is still the stripes (far from the gradient content image),
// and starting from the content image gives the content image back.
func TestRunInitImage(t *testing.T) {
	in := newInputs(t)
	tests := []struct {
		name, init string
		wantNear   string // the image the output must stay within a few levels of
	}{
		{"from the style image", in.style, in.style},
		{"from the content image", in.content, in.content},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.png")
			code, _, stderr := stylize(t, context.Background(), "-content", in.content, "-style", in.style,
				"-weights", fixtureWeights, "-iterations", "1", "-optimizer", "adam", "-lr", "0.01",
				"-max-size", "48", "-init-image", tt.init, "-out", out, "-plot", "", "-quiet")
			require.Equal(t, 0, code, "stderr: %s", stderr)
			got, err := imageio.Load(out, imageio.DecodeOptions{})
			require.NoError(t, err)
			want, err := imageio.Load(tt.wantNear, imageio.DecodeOptions{})
			require.NoError(t, err)
			want, err = imageio.ResizeTo(want, 48, 40)
			require.NoError(t, err)
			assert.Less(t, meanAbsDiff(got, want), 2.0, "the output is the init image after a step of 0.01")
			other := in.content
			if tt.wantNear == in.content {
				other = in.style
			}
			o, err := imageio.Load(other, imageio.DecodeOptions{})
			require.NoError(t, err)
			o, err = imageio.ResizeTo(o, 48, 40)
			require.NoError(t, err)
			assert.Greater(t, meanAbsDiff(got, o), 20.0, "and far from the other image")
		})
	}
}

// TestRunFast checks that -fast sets the defaults of the flags style.Fast
// sets, and that those flags, when given, win.
func TestRunFast(t *testing.T) {
	in := newInputs(t)
	tests := []struct {
		name string
		args []string
		want string // in the first line: optimizer and iterations
	}{
		{"fast", []string{"-fast"}, fmt.Sprintf("L-BFGS, %d iterations", style.FastIterations)},
		{"fast with iterations and adam", []string{"-fast", "-iterations", "4", "-optimizer", "adam"}, "Adam (lr 1), 4 iterations"},
		{"iterations without fast", []string{"-iterations", "3"}, "L-BFGS, 3 iterations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.png")
			args := append([]string{"-content", in.content, "-style", in.style, "-weights", fixtureWeights,
				"-max-size", "48", "-out", out, "-plot", ""}, tt.args...)
			code, stdout, stderr := stylize(t, context.Background(), args...)
			require.Equal(t, 0, code, "stderr: %s", stderr)
			first, _, _ := strings.Cut(stdout, "\n")
			assert.Contains(t, first, tt.want)
		})
	}
}

// meanAbsDiff is the mean absolute difference of the RGB channels of two
// images of the same size, in 8-bit levels.
func meanAbsDiff(a, b image.Image) float64 {
	var sum float64
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x-r.Min.X+b.Bounds().Min.X, y-r.Min.Y+b.Bounds().Min.Y).RGBA()
			sum += math.Abs(float64(ar>>8)-float64(br>>8)) + math.Abs(float64(ag>>8)-float64(bg>>8)) + math.Abs(float64(ab>>8)-float64(bb>>8))
		}
	}
	return sum / float64(3*r.Dx()*r.Dy())
}

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestRunFailures runs bad command lines. Each must exit non-zero with
// exactly one line on stderr, "stylize: …" naming the problem, and write
// nothing: no output and no plot where there was none, and an existing
// output file left byte for byte as it was.
func TestRunFailures(t *testing.T) {
	in := newInputs(t)
	textPNG := filepath.Join(in.dir, "text.png")
	require.NoError(t, os.WriteFile(textPNG, []byte("hello, world\n"), 0o644))
	badWeights := filepath.Join(in.dir, "bad.mat")
	require.NoError(t, os.WriteFile(badWeights, []byte("MATLAB 5.0 MAT-file, but not really"), 0o644))
	aFile := filepath.Join(in.dir, "a-file")
	require.NoError(t, os.WriteFile(aFile, nil, 0o644))

	tests := []struct {
		name string
		args []string // -content, -style, -weights and -out are added unless given
		out  string   // the -out path if not dir/out.png ("" = the default)
		code int
		want []string // substrings of the error line
	}{
		{name: "missing content file", args: []string{"-content", filepath.Join(in.dir, "nope.png")}, code: 1,
			want: []string{"-content", "nope.png", "no such file"}},
		{name: "text file named .png", args: []string{"-style", textPNG}, code: 1,
			want: []string{"-style", "text.png", "unknown image format"}},
		{name: "unknown optimizer", args: []string{"-optimizer", "sgd"}, code: 2, want: []string{`-optimizer "sgd"`, "lbfgs or adam"}},
		{name: "zero iterations", args: []string{"-iterations", "0"}, code: 2, want: []string{"-iterations 0", "at least 1"}},
		{name: "negative convergence", args: []string{"-converge", "-1"}, code: 2, want: []string{"-converge -1", "grey levels ≥ 0"}},
		{name: "infinite convergence", args: []string{"-converge", "+Inf"}, code: 2, want: []string{"-converge +Inf"}},
		{name: "negative loss convergence", args: []string{"-converge-loss", "-0.1"}, code: 2, want: []string{"-converge-loss -0.1", "fraction ≥ 0"}},
		{name: "negative content weight", args: []string{"-content-weight", "-1"}, code: 2, want: []string{"-content-weight -1", "≥ 0"}},
		{name: "NaN style weight", args: []string{"-style-weight", "NaN"}, code: 2, want: []string{"-style-weight NaN"}},
		{name: "unknown layer", args: []string{"-style-layers", "relu1_1,conv9_9"}, code: 2, want: []string{"-style-layers", `"conv9_9"`}},
		{name: "bad layer weight", args: []string{"-content-layers", "conv4_2:x"}, code: 2, want: []string{"-content-layers", `"x"`}},
		{name: "no layers", args: []string{"-content-layers", ""}, code: 2, want: []string{"-content-layers", "at least one layer"}},
		{name: "mismatched style weights", args: []string{"-style-weights", "0.5,0.5"}, code: 2,
			want: []string{"-style-weights", "2 weights for 1 -style images"}},
		{name: "mask count mismatch", args: []string{"-style", in.style2, "-mask", in.mask}, code: 2,
			want: []string{"-mask given 1 times for 2 -style images"}},
		{name: "unreadable mask", args: []string{"-mask", textPNG}, code: 1, want: []string{"-mask", "text.png"}},
		{name: "unreadable init image", args: []string{"-init-image", textPNG}, code: 1, want: []string{"-init-image", "text.png"}},
		{name: "missing init image", args: []string{"-init-image", filepath.Join(in.dir, "nope.png")}, code: 1,
			want: []string{"-init-image", "nope.png", "no such file"}},
		{name: "unknown init", args: []string{"-init", "random"}, code: 2, want: []string{`-init "random"`}},
		{name: "unknown colour space", args: []string{"-original-colors", "hsv"}, code: 2, want: []string{`-original-colors "hsv"`}},
		{name: "unknown pooling", args: []string{"-pooling", "min"}, code: 2, want: []string{`-pooling "min": want avg, max or l2`}},
		{name: "unknown style loss", args: []string{"-style-loss", "sliced"}, code: 2, want: []string{`-style-loss "sliced": want gram or w2`}},
		{name: "unknown precision", args: []string{"-precision", "float64"}, code: 2, want: []string{`-precision "float64": want float32, bfloat16 or float16`}},
		{name: "max size too small (library check)", args: []string{"-max-size", "8"}, code: 2, want: []string{"WithMaxSize(8)"}},
		{name: "noise ratio out of range (library check)", args: []string{"-noise-ratio", "2"}, code: 2, want: []string{"WithNoise(2)"}},
		{name: "bad device (library check)", args: []string{"-device", "gpu"}, code: 2, want: []string{"WithDevice"}},
		{name: "device TensorFlow does not see", args: []string{"-device", "/gpu:99"}, code: 1,
			want: []string{`WithDevice("/gpu:99")`, "/device:CPU:0", "build"}},
		{name: "unknown flag", args: []string{"-style-weigth", "1"}, code: 2, want: []string{"-style-weigth"}},
		{name: "bad flag value", args: []string{"-iterations", "many"}, code: 2, want: []string{"-iterations"}},
		{name: "positional argument", args: []string{"extra.png"}, code: 2, want: []string{`unexpected argument "extra.png"`}},
		{name: "no content", args: []string{"-content", ""}, code: 2, want: []string{"-content is required"}},
		{name: "output directory missing", out: filepath.Join(in.dir, "no-such-dir", "out.png"), code: 1,
			want: []string{"-out", "does not exist"}},
		{name: "output directory is a file", out: filepath.Join(aFile, "out.png"), code: 1, want: []string{"-out", "not a directory"}},
		{name: "output is a directory", out: in.dir, code: 2, want: []string{"-out", ".png, .jpg or .jpeg"}},
		{name: "output extension", out: "out.gif", code: 2, want: []string{`-out`, "out.gif"}},
		{name: "plot extension", args: []string{"-plot", "curves.svg"}, code: 2, want: []string{"-plot", "curves.svg", ".png"}},
		{name: "missing weights file", args: []string{"-weights", filepath.Join(in.dir, "missing.mat")}, code: 1,
			want: []string{"-weights", "missing.mat", "no such file", "vlfeat.org", "106118b7cf60435e6d8e04f6a6dc3657"}},
		{name: "corrupt weights file", args: []string{"-weights", badWeights}, code: 1, want: []string{"bad.mat"}},
		{name: "65536 px refused", args: []string{"-max-size", "65536"}, code: 1,
			want: []string{"65536×54613 px needs", "GiB of memory even", "GiB available (85% of MemAvailable)"}},
		{name: "over the memory limit", args: []string{"-memory-limit", "100MB"}, code: 1,
			want: []string{"needs", "95 MiB available (WithMemoryLimit)"}},
		{name: "bad memory limit", args: []string{"-memory-limit", "8XB"}, code: 2, want: []string{`-memory-limit "8XB"`, "8GiB or 20GB"}},
		{name: "zero memory limit", args: []string{"-memory-limit", "0"}, code: 2, want: []string{`-memory-limit "0"`}},
		{name: "single pass with L-BFGS", args: []string{"-single-pass"}, code: 2, want: []string{"-single-pass needs -optimizer adam"}},
		{name: "bad tile", args: []string{"-tile", "-2"}, code: 2, want: []string{"-tile -2"}},
	}
	for _, tt := range tests {
		for _, existing := range []bool{false, true} {
			name := tt.name + "/new output"
			if existing {
				name = tt.name + "/existing output"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				out := filepath.Join(dir, "out.png")
				if tt.out != "" {
					out = tt.out
					if !filepath.IsAbs(out) {
						out = filepath.Join(dir, out)
					}
				}
				args := []string{"-content", in.content, "-style", in.style, "-weights", fixtureWeights,
					"-out", out, "-iterations", "3", "-max-size", "32", "-checkpoint-every", "1"}
				args = append(args, tt.args...) // later flags win
				old := []byte("an earlier result, which must survive")
				if existing && filepath.Dir(out) == dir {
					require.NoError(t, os.WriteFile(out, old, 0o600))
				}

				code, stdout, stderr := stylize(t, context.Background(), args...)
				assert.Equal(t, tt.code, code, "stderr: %s", stderr)
				lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
				require.Len(t, lines, 1, "stderr must be one line: %q", stderr)
				assert.True(t, strings.HasPrefix(lines[0], "stylize: "), lines[0])
				for _, w := range tt.want {
					assert.Contains(t, lines[0], w)
				}
				assert.NotContains(t, stdout, "wrote")

				if existing && filepath.Dir(out) == dir {
					got, err := os.ReadFile(out)
					require.NoError(t, err)
					assert.Equal(t, old, got, "an existing output must be left untouched")
					assert.Equal(t, []string{filepath.Base(out)}, files(t, dir))
				} else {
					assert.Empty(t, files(t, dir), "nothing may be written")
				}
			})
		}
	}
}

// -list-devices prints the runtime and its devices and exits; the first
// device is the CPU, and the default device is one of those listed.
func TestRunListDevices(t *testing.T) {
	code, stdout, stderr := stylize(t, context.Background(), "-list-devices")
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	require.GreaterOrEqual(t, len(lines), 3, stdout)
	assert.Regexp(t, `^TensorFlow 2\.\d+\.\d+, (CPU-only|CUDA) build$`, lines[0])
	assert.Regexp(t, `^/device:CPU:0 \(CPU, .+\) +/job:localhost/replica:0/task:0/device:CPU:0$`, lines[1])
	def := strings.TrimPrefix(lines[len(lines)-1], "default device: ")
	assert.Contains(t, stdout, def+" (", "the default device is listed")
}

// TestRunCancelled interrupts a run part-way, as Ctrl-C does through the
// context (and the -preview page's Stop button): the command stops, writes
// the best image so far and its plot, says so in one line and exits with
// the status of an interrupt. The checkpoints written before are kept.
func TestRunCancelled(t *testing.T) {
	in := newInputs(t)
	dir := t.TempDir()
	out, plot := filepath.Join(dir, "out.png"), filepath.Join(dir, "out_loss.png")
	old := []byte("an earlier result")
	require.NoError(t, os.WriteFile(out, old, 0o644))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	testHookProgress = func(p style.Progress) {
		if p.Iteration == 2 {
			cancel()
		}
	}
	defer func() { testHookProgress = nil }()

	code, stdout, stderr := stylize(t, ctx, "-content", in.content, "-style", in.style, "-weights", fixtureWeights,
		"-out", out, "-iterations", "50", "-max-size", "32", "-checkpoint-every", "1")
	assert.Equal(t, cli.ExitInterrupted, code)
	assert.Regexp(t, `^stylize: stopped after [0-9]+ of 50 iterations \(context canceled\); wrote the best image so far to .*out\.png\n$`, stderr)
	assert.Contains(t, stdout, "iteration  2/50")
	assert.Contains(t, stdout, "wrote "+out)

	img, err := imageio.Load(out, imageio.DecodeOptions{})
	require.NoError(t, err, "the best image so far replaced the old output")
	assert.Equal(t, 32, max(img.Bounds().Dx(), img.Bounds().Dy()))
	assert.FileExists(t, plot)
	names := files(t, dir)
	assert.Contains(t, names, "out_iter1.png")
	for _, n := range names {
		assert.Regexp(t, `^out(_iter[0-9]+|_loss)?\.png$`, n, "only complete files")
	}
}

func TestRunHelp(t *testing.T) {
	code, stdout, stderr := stylize(t, context.Background(), "-h")
	assert.Equal(t, 0, code)
	assert.Empty(t, stderr)
	for _, flag := range []string{"-content", "-style", "-style-weights", "-mask", "-iterations", "-optimizer",
		"-max-size", "-original-colors", "-checkpoint-every", "-plot", "-weights", "-converge", "Exit status"} {
		assert.Contains(t, stdout, flag)
	}
}

// -converge stops a run whose picture stopped changing and says so (the
// fixture network's pictures change by more than the default's 2 levels
// for hundreds of iterations); -converge 0 runs exactly -iterations.
func TestRunConverge(t *testing.T) {
	in := newInputs(t)
	cases := []struct {
		name     string
		converge string
		want     string // the stop line
		exact    bool   // all -iterations ran
	}{
		{"a rule the fixture meets", "20", "stopped: converged (over the last 50 iterations the picture changed by", false},
		{"off", "0", "stopped: iteration limit", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var iterations int
			testHookProgress = func(p style.Progress) { iterations = p.Iteration }
			defer func() { testHookProgress = nil }()
			args := []string{"-content", in.content, "-style", in.style, "-weights", fixtureWeights, "-max-size", "48",
				"-iterations", "400", "-plot", "", "-out", filepath.Join(t.TempDir(), "out.png")}
			args = append(args, "-converge", tc.converge, "-converge-loss", "0", "-optimizer", "adam", "-lr", "2")
			code, stdout, stderr := stylize(t, context.Background(), args...)
			require.Equal(t, 0, code, "stderr: %s", stderr)
			assert.Contains(t, stdout, tc.want)
			if tc.exact {
				assert.Equal(t, 400, iterations)
			} else {
				assert.Less(t, iterations, 400)
				assert.Zero(t, iterations%style.DefaultConvergence.Window)
			}
		})
	}
}

func TestParseLayers(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]float64
		wantErr string
	}{
		{in: "conv4_2", want: map[string]float64{"conv4_2": 1}},
		{in: "relu1_1:0.2, relu2_1:0.8", want: map[string]float64{"relu1_1": 0.2, "relu2_1": 0.8}},
		{in: "relu1_1,pool2:3", want: map[string]float64{"relu1_1": 1, "pool2": 3}},
		{in: "", wantErr: "at least one layer"},
		{in: "conv4_2,", wantErr: "empty layer name"},
		{in: "fc6", wantErr: `unknown layer "fc6"`},
		{in: "conv4_2:-1", wantErr: "weight -1"},
		{in: "conv4_2:Inf", wantErr: "weight +Inf"},
		{in: "conv4_2:0", wantErr: "sum to zero"},
		{in: "conv4_2,conv4_2:2", wantErr: "given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseLayers("-x", tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, errUsage)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestFormatLayersRoundTrip(t *testing.T) {
	for _, m := range []map[string]float64{style.DefaultContentLayers(), style.DefaultStyleLayers()} {
		got, err := parseLayers("-x", formatLayers(m))
		require.NoError(t, err)
		assert.Equal(t, m, got)
	}
}

func TestLineInterval(t *testing.T) {
	for n, want := range map[int]int{1: 1, 5: 1, 20: 1, 21: 2, 100: 5, 300: 20, 1000: 50, 1001: 100} {
		assert.Equal(t, want, lineInterval(n), "n=%d", n)
	}
}

// TestLossPlot covers what a log-scale plot cannot show: zero terms (a
// weight of 0), a single iteration, NaN and infinite values.
func TestLossPlot(t *testing.T) {
	tests := []struct {
		name    string
		history []style.Progress
	}{
		{"typical", []style.Progress{{Iteration: 1, Loss: 1e6, Content: 1e3, Style: 9.9e5, TV: 10}, {Iteration: 2, Loss: 5e5, Content: 2e3, Style: 4.9e5, TV: 12}}},
		{"one iteration", []style.Progress{{Iteration: 1, Loss: 7, Style: 7}}},
		{"zero terms", []style.Progress{{Iteration: 1, Loss: 3, Content: 3}, {Iteration: 2, Loss: 2, Content: 2}}},
		{"all zero", []style.Progress{{Iteration: 1}, {Iteration: 2}}},
		{"non-finite", []style.Progress{{Iteration: 1, Loss: 1, Style: 1}, {Iteration: 2, Loss: math.Inf(1), Style: math.NaN()}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := lossPlot(tt.history, "test")
			require.NoError(t, err)
			img, err := png.Decode(bytes.NewReader(b))
			require.NoError(t, err)
			assert.Greater(t, img.Bounds().Dx(), 400)
		})
	}
	_, err := lossPlot(nil, "empty")
	assert.Error(t, err)
}
