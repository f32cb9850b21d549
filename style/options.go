package style

import (
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"strings"
	"time"

	tf "github.com/wamuir/graft/tensorflow"
	"golang.org/x/sys/cpu"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/loss"
	"github.com/neuralstyle/neuralstyle/tfruntime"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// Option configures a transfer. Options are applied in order by Transfer,
// Transferer.Transfer and NewTransferer; a later option overrides an earlier
// one of the same kind. Options never panic: an invalid value is reported,
// naming the option and the value, as an error matching ErrInvalidOption
// before any work is done. The interface is sealed.
type Option interface {
	apply(*config) error
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// Init selects the image the optimization starts from.
type Init int

const (
	// InitContent starts from the content image (the default, as in
	// neural-style-tf and the tutorial).
	InitContent Init = iota
	// InitStyle starts from the first style image, resized to the content
	// image's size.
	InitStyle
	// InitNoise starts from ratio·noise + (1−ratio)·content, with noise drawn
	// uniformly from [−20, 20] per pixel and channel (neural-style-tf's
	// recipe); see WithNoise.
	InitNoise
)

var initNames = [...]string{InitContent: "content", InitStyle: "style", InitNoise: "noise"}

// String returns "content", "style" or "noise".
func (i Init) String() string {
	if i >= 0 && int(i) < len(initNames) {
		return initNames[i]
	}
	return fmt.Sprintf("Init(%d)", int(i))
}

// ParseInit parses "content", "style" or "noise".
func ParseInit(s string) (Init, error) {
	for i, n := range initNames {
		if n == s {
			return Init(i), nil
		}
	}
	return 0, fmt.Errorf("%w: init %q, want content, style or noise", ErrInvalidOption, s)
}

// Progress reports the state of a transfer after one iteration; see
// WithProgress.
type Progress struct {
	// Iteration is the number of completed iterations, from 1.
	Iteration int
	// Iterations is the iteration limit of the run.
	Iterations int
	// Loss is the total weighted loss; Content, Style and TV are its terms,
	// each already multiplied by its weight, and Terms is the weighted sum
	// of the WithTerms terms (Loss = Content + Style + TV + Terms).
	Loss, Content, Style, TV, Terms float64
	// Evaluations counts the network evaluations (forward + backward) so far.
	Evaluations int
	// Elapsed is the time since the start of the transfer, including the
	// preparation before the first iteration.
	Elapsed time.Duration
	// Scale counts the scales of a coarse-to-fine run (WithMultiScale) from
	// 1 to Scales; Width × Height is the image size at this scale. A
	// single-scale run has Scale = Scales = 1. Iteration restarts at 1 on
	// every scale.
	Scale, Scales int
	Width, Height int

	// image reads the current image; set only while the callback runs.
	image func() (*image.RGBA, error)
}

// ErrImageUnavailable is returned by Progress.Image outside the progress
// callback that received the Progress (for example on an entry of
// Result.History).
var ErrImageUnavailable = errors.New("style: the image is only available during the progress callback")

// Image returns the current image, post-processed like a checkpoint's
// (original colours applied when that option is on), as a new image the
// caller owns. It reads the image from the transfer, which on a GPU copies
// it to the host: call it only when the image is needed, such as when a
// preview page has a viewer. It is valid only during the WithProgress
// callback that received p; elsewhere it returns ErrImageUnavailable.
func (p Progress) Image() (*image.RGBA, error) {
	if p.image == nil {
		return nil, ErrImageUnavailable
	}
	return p.image()
}

// Checkpoint is an intermediate result; see WithCheckpoint.
type Checkpoint struct {
	// Iteration is the number of completed iterations.
	Iteration int
	// Image is the current image, post-processed like the final result
	// (original colours applied when that option is on). The callee owns it.
	Image image.Image
}

// config is the resolved set of options with neural-style-tf's defaults.
type config struct {
	model       *vgg.Model
	weightsPath string

	extraStyles  []image.Image
	blendWeights []float64
	masks        []image.Image

	contentLayers map[string]float64
	styleLayers   map[string]float64
	contentWeight float64
	styleWeight   float64
	tvWeight      float64
	contentNorm   loss.ContentNorm
	gramNorm      loss.GramNorm
	styleLoss     loss.StyleLoss
	tvKind        loss.TVKind

	init       Init
	initImage  image.Image // WithInitImage; overrides init
	noiseRatio float64
	seed       uint64

	optimizer  Optimizer
	iterations int
	earlyStop  float64
	averaging  float64 // EMA decay; 0 = off

	convergence Convergence // WithConvergence; zero: off

	maxSize       int
	multiScaleMin int
	styleScale    float64
	pooling       vgg.Pooling

	originalColors *imageio.ColorSpace
	colorMatch     bool
	clampPixels    bool

	memoryLimit int64   // bytes; 0: availableMemory()
	tiling      *Tiling // forced tiled evaluation; nil: the planner's choice
	untiled     bool    // forced untiled evaluation

	device       string
	intraThreads int
	interThreads int
	precision    Precision
	xla          bool // WithXLA

	// hostOptimizer keeps untiled runs on the host path (package optim):
	// the tests' reference for the optimizer on the device.
	hostOptimizer bool
	// simulatedDevice, set by tests, replaces the device TensorFlow
	// would place the network on, for planning (a GPU of a given memory
	// on a machine without one).
	simulatedDevice *tfruntime.Device
	// onGPU, set by placement, says that the network runs on a GPU (or
	// on the simulated one).
	onGPU bool

	terms []Term // WithTerms

	progress        func(Progress) error
	checkpointEvery int
	checkpoint      func(Checkpoint) error
}

// Default values of the options, neural-style-tf's unless stated.
const (
	DefaultContentWeight = 5.0
	DefaultStyleWeight   = 1e4
	DefaultTVWeight      = 1e-3
	DefaultIterations    = 1000
	DefaultMaxSize       = 512
	// DefaultWeightsFile is MatConvNet's VGG19, looked for in the working
	// folder (see vgg.FindWeights).
	DefaultWeightsFile = vgg.DefaultWeightsFile
	// WeightsEnv names the environment variable that, when set, gives the
	// weights file used when no WithModel or WithWeightsFile option is given.
	WeightsEnv = vgg.WeightsEnv
)

// DefaultContentLayers and DefaultStyleLayers are neural-style-tf's layer
// choices. They are fresh copies on every call.
func DefaultContentLayers() map[string]float64 { return map[string]float64{"conv4_2": 1} }

// DefaultStyleLayers returns relu1_1 … relu5_1 at 0.2 each.
func DefaultStyleLayers() map[string]float64 {
	return map[string]float64{"relu1_1": .2, "relu2_1": .2, "relu3_1": .2, "relu4_1": .2, "relu5_1": .2}
}

func defaultConfig() config {
	return config{
		contentLayers: DefaultContentLayers(),
		styleLayers:   DefaultStyleLayers(),
		contentWeight: DefaultContentWeight,
		styleWeight:   DefaultStyleWeight,
		tvWeight:      DefaultTVWeight,
		contentNorm:   loss.ContentTutorial,
		gramNorm:      loss.GramTutorial,
		tvKind:        loss.TVAbsolute,
		init:          InitContent,
		noiseRatio:    1,
		optimizer:     LBFGS(),
		iterations:    DefaultIterations,
		convergence:   DefaultConvergence,
		maxSize:       DefaultMaxSize,
		styleScale:    1,
		pooling:       vgg.AvgPool,
		clampPixels:   true,
	}
}

func invalid(option string, value any, why string) error {
	return fmt.Errorf("%w: %s(%v): %s", ErrInvalidOption, option, value, why)
}

func finiteNonNegative(option string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return invalid(option, v, "want a finite value ≥ 0")
	}
	return nil
}

// WithModel uses m, a network loaded with vgg.Load, for the transfer. Loading
// the weights takes seconds and 80 MB, so a program doing several transfers
// should load once and pass the model to each (a *vgg.Model is safe for
// concurrent use). Default: the file vgg.FindWeights returns ($NEURALSTYLE_WEIGHTS,
// else ./imagenet-vgg-verydeep-19.mat, else the installed ImageNet VGG16),
// loaded for the call.
func WithModel(m *vgg.Model) Option {
	return optionFunc(func(c *config) error {
		if m == nil {
			return invalid("WithModel", "nil", "want a model from vgg.Load")
		}
		c.model = m
		return nil
	})
}

// WithWeightsFile loads the network from path when no WithModel is given.
// Default: vgg.FindWeights's choice ($NEURALSTYLE_WEIGHTS, else
// ./imagenet-vgg-verydeep-19.mat, else the installed ImageNet VGG16).
func WithWeightsFile(path string) Option {
	return optionFunc(func(c *config) error {
		if path == "" {
			return invalid("WithWeightsFile", `""`, "want a file path")
		}
		c.weightsPath = path
		return nil
	})
}

// WithExtraStyles adds style images after the one passed to Transfer. Their
// losses are blended with the weights of WithStyleBlendWeights (default: equal
// weights). Default: none.
func WithExtraStyles(images ...image.Image) Option {
	return optionFunc(func(c *config) error {
		for i, img := range images {
			if img == nil {
				return invalid("WithExtraStyles", fmt.Sprintf("image %d", i), "nil image")
			}
		}
		c.extraStyles = slices.Clone(images)
		return nil
	})
}

// WithStyleBlendWeights sets the weight of each style image's loss: one weight
// per style image, the Transfer argument first, then the WithExtraStyles
// images. The weights are normalized to sum to 1 (neural-style-tf's
// --style_imgs_weights). Default: equal weights.
func WithStyleBlendWeights(weights ...float64) Option {
	return optionFunc(func(c *config) error {
		sum := 0.0
		for _, w := range weights {
			if err := finiteNonNegative("WithStyleBlendWeights", w); err != nil {
				return err
			}
			sum += w
		}
		if len(weights) > 0 && sum == 0 {
			return invalid("WithStyleBlendWeights", weights, "weights sum to zero")
		}
		c.blendWeights = slices.Clone(weights)
		return nil
	})
}

// WithStyleMasks confines each style image to a region of the output: one
// mask per style image (in the order of WithStyleBlendWeights); white (1)
// where the style applies, black (0) where it does not, grey in between. A
// mask is converted to grey and resized to the output image's size, so it
// may have any size; it should have the content image's aspect ratio. A nil
// mask means "everywhere". Default: no masks.
func WithStyleMasks(masks ...image.Image) Option {
	return optionFunc(func(c *config) error {
		c.masks = slices.Clone(masks)
		return nil
	})
}

func checkLayers(option string, layers map[string]float64) error {
	if len(layers) == 0 {
		return invalid(option, layers, "want at least one layer")
	}
	sum := 0.0
	for name, w := range layers {
		if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return invalid(option, fmt.Sprintf("%s=%v", name, w), "want a finite weight ≥ 0")
		}
		sum += w
	}
	if sum == 0 {
		return invalid(option, layers, "weights sum to zero")
	}
	return nil
}

// WithContentLayers sets the layers whose activations define content, with a
// weight each (normalized to sum to 1). Names are MatConvNet's: conv4_2,
// relu4_2, …; an unknown name is an error. Default: {"conv4_2": 1}.
func WithContentLayers(layers map[string]float64) Option {
	return optionFunc(func(c *config) error {
		if err := checkLayers("WithContentLayers", layers); err != nil {
			return err
		}
		c.contentLayers = cloneMap(layers)
		return nil
	})
}

// WithStyleLayers sets the layers whose Gram matrices define style, with a
// weight each (normalized to sum to 1). Default: relu1_1, relu2_1, relu3_1,
// relu4_1 and relu5_1 at 0.2 each.
func WithStyleLayers(layers map[string]float64) Option {
	return optionFunc(func(c *config) error {
		if err := checkLayers("WithStyleLayers", layers); err != nil {
			return err
		}
		c.styleLayers = cloneMap(layers)
		return nil
	})
}

func cloneMap(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func weightOption(name string, set func(*config, float64)) func(float64) Option {
	return func(w float64) Option {
		return optionFunc(func(c *config) error {
			if err := finiteNonNegative(name, w); err != nil {
				return err
			}
			set(c, w)
			return nil
		})
	}
}

// WithContentWeight sets α, the weight of the content loss. Default 5.
func WithContentWeight(w float64) Option {
	return weightOption("WithContentWeight", func(c *config, w float64) { c.contentWeight = w })(w)
}

// WithStyleWeight sets β, the weight of the style loss. Default 1e4.
func WithStyleWeight(w float64) Option {
	return weightOption("WithStyleWeight", func(c *config, w float64) { c.styleWeight = w })(w)
}

// WithTVWeight sets γ, the weight of the total-variation loss that smooths
// the result. Default 1e-3; 0 turns it off.
func WithTVWeight(w float64) Option {
	return weightOption("WithTVWeight", func(c *config, w float64) { c.tvWeight = w })(w)
}

// WithContentNorm selects the normalization of the content loss
// (neural-style-tf's --content_loss_function 1, 2, 3). Default
// loss.ContentTutorial (1).
func WithContentNorm(n loss.ContentNorm) Option {
	return optionFunc(func(c *config) error {
		if _, err := loss.ParseContentNorm(n.String()); err != nil {
			return invalid("WithContentNorm", int(n), "unknown normalization")
		}
		c.contentNorm = n
		return nil
	})
}

// WithGramNorm selects the normalization of the style loss. Default
// loss.GramTutorial, the tutorial's and neural-style-tf's.
func WithGramNorm(n loss.GramNorm) Option {
	return optionFunc(func(c *config) error {
		if _, err := loss.ParseGramNorm(n.String()); err != nil {
			return invalid("WithGramNorm", int(n), "unknown normalization")
		}
		c.gramNorm = n
		return nil
	})
}

// WithStyleLoss selects the style term: loss.Gram, the mean-Gram distance of
// Gatys et al. and neural-style-tf (the default), or loss.W2, the squared
// Wasserstein-2 distance between the Gaussians fitted to the features (their
// means and covariances; crowsonkb/style-transfer-pytorch's). Masks
// (WithStyleMasks) and blends (WithExtraStyles) work with both. W2 adds an
// eigendecomposition of an N × N matrix per style layer and style image to
// every evaluation (its cost: docs/quality.md). Its normalization makes
// the default weights fit it (see package loss, "The Wasserstein-2 style
// loss").
func WithStyleLoss(l loss.StyleLoss) Option {
	return optionFunc(func(c *config) error {
		if _, err := loss.ParseStyleLoss(l.String()); err != nil {
			return invalid("WithStyleLoss", int(l), "want loss.Gram or loss.W2")
		}
		c.styleLoss = l
		return nil
	})
}

// WithTVKind selects absolute (neural-style-tf's) or squared differences for
// the total-variation loss. Default loss.TVAbsolute.
func WithTVKind(k loss.TVKind) Option {
	return optionFunc(func(c *config) error {
		if _, err := loss.ParseTVKind(k.String()); err != nil {
			return invalid("WithTVKind", int(k), "unknown kind")
		}
		c.tvKind = k
		return nil
	})
}

// WithInit selects the starting image. Default InitContent.
func WithInit(i Init) Option {
	return optionFunc(func(c *config) error {
		if i < InitContent || i > InitNoise {
			return invalid("WithInit", int(i), "want InitContent, InitStyle or InitNoise")
		}
		c.init = i
		return nil
	})
}

// WithNoise sets the noise mix and the seed of InitNoise: the start is
// ratio·noise + (1−ratio)·content with ratio in [0, 1]. The same seed gives
// the same noise, and on the CPU the same output. Default ratio 1 (pure
// noise), seed 0.
func WithNoise(ratio float64, seed uint64) Option {
	return optionFunc(func(c *config) error {
		if math.IsNaN(ratio) || ratio < 0 || ratio > 1 {
			return invalid("WithNoise", ratio, "want a ratio in [0, 1]")
		}
		c.noiseRatio, c.seed = ratio, seed
		return nil
	})
}

// WithOptimizer selects Adam(learningRate) or LBFGS(). Default LBFGS().
func WithOptimizer(o Optimizer) Option {
	return optionFunc(func(c *config) error {
		if o == nil {
			return invalid("WithOptimizer", o, "want style.Adam(lr) or style.LBFGS()")
		}
		if err := o.validate(); err != nil {
			return invalid("WithOptimizer", o, err.Error())
		}
		c.optimizer = o
		return nil
	})
}

// WithIterations sets the most optimizer iterations a run makes (an
// L-BFGS iteration may evaluate the network more than once); the
// convergence rule (WithConvergence, on by default) usually ends it
// sooner. Default 1000.
func WithIterations(n int) Option {
	return optionFunc(func(c *config) error {
		if n <= 0 {
			return invalid("WithIterations", n, "want at least 1")
		}
		c.iterations = n
		return nil
	})
}

// WithEarlyStop ends the run when the loss changes by less than tol
// (relative: |Lₖ₋₁ − Lₖ| / |Lₖ|) over one iteration. Default 0 (off).
func WithEarlyStop(tol float64) Option {
	return optionFunc(func(c *config) error {
		if math.IsNaN(tol) || tol < 0 || tol >= 1 {
			return invalid("WithEarlyStop", tol, "want a tolerance in [0, 1)")
		}
		c.earlyStop = tol
		return nil
	})
}

// WithAveraging returns an exponential moving average of the iterates
// instead of the last one (crowsonkb's style-transfer-pytorch), which removes
// the grain Adam leaves. decay in (0, 1); about 1/(1−decay) iterations are
// averaged. Default off.
func WithAveraging(decay float64) Option {
	return optionFunc(func(c *config) error {
		if math.IsNaN(decay) || decay <= 0 || decay >= 1 {
			return invalid("WithAveraging", decay, "want a decay in (0, 1)")
		}
		c.averaging = decay
		return nil
	})
}

// WithMaxSize sets the longest side of the output in pixels; the content
// image is resized to it (up or down), keeping its aspect ratio. Default 512.
func WithMaxSize(px int) Option {
	return optionFunc(func(c *config) error {
		if px < minSide || px > maxSide {
			return invalid("WithMaxSize", px, fmt.Sprintf("want %d … %d pixels", minSide, maxSide))
		}
		c.maxSize = px
		return nil
	})
}

// WithMultiScale optimizes coarse to fine: first with the longest side at
// minSize pixels, then at twice that, and so on up to WithMaxSize, each
// scale starting from the previous result enlarged, with the targets
// recomputed at every size (Katherine Crowson's style-transfer-pytorch
// schedule). Each scale runs WithIterations iterations; the coarse ones
// cost a fraction of the last, settle the large structures, and leave the
// full-size scale less to do. With L-BFGS, each scale's first step is sized
// from the previous scale's curvature estimate instead of starting afresh.
// docs/performance.md has measurements. Scales at which the
// content image's short side would be under 16 pixels are left out.
// Default 0: one scale.
func WithMultiScale(minSize int) Option {
	return optionFunc(func(c *config) error {
		if minSize != 0 && (minSize < minSide || minSize > maxSide) {
			return invalid("WithMultiScale", minSize, fmt.Sprintf("want 0 (off) or %d … %d pixels", minSide, maxSide))
		}
		c.multiScaleMin = minSize
		return nil
	})
}

// WithStyleScale sizes each style image relative to the output: its longest
// side becomes scale × the output's longest side, keeping the style image's
// own aspect ratio (neural-style-tf instead stretches it to the content's
// shape). Smaller scales give finer brush strokes. Default 1.
func WithStyleScale(scale float64) Option {
	return optionFunc(func(c *config) error {
		if math.IsNaN(scale) || scale < 0.05 || scale > 4 {
			return invalid("WithStyleScale", scale, "want a scale in [0.05, 4]")
		}
		c.styleScale = scale
		return nil
	})
}

// WithPooling selects average (the default, as in the tutorial and
// neural-style-tf), max or L2 pooling (vgg.AvgPool, vgg.MaxPool, vgg.L2Pool).
func WithPooling(p vgg.Pooling) Option {
	return optionFunc(func(c *config) error {
		if _, err := vgg.ParsePooling(p.String()); err != nil {
			return invalid("WithPooling", int(p), "want vgg.AvgPool, vgg.MaxPool or vgg.L2Pool")
		}
		c.pooling = p
		return nil
	})
}

// WithOriginalColors keeps the content image's colours: the result's
// luminance is combined with the content's chroma in the given colour space
// (neural-style-tf's --original_colors with --color_convert_type). Default off.
func WithOriginalColors(space imageio.ColorSpace) Option {
	return optionFunc(func(c *config) error {
		if _, err := imageio.ParseColorSpace(space.String()); err != nil {
			return invalid("WithOriginalColors", int(space), "unknown colour space")
		}
		c.originalColors = &space
		return nil
	})
}

// WithColorMatch matches each style image's colour histogram to the content
// image's before the transfer, so the result takes the style's strokes and
// textures in the content's palette (colour transfer; Gatys et al., "Preserving
// Color in Neural Artistic Style Transfer", 2016). Default off.
func WithColorMatch() Option {
	return optionFunc(func(c *config) error {
		c.colorMatch = true
		return nil
	})
}

// WithClampPixels sets whether the network sees the image being optimized
// clamped to the range of pixel values, [0, 255] in each channel, as the
// output will be. Default true.
//
// The optimizers work on an unbounded image. With false the network sees it
// as it is, as in the tutorial and neural-style-tf, and only the output is
// clamped; L-BFGS then drives some pixels far outside the range, where they
// lower the loss in a way the saved image cannot, and the loss of the
// delivered image is far above the one reported. With true the loss is
// that of the image as delivered, and its gradient is zero for a pixel
// beyond the range (moving it further out changes nothing). The cost is
// two element-wise ops on the input; docs/quality.md has the measurements.
func WithClampPixels(on bool) Option {
	return optionFunc(func(c *config) error {
		c.clampPixels = on
		return nil
	})
}

// WithDevice places the network on a TensorFlow device such as "/cpu:0" or
// "/gpu:0" (which needs the CUDA build of libtensorflow: TF_VARIANT=cuda).
// The name is checked against the devices TensorFlow sees
// (tfruntime.Devices) before any work: for a device that is not there,
// NewTransferer and Transfer return an error matching tfruntime.ErrNoDevice
// that lists the devices and says which runtime is loaded. Default:
// TensorFlow's choice, the first GPU when one is visible, else the CPU
// (Result.Device says which).
func WithDevice(device string) Option {
	return optionFunc(func(c *config) error {
		if !validDevice(device) {
			return invalid("WithDevice", fmt.Sprintf("%q", device), `want a device such as "/cpu:0" or "/gpu:0"`)
		}
		c.device = device
		return nil
	})
}

// Precision is the arithmetic of the network's convolutions and matrix
// products (WithPrecision).
type Precision int

const (
	// Float32 computes everything in float32, as the Python
	// implementations do. The default.
	Float32 Precision = iota
	// BFloat16 runs the network in bfloat16 (8-bit significand,
	// float32's range) with float32 accumulation; the losses, the
	// optimizer and the image stay float32. On a CPU, TensorFlow's oneDNN
	// auto-mixed-precision rewrite converts the convolutions, their input
	// gradients and the Gram products, and needs bfloat16 instructions
	// (AVX512_BF16 or AMX-BF16). On a GPU the graph itself casts the
	// network's input and weights to bfloat16 and each layer's output
	// back to float32 (vgg.BuildOptions.Compute), so the convolutions use
	// the tensor cores' bfloat16 path while the Gram products stay
	// float32 (TF32); GPUs before Ampere (compute capability 8.0) have no
	// bfloat16 convolutions, and TensorFlow runs them in float32 there.
	// It needs the Adam optimizer: L-BFGS's line search compares loss
	// values more finely than bfloat16 computes them, and stalls. The
	// loss values a run reports are computed in mixed precision too. Its
	// speed and accuracy, measured (BenchmarkPrecision):
	// docs/performance.md and docs/gpu.md.
	BFloat16
	// Float16 runs the network in float16 (11-bit significand, largest
	// value 65504) on a GPU, cast in the graph as BFloat16 is there, with
	// the Gram products, the losses, the optimizer and the image in
	// float32. Two scalings keep float16 in range, both exact powers or
	// undone in float32: the network's activations are divided by 16
	// (vgg.HalfScale), and the derivative that flows back into it is
	// divided by its largest value and multiplied back at the image.
	// Three more bits than bfloat16 put the loss closer to float32's, at
	// the same speed on GPUs with float16 tensor cores (all since Volta).
	// It needs a GPU (TensorFlow's CPU float16 kernels are slower than
	// its float32 ones) and the Adam optimizer.
	Float16
)

// String returns "float32", "bfloat16" or "float16".
func (p Precision) String() string {
	switch p {
	case Float32:
		return "float32"
	case BFloat16:
		return "bfloat16"
	case Float16:
		return "float16"
	}
	return fmt.Sprintf("Precision(%d)", int(p))
}

// compute is the type the graph's network computes in with p
// (vgg.BuildOptions.Compute) on a GPU or a CPU. bfloat16 on a CPU is left
// to oneDNN's rewrite (sessionOptions), which was measured faster there
// than casts in the graph (docs/performance.md); TensorFlow's GPU kernels
// have no such rewrite, so on a GPU the graph casts.
func (p Precision) compute(onGPU bool) tf.DataType {
	switch {
	case p == BFloat16 && onGPU:
		return tf.Bfloat16
	case p == Float16:
		return tf.Half
	}
	return tf.Float
}

// ParsePrecision returns the Precision named "float32", "bfloat16" or
// "float16" (the names String gives), ignoring case and surrounding space.
func ParsePrecision(s string) (Precision, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "float32":
		return Float32, nil
	case "bfloat16":
		return BFloat16, nil
	case "float16":
		return Float16, nil
	}
	return 0, fmt.Errorf("style: unknown precision %q, want \"float32\", \"bfloat16\" or \"float16\"", s)
}

// cpuHasBFloat16 reports whether the CPU runs bfloat16 natively; oneDNN
// emulates it elsewhere, slower than float32.
var cpuHasBFloat16 = cpu.X86.HasAVX512BF16 || cpu.X86.HasAMXBF16

// WithPrecision sets the arithmetic of the network (Float32, BFloat16 or
// Float16). A mixed precision is refused, before any work and naming the
// device, where it would not do what it says: BFloat16 when the network
// runs on a CPU without bfloat16 instructions, and Float16 on any CPU
// (either would run slower than Float32), and both with the L-BFGS
// optimizer. Default Float32.
func WithPrecision(p Precision) Option {
	return optionFunc(func(c *config) error {
		if p != Float32 && p != BFloat16 && p != Float16 {
			return invalid("WithPrecision", p, "want Float32, BFloat16 or Float16")
		}
		c.precision = p
		return nil
	})
}

// checkPrecision refuses a precision that device cannot run as asked
// (WithPrecision).
func checkPrecision(cfg *config, device tfruntime.Device) error {
	switch {
	case cfg.precision == Float32 || device.Type == "GPU":
		return nil // on a GPU the graph casts (Precision.compute)
	case cfg.precision == Float16:
		return invalid("WithPrecision", Float16, fmt.Sprintf("float16 needs a GPU, and the network runs on %s: "+
			"TensorFlow's CPU float16 kernels are slower than float32 (use BFloat16 on a CPU with bfloat16 instructions)", device.Short()))
	case !cpuHasBFloat16:
		return invalid("WithPrecision", BFloat16, fmt.Sprintf("this CPU has no bfloat16 instructions (AVX512_BF16 or AMX-BF16), "+
			"and the network runs on it (%s): it would run slower than Float32", device.Short()))
	}
	return nil
}

// WithXLA turns XLA auto-clustering (the session's GlobalJitLevel ON_2) on
// or off; on a CPU device it also sets cpu_global_jit, which TensorFlow 2.18
// needs to cluster CPU code (no TF_XLA_FLAGS is required). Graphs are keyed
// on it. On a GPU, XLA needs CUDA's ptxas and libdevice; without them
// the run fails with ErrXLAToolchain. Default false: it is slower on the
// CPU, measured in docs/performance.md, and not yet measured on a GPU
// (docs/gpu.md).
func WithXLA(on bool) Option {
	return optionFunc(func(c *config) error {
		c.xla = on
		return nil
	})
}

// WithThreads sets TensorFlow's intra-op (within one op) and inter-op
// (between independent ops) thread pools. Default 0, 0: TensorFlow's
// choice, one thread per core for each. Each session gets pools of its own
// size (package tfruntime sets TF_OVERRIDE_GLOBAL_THREADPOOL=1 for that;
// without it TensorFlow sizes one pool for the whole process from its first
// session and ignores the setting of every later one).
func WithThreads(intraOp, interOp int) Option {
	return optionFunc(func(c *config) error {
		if intraOp < 0 || interOp < 0 {
			return invalid("WithThreads", fmt.Sprintf("%d, %d", intraOp, interOp), "want counts ≥ 0")
		}
		c.intraThreads, c.interThreads = intraOp, interOp
		return nil
	})
}

// WithProgress calls fn after every iteration, synchronously. If fn returns
// an error, the transfer stops and returns the image so far with an error
// wrapping fn's. Default none.
func WithProgress(fn func(Progress) error) Option {
	return optionFunc(func(c *config) error {
		c.progress = fn
		return nil
	})
}

// WithCheckpoint calls fn with the current image every `every` iterations
// (and not after the last one: that is the result). If fn returns an error
// the transfer stops as with WithProgress. Default none.
func WithCheckpoint(every int, fn func(Checkpoint) error) Option {
	return optionFunc(func(c *config) error {
		if every <= 0 || fn == nil {
			return invalid("WithCheckpoint", every, "want an interval ≥ 1 and a non-nil function")
		}
		c.checkpointEvery, c.checkpoint = every, fn
		return nil
	})
}
