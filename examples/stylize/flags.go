package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/loss"
	"github.com/neuralstyle/neuralstyle/preview"
	"github.com/neuralstyle/neuralstyle/style"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// errUsage marks errors in the command line (exit status 2) as opposed to
// failures while working (exit status 1).
var errUsage = errors.New("usage")

// usageError is a command-line error: its text is the message, and it
// matches errUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == errUsage }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, " ") }

func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// flags holds the raw command line.
type flags struct {
	content       string
	styles        stringList
	styleWeights  string
	masks         stringList
	contentWeight float64
	styleWeight   float64
	tvWeight      float64
	tvKind        string
	contentLayers string
	styleLayers   string
	contentNorm   string
	gramNorm      string
	styleLoss     string

	iterations   int
	optimizer    string
	lr           float64
	earlyStop    float64
	converge     float64
	convergeLoss float64
	average      float64

	maxSize        int
	styleScale     float64
	multiScale     int
	fast           bool
	set            map[string]bool // the flags given on the command line
	init           string
	initImage      string
	noiseRatio     float64
	seed           uint64
	originalColors string
	colorMatch     bool
	pooling        string
	precision      string
	xla            bool
	clampPixels    bool
	memoryLimit    string
	tile           int
	halo           int
	singlePass     bool

	out             string
	plot            string
	plotSet         bool
	checkpointEvery int
	quality         int
	weights         string
	device          string
	threads         string
	quiet           bool
	verbose         bool
	listDevices     bool
	preview         string
}

// formatLayers writes a layer map as the flags take it, sorted by name.
func formatLayers(m map[string]float64) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) == 1 && m[names[0]] == 1 {
		return names[0]
	}
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + ":" + strconv.FormatFloat(m[n], 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// newFlagSet defines the command's flags on a fresh FlagSet that reports
// nothing itself: run prints the one-line error or the usage.
func newFlagSet() (*flag.FlagSet, *flags) {
	f := &flags{}
	fs := flag.NewFlagSet("stylize", flag.ContinueOnError)
	fs.SetOutput(io.Discard)

	fs.StringVar(&f.content, "content", "", "content image `file` (PNG, JPEG, GIF, BMP, TIFF or WebP); required")
	fs.Var(&f.styles, "style", "style image `file`; repeat the flag to blend several styles; at least one is required")
	fs.StringVar(&f.styleWeights, "style-weights", "", "blend `weights` of the style images, comma-separated, one per -style (normalized to sum to 1; default equal)")
	fs.Var(&f.masks, "mask", "style mask image `file`, one per -style in the same order: white where that style applies, black where not (\"\" = everywhere)")

	fs.Float64Var(&f.contentWeight, "content-weight", style.DefaultContentWeight, "weight α of the content loss")
	fs.Float64Var(&f.styleWeight, "style-weight", style.DefaultStyleWeight, "weight β of the style loss")
	fs.Float64Var(&f.tvWeight, "tv-weight", style.DefaultTVWeight, "weight γ of the total-variation loss (0 = off)")
	fs.StringVar(&f.tvKind, "tv-kind", "", "total-variation differences: abs or squared (default abs)")
	fs.StringVar(&f.contentLayers, "content-layers", formatLayers(style.DefaultContentLayers()), "content `layers`: name or name:weight, comma-separated")
	fs.StringVar(&f.styleLayers, "style-layers", formatLayers(style.DefaultStyleLayers()), "style `layers`: name or name:weight, comma-separated")
	fs.StringVar(&f.contentNorm, "content-norm", "", "content-loss normalization: tutorial, mean or half (neural-style-tf's 1, 2, 3; default tutorial)")
	fs.StringVar(&f.gramNorm, "gram-norm", "", "style-loss normalization: tutorial or mean (default tutorial)")
	fs.StringVar(&f.styleLoss, "style-loss", "", "style loss: gram (mean Gram matrices) or w2 (Wasserstein-2 between fitted Gaussians) (default gram)")

	fs.IntVar(&f.iterations, "iterations", style.DefaultIterations, "most optimizer iterations (-converge usually stops sooner)")
	fs.Float64Var(&f.converge, "converge", style.DefaultConvergence.MaxChange, fmt.Sprintf("stop when, over %d iterations, the picture changes by less than this many grey `levels` (RMS, 0–255 scale) and the loss by less than -converge-loss (style.WithConvergence); 0 = off: run exactly -iterations", style.DefaultConvergence.Window))
	fs.Float64Var(&f.convergeLoss, "converge-loss", style.DefaultConvergence.MaxLossDecrease, "with -converge: the largest relative `decrease` of the loss over the window, e.g. 0.03 for 3 % (0: the loss is not looked at)")
	fs.StringVar(&f.optimizer, "optimizer", "lbfgs", "optimizer: lbfgs or adam")
	fs.Float64Var(&f.lr, "lr", 1, "Adam learning rate, in pixel units of the 0–255 scale (ignored by lbfgs)")
	fs.Float64Var(&f.earlyStop, "early-stop", 0, "stop when the loss changes by less than this fraction in one iteration (0 = off)")
	fs.Float64Var(&f.average, "average", 0, "return an exponential moving average of the iterates with this `decay`, e.g. 0.99 (0 = off)")

	fs.IntVar(&f.maxSize, "max-size", style.DefaultMaxSize, "longest side of the output in `pixels` (the content image is resized to it)")
	fs.Float64Var(&f.styleScale, "style-scale", 1, "longest side of the style images relative to the output's")
	fs.IntVar(&f.multiScale, "multi-scale", 0, "coarse to fine: start at this longest side, double up to -max-size (0: one scale)")
	fs.BoolVar(&f.fast, "fast", false, fmt.Sprintf("the quickest route measured to the tutorial recipe's result (style.Fast): "+
		"-optimizer lbfgs -multi-scale %d -iterations %d, unless those flags are given", style.FastMinSize, style.FastIterations))
	fs.StringVar(&f.init, "init", "content", "starting image: content, style or noise")
	fs.StringVar(&f.initImage, "init-image", "", "start from this image `file` instead (resized to the output; e.g. a smaller run's result, to refine it at a larger -max-size)")
	fs.Float64Var(&f.noiseRatio, "noise-ratio", 1, "with -init noise: start from ratio·noise + (1−ratio)·content")
	fs.Uint64Var(&f.seed, "seed", 0, "seed of the -init noise (same seed, same output on the CPU)")
	fs.StringVar(&f.originalColors, "original-colors", "", "keep the content's colours, combining in this colour `space`: yuv, ycrcb, luv or lab (default off)")
	fs.BoolVar(&f.colorMatch, "color-match", false, "match each style image's colour histogram to the content's first")
	fs.StringVar(&f.pooling, "pooling", "avg", "pooling: avg, max or l2 (root mean square)")
	fs.BoolVar(&f.clampPixels, "clamp-pixels", true, "let the losses see the image clamped to [0, 255], as it is saved (false: unbounded while optimizing, as neural-style-tf)")
	fs.BoolVar(&f.xla, "xla", false, "XLA auto-clustering of the network (style.WithXLA; off by default until measured faster)")
	fs.StringVar(&f.precision, "precision", "float32", "network arithmetic: float32; bfloat16 (mixed precision with Adam: about 1.9× faster on CPUs with bfloat16 instructions; also on GPUs); or float16 (mixed precision with Adam, GPUs only)")

	fs.StringVar(&f.memoryLimit, "memory-limit", "", "memory the run may use: `bytes` or with a unit, e.g. 8GiB or 20GB; on a GPU the GPU's memory (default: on the CPU what the machine has available, 85% of MemAvailable of /proc/meminfo; on a GPU what TensorFlow reports for it); "+
		"the memory model chooses untiled or tiled evaluation and the tile size to fit it, and refuses a request that cannot fit")
	fs.IntVar(&f.tile, "tile", 0, "tiled evaluation with tiles of this side in `pixels` (0: the memory model's choice; -1: never tile)")
	fs.IntVar(&f.halo, "halo", 0, "context around each tile in `pixels` (0: exact for the deepest layer used, 64 for VGG16's relu5_1; -1: none)")
	fs.BoolVar(&f.singlePass, "single-pass", false, "tiled evaluation in one pass per tile, with the style residuals predicted from the last evaluations (needs -optimizer adam)")

	fs.StringVar(&f.out, "out", "stylized.png", "output `file`, .png or .jpg; its directory must exist")
	fs.Func("plot", "loss-curve plot `file` (.png); \"\" = none (default <out without extension>_loss.png)", func(s string) error {
		f.plot, f.plotSet = s, true
		return nil
	})
	fs.IntVar(&f.checkpointEvery, "checkpoint-every", 0, "also save the image every `N` iterations as <out without extension>_iter<N><extension> (0 = off)")
	fs.IntVar(&f.quality, "quality", imageio.DefaultJPEGQuality, "JPEG quality, 1–100, for a .jpg -out")
	fs.StringVar(&f.weights, "weights", "", "MatConvNet VGG16/VGG19 weights `file`; default $"+style.WeightsEnv+", else ./"+style.DefaultWeightsFile+
		", else the ImageNet VGG16 that `make weights` installs")
	fs.StringVar(&f.device, "device", "", "TensorFlow `device`, e.g. /cpu:0 or /gpu:0, checked against -list-devices (default the first GPU if TensorFlow sees one, else the CPU)")
	fs.BoolVar(&f.listDevices, "list-devices", false, "print the TensorFlow runtime (version, CPU-only or CUDA build) and the devices it sees, then exit")
	fs.StringVar(&f.threads, "threads", "", "TensorFlow threads: `N` (intra- and inter-op) or intra,inter (default one per core)")
	fs.StringVar(&f.preview, "preview", "", "serve a live page of the run (image, loss curves, Stop button) at `addr`: host:port, :port or port; "+
		"no host means 127.0.0.1 (this machine only), port 0 a free port; the URL is printed at the start")
	fs.BoolVar(&f.quiet, "quiet", false, "print nothing but errors")
	fs.BoolVar(&f.verbose, "v", false, "show TensorFlow's own C++ log lines (hidden by default; see package tfruntime/quiet), and at the end the Session runs and the bytes that crossed between Go and TensorFlow")
	return fs, f
}

// job is a validated command line.
type job struct {
	verbose         bool // -v: also the host traffic at the end
	content         string
	styles          []string
	masks           []string
	initImage       string // -init-image, "" = none
	out             string
	outFormat       string
	plot            string // "" = no plot
	checkpointEvery int
	quality         int
	weights         string
	iterations      int
	maxSize         int
	optimizer       string
	quiet           bool
	device          string // -device, "" = the default
	memoryLimit     int64  // bytes; 0: the library's default
	preview         string // -preview's address, completed; "" = no page
	settings        []preview.Setting

	// opts are the library options that follow from the flags (everything
	// but the weights, the images and the callbacks).
	opts []style.Option
}

// validate checks the flags and turns them into a job. Everything that can
// be checked without reading a file is checked here, so that a mistake is
// reported before the weights (half a gigabyte) are loaded.
func (f *flags) validate(args []string) (*job, error) {
	if len(args) > 0 {
		return nil, usagef("unexpected argument %q (all inputs are given with flags; see -h)", args[0])
	}
	if f.content == "" {
		return nil, usagef("-content is required")
	}
	if len(f.styles) == 0 {
		return nil, usagef("-style is required")
	}
	for _, s := range f.styles {
		if s == "" {
			return nil, usagef(`-style "": want an image file`)
		}
	}
	// -fast changes the defaults of the flags style.Fast sets.
	if f.fast {
		if !f.set["iterations"] {
			f.iterations = style.FastIterations
		}
		if !f.set["multi-scale"] {
			f.multiScale = style.FastMinSize
		}
		if !f.set["optimizer"] {
			f.optimizer = "lbfgs"
		}
	}
	j := &job{
		content: f.content, styles: f.styles, masks: f.masks, initImage: f.initImage, out: f.out,
		checkpointEvery: f.checkpointEvery, quality: f.quality, weights: f.weights,
		iterations: f.iterations, maxSize: f.maxSize, quiet: f.quiet, device: f.device,
	}
	var (
		format string
		err    error
	)

	if f.preview != "" {
		if j.preview, err = preview.ResolveAddr(f.preview); err != nil {
			return nil, usagef("-preview %q: %v", f.preview, strings.TrimPrefix(err.Error(), "preview: "))
		}
	}

	// Outputs.
	if f.out == "" {
		return nil, usagef(`-out "": want an output file`)
	}
	format, err = imageio.FormatForPath(f.out)
	if err != nil {
		return nil, usagef("-out %q: want a .png, .jpg or .jpeg file", f.out)
	}
	j.outFormat = format
	if f.quality < 1 || f.quality > 100 {
		return nil, usagef("-quality %d: want 1 … 100", f.quality)
	}
	j.plot = f.plot
	j.verbose = f.verbose
	if !f.plotSet {
		j.plot = withSuffix(f.out, "_loss", ".png")
	}
	if j.plot != "" {
		if !strings.EqualFold(filepath.Ext(j.plot), ".png") {
			return nil, usagef("-plot %q: want a .png file", j.plot)
		}
		if samePath(j.plot, f.out) {
			return nil, usagef("-plot %q: the same file as -out", j.plot)
		}
	}
	if f.checkpointEvery < 0 {
		return nil, usagef("-checkpoint-every %d: want N ≥ 1, or 0 for no checkpoints", f.checkpointEvery)
	}

	// Counts.
	var blend []float64
	if f.styleWeights != "" {
		if blend, err = parseFloats(f.styleWeights); err != nil {
			return nil, usagef("-style-weights %q: %v", f.styleWeights, err)
		}
		if len(blend) != len(f.styles) {
			return nil, usagef("-style-weights %q: %d weights for %d -style images", f.styleWeights, len(blend), len(f.styles))
		}
		sum := 0.0
		for _, w := range blend {
			if !finiteNonNegative(w) {
				return nil, usagef("-style-weights %q: want finite weights ≥ 0", f.styleWeights)
			}
			sum += w
		}
		if sum == 0 {
			return nil, usagef("-style-weights %q: the weights sum to zero", f.styleWeights)
		}
		j.opts = append(j.opts, style.WithStyleBlendWeights(blend...))
	}
	if len(f.masks) > 0 && len(f.masks) != len(f.styles) {
		return nil, usagef("-mask given %d times for %d -style images: want one mask per style image", len(f.masks), len(f.styles))
	}

	// Loss terms.
	for _, w := range []struct {
		name string
		v    float64
		opt  func(float64) style.Option
	}{
		{"-content-weight", f.contentWeight, style.WithContentWeight},
		{"-style-weight", f.styleWeight, style.WithStyleWeight},
		{"-tv-weight", f.tvWeight, style.WithTVWeight},
	} {
		if !finiteNonNegative(w.v) {
			return nil, usagef("%s %v: want a finite weight ≥ 0", w.name, w.v)
		}
		j.opts = append(j.opts, w.opt(w.v))
	}
	contentLayers, err := parseLayers("-content-layers", f.contentLayers)
	if err != nil {
		return nil, err
	}
	styleLayers, err := parseLayers("-style-layers", f.styleLayers)
	if err != nil {
		return nil, err
	}
	j.opts = append(j.opts, style.WithContentLayers(contentLayers), style.WithStyleLayers(styleLayers))
	if f.contentNorm != "" {
		n, err := loss.ParseContentNorm(f.contentNorm)
		if err != nil {
			return nil, usagef("-content-norm %q: want tutorial, mean or half (or 1, 2, 3)", f.contentNorm)
		}
		j.opts = append(j.opts, style.WithContentNorm(n))
	}
	if f.gramNorm != "" {
		n, err := loss.ParseGramNorm(f.gramNorm)
		if err != nil {
			return nil, usagef("-gram-norm %q: want tutorial or mean", f.gramNorm)
		}
		j.opts = append(j.opts, style.WithGramNorm(n))
	}
	if f.styleLoss != "" {
		l, err := loss.ParseStyleLoss(f.styleLoss)
		if err != nil {
			return nil, usagef("-style-loss %q: want gram or w2", f.styleLoss)
		}
		j.opts = append(j.opts, style.WithStyleLoss(l))
	}
	if f.tvKind != "" {
		k, err := loss.ParseTVKind(f.tvKind)
		if err != nil {
			return nil, usagef("-tv-kind %q: want abs or squared", f.tvKind)
		}
		j.opts = append(j.opts, style.WithTVKind(k))
	}

	// Optimization.
	if f.iterations < 1 {
		return nil, usagef("-iterations %d: want at least 1", f.iterations)
	}
	j.opts = append(j.opts, style.WithIterations(f.iterations))
	switch strings.ToLower(f.optimizer) {
	case "lbfgs", "l-bfgs":
		j.optimizer = "L-BFGS"
		j.opts = append(j.opts, style.WithOptimizer(style.LBFGS()))
	case "adam":
		if !finiteNonNegative(f.lr) || f.lr == 0 {
			return nil, usagef("-lr %v: want a finite learning rate > 0", f.lr)
		}
		j.optimizer = fmt.Sprintf("Adam (lr %g)", f.lr)
		j.opts = append(j.opts, style.WithOptimizer(style.Adam(f.lr)))
	default:
		return nil, usagef("-optimizer %q: want lbfgs or adam", f.optimizer)
	}
	if f.earlyStop != 0 {
		j.opts = append(j.opts, style.WithEarlyStop(f.earlyStop))
	}
	switch {
	case f.converge == 0:
		j.opts = append(j.opts, style.WithConvergence(style.Convergence{}))
	case !finiteNonNegative(f.converge):
		return nil, usagef("-converge %v: want a finite number of grey levels ≥ 0 (0 = off)", f.converge)
	case !finiteNonNegative(f.convergeLoss):
		return nil, usagef("-converge-loss %v: want a finite fraction ≥ 0 (0: the loss is not looked at)", f.convergeLoss)
	default:
		j.opts = append(j.opts, style.WithConvergence(style.Convergence{Window: style.DefaultConvergence.Window, MaxChange: f.converge, MaxLossDecrease: f.convergeLoss}))
	}
	if f.average != 0 {
		j.opts = append(j.opts, style.WithAveraging(f.average))
	}

	// Images and network.
	j.opts = append(j.opts, style.WithMaxSize(f.maxSize), style.WithStyleScale(f.styleScale), style.WithMultiScale(f.multiScale))
	in, err := style.ParseInit(strings.ToLower(f.init))
	if err != nil {
		return nil, usagef("-init %q: want content, style or noise", f.init)
	}
	j.opts = append(j.opts, style.WithInit(in), style.WithNoise(f.noiseRatio, f.seed))
	if f.originalColors != "" {
		cs, err := imageio.ParseColorSpace(f.originalColors)
		if err != nil {
			return nil, usagef("-original-colors %q: want yuv, ycrcb, luv or lab", f.originalColors)
		}
		j.opts = append(j.opts, style.WithOriginalColors(cs))
	}
	if f.colorMatch {
		j.opts = append(j.opts, style.WithColorMatch())
	}
	pool, err := vgg.ParsePooling(f.pooling)
	if err != nil {
		return nil, usagef("-pooling %q: want avg, max or l2", f.pooling)
	}
	j.opts = append(j.opts, style.WithPooling(pool))
	j.opts = append(j.opts, style.WithClampPixels(f.clampPixels))
	precision, err := style.ParsePrecision(f.precision)
	if err != nil {
		return nil, usagef("-precision %q: want float32, bfloat16 or float16", f.precision)
	}
	j.opts = append(j.opts, style.WithPrecision(precision), style.WithXLA(f.xla))
	if f.device != "" {
		j.opts = append(j.opts, style.WithDevice(f.device))
	}
	if f.memoryLimit != "" {
		b, err := humanize.ParseBytes(f.memoryLimit)
		if err != nil || b == 0 || b > math.MaxInt64 {
			return nil, usagef("-memory-limit %q: want a positive number of bytes, e.g. 8589934592, 8GiB or 20GB", f.memoryLimit)
		}
		j.memoryLimit = int64(b)
		j.opts = append(j.opts, style.WithMemoryLimit(int64(b)))
	}
	switch {
	case f.tile < -1:
		return nil, usagef("-tile %d: want a side in pixels, 0 (automatic) or -1 (never tile)", f.tile)
	case f.tile == -1:
		if f.singlePass {
			return nil, usagef("-single-pass with -tile -1: single-pass is a way of tiling")
		}
		j.opts = append(j.opts, style.WithoutTiling())
	case f.tile > 0 || f.halo != 0 || f.singlePass:
		if f.singlePass && j.optimizer == "L-BFGS" {
			return nil, usagef("-single-pass needs -optimizer adam (L-BFGS's line search needs the exact gradient)")
		}
		if f.halo < -1 {
			return nil, usagef("-halo %d: want pixels ≥ 0, or -1 for none", f.halo)
		}
		j.opts = append(j.opts, style.WithTiling(style.Tiling{Tile: f.tile, Halo: f.halo, SinglePass: f.singlePass}))
	}
	if f.threads != "" {
		intra, inter, err := parseThreads(f.threads)
		if err != nil {
			return nil, usagef("-threads %q: %v", f.threads, err)
		}
		j.opts = append(j.opts, style.WithThreads(intra, inter))
	}
	return j, nil
}

func finiteNonNegative(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0) && v >= 0
}

// parseFloats parses a comma-separated list of numbers.
func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		v, err := strconv.ParseFloat(part, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", part)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseLayers parses "conv4_2" or "relu1_1:0.2,relu2_1:0.2" (a missing
// weight is 1; the library normalizes the weights to sum to 1). Names are
// checked against VGG19, whose layers include all of VGG16's; the library
// checks them again against the loaded network.
func parseLayers(flagName, s string) (map[string]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, usagef("%s %q: want at least one layer, such as conv4_2 or relu1_1:0.2", flagName, s)
	}
	out := map[string]float64{}
	for _, part := range strings.Split(s, ",") {
		name, weight, hasWeight := strings.Cut(strings.TrimSpace(part), ":")
		name = strings.TrimSpace(name)
		w := 1.0
		if hasWeight {
			v, err := strconv.ParseFloat(strings.TrimSpace(weight), 64)
			if err != nil {
				return nil, usagef("%s %q: weight %q of layer %q is not a number", flagName, s, weight, name)
			}
			w = v
		}
		switch {
		case name == "":
			return nil, usagef("%s %q: empty layer name", flagName, s)
		case !vgg.HasLayer(vgg.VGG19, name):
			return nil, usagef("%s: unknown layer %q (VGG layers are named conv1_1, relu1_1, … pool5)", flagName, name)
		case !finiteNonNegative(w):
			return nil, usagef("%s: layer %s weight %v: want a finite weight ≥ 0", flagName, name, w)
		}
		if _, dup := out[name]; dup {
			return nil, usagef("%s: layer %q given twice", flagName, name)
		}
		out[name] = w
	}
	sum := 0.0
	for _, w := range out {
		sum += w
	}
	if sum == 0 {
		return nil, usagef("%s %q: the layer weights sum to zero", flagName, s)
	}
	return out, nil
}

// parseThreads parses "N" or "intra,inter".
func parseThreads(s string) (intra, inter int, err error) {
	a, b, two := strings.Cut(s, ",")
	if intra, err = strconv.Atoi(strings.TrimSpace(a)); err != nil || intra < 0 {
		return 0, 0, errors.New("want N or intra,inter with counts ≥ 0")
	}
	inter = intra
	if two {
		if inter, err = strconv.Atoi(strings.TrimSpace(b)); err != nil || inter < 0 {
			return 0, 0, errors.New("want N or intra,inter with counts ≥ 0")
		}
	}
	return intra, inter, nil
}

// withSuffix returns path with its extension replaced by suffix+ext:
// withSuffix("out/a.png", "_loss", ".png") is "out/a_loss.png".
func withSuffix(path, suffix, ext string) string {
	return strings.TrimSuffix(path, filepath.Ext(path)) + suffix + ext
}

// samePath reports whether a and b name the same file, as far as can be
// told without the file existing.
func samePath(a, b string) bool {
	if fa, err := os.Stat(a); err == nil {
		if fb, err := os.Stat(b); err == nil {
			return os.SameFile(fa, fb)
		}
	}
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ab
}
