package style

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/internal/tfutil"
	"github.com/neuralstyle/neuralstyle/optim"
	"github.com/neuralstyle/neuralstyle/optim/ingraph"
	"github.com/neuralstyle/neuralstyle/tfruntime"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// Result is the outcome of a transfer.
type Result struct {
	// Image is the stylized image, Width × Height pixels.
	Image *image.RGBA
	// History holds the losses after every iteration, in order (all scales
	// of a WithMultiScale run, each with its Scale).
	History []Progress
	// Iterations is the number of iterations run (at the last scale of a
	// WithMultiScale run); Evaluations the number of network evaluations
	// (forward + backward) at all scales.
	Iterations, Evaluations int
	// Elapsed is the wall time of the transfer, preparation included.
	Elapsed time.Duration
	// Loss is the final total loss (of Image, before post-processing).
	Loss float64
	// Device is the device the network ran on, such as "/device:GPU:0":
	// the one WithDevice named, else the first GPU TensorFlow sees, else
	// the CPU (see package tfruntime).
	Device string
	// Plans holds the memory model's plan of each scale, coarse to fine:
	// untiled or tiled, the tile size, the L-BFGS store and the predicted
	// peak memory (see WithMemoryLimit).
	Plans []MemoryPlan
	// Traffic counts the Session.Run calls of the transfer and the bytes
	// fed to and fetched from TensorFlow, all scales together: the targets,
	// the starting image, every iteration and every image read.
	Traffic Traffic
	// HostBytesPerIteration is the steady state of that traffic: the bytes
	// an iteration of the last scale moved between the host and
	// TensorFlow, from its first to its last iteration, image reads
	// (checkpoints, Progress.Image) left out. With the optimizer in the
	// graph it is a few dozen bytes of scalars; on the host path (tiled
	// runs, bfloat16) the image and its gradient at every evaluation.
	// Zero for a run of fewer than two iterations.
	HostBytesPerIteration float64
	// Stop says why the run (its last scale) ended: the iteration cap,
	// convergence, the early stop, the optimizer, or a cancellation.
	Stop StopReason
	// Change is the last RMS change of the picture that the convergence
	// rule measured (WithConvergence), in grey levels over its Window, and
	// LossDecrease the loss's relative decrease over the same iterations;
	// NaN if the rule is off or made no comparison.
	Change, LossDecrease float64
}

// Transferer runs style transfers with one network, reusing the TensorFlow
// graph and session across transfers of the same output size and loss
// configuration (the images themselves may change). Create one with
// NewTransferer and Close it when done.
//
// A Transferer is safe for concurrent use; concurrent Transfer calls on one
// Transferer run one after another. For parallel transfers, use one
// Transferer per goroutine: they may share one *vgg.Model (WithModel).
type Transferer struct {
	mu     sync.Mutex
	base   []Option
	model  *vgg.Model
	engine evaluator
	closed bool
}

// NewTransferer returns a Transferer whose transfers use opts (and then the
// options passed to each Transfer call). Without WithModel, it loads the
// weights file here, once.
func NewTransferer(opts ...Option) (*Transferer, error) {
	cfg, err := resolve(opts)
	if err != nil {
		return nil, err
	}
	if _, err := placement(&cfg); err != nil {
		return nil, err
	}
	model := cfg.model
	if model == nil {
		path, _, err := vgg.FindWeights(cfg.weightsPath)
		if err != nil {
			return nil, err
		}
		if model, err = vgg.Load(path); err != nil {
			return nil, fmt.Errorf("style: %w", err)
		}
	}
	if err := checkLayerNames(model.Arch(), &cfg); err != nil {
		return nil, err
	}
	return &Transferer{base: opts, model: model}, nil
}

// Model returns the network the Transferer uses.
func (t *Transferer) Model() *vgg.Model { return t.model }

// Close releases the TensorFlow session and graph. It is idempotent; a
// Transfer after Close returns ErrClosed.
func (t *Transferer) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	var err error
	if t.engine != nil {
		err = t.engine.close()
	}
	t.engine = nil
	return err
}

// Transfer is a one-shot transfer: it creates a Transferer with opts, runs
// one transfer and closes it. See Transferer.Transfer.
func Transfer(ctx context.Context, content, styleImage image.Image, opts ...Option) (*Result, error) {
	t, err := NewTransferer(opts...)
	if err != nil {
		return nil, err
	}
	res, err := t.Transfer(ctx, content, styleImage)
	if cerr := t.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("style: closing the session: %w", cerr)
	}
	return res, err
}

func resolve(opts []Option) (config, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return cfg, fmt.Errorf("%w: nil Option", ErrInvalidOption)
		}
		if err := o.apply(&cfg); err != nil {
			return cfg, err
		}
	}
	if cfg.tiling != nil && cfg.tiling.SinglePass && cfg.optimizer.exactGradient() {
		return cfg, invalid("WithTiling", fmt.Sprintf("%+v", *cfg.tiling), "SinglePass needs WithOptimizer(Adam(…)): "+
			"its gradient uses predicted style residuals, and L-BFGS's line search needs the exact gradient")
	}
	if cfg.precision != Float32 && cfg.optimizer.exactGradient() {
		return cfg, invalid("WithPrecision", cfg.precision, "needs WithOptimizer(Adam(…)): L-BFGS's line search "+
			"compares loss values more finely than mixed precision computes them (in bfloat16, with VGG16 at 512 px, it stalls in its first iteration)")
	}
	return cfg, nil
}

func checkLayerNames(arch vgg.Arch, c *config) error {
	for option, layers := range map[string]map[string]float64{"WithContentLayers": c.contentLayers, "WithStyleLayers": c.styleLayers} {
		for name := range layers {
			if !vgg.HasLayer(arch, name) {
				return invalid(option, name, fmt.Sprintf("%v has no layer %q (want names such as conv4_2 or relu1_1)", arch, name))
			}
		}
	}
	return nil
}

// blend returns the normalized weight of style image i.
func (c *config) blend(i int) float64 {
	n := 1 + len(c.extraStyles)
	if len(c.blendWeights) == 0 {
		return 1 / float64(n)
	}
	sum := 0.0
	for _, w := range c.blendWeights {
		sum += w
	}
	return c.blendWeights[i] / sum
}

// prepared holds the images of one transfer, at the sizes the network sees.
type prepared struct {
	w, h    int
	content *image.RGBA // resized
	styles  []*image.RGBA
	masks   [][]float32 // [h*w] in 0..1, or nil
}

func (t *Transferer) prepare(cfg *config, content, styleImage image.Image) (*prepared, error) {
	if content == nil || content.Bounds().Empty() {
		return nil, fmt.Errorf("%w: content image is nil or empty", ErrInvalidImage)
	}
	if styleImage == nil || styleImage.Bounds().Empty() {
		return nil, fmt.Errorf("%w: style image is nil or empty", ErrInvalidImage)
	}
	styles := append([]image.Image{styleImage}, cfg.extraStyles...)
	if n := len(cfg.blendWeights); n > 0 && n != len(styles) {
		return nil, invalid("WithStyleBlendWeights", cfg.blendWeights, fmt.Sprintf("%d weights for %d style images", n, len(styles)))
	}
	if n := len(cfg.masks); n > 0 && n != len(styles) {
		return nil, invalid("WithStyleMasks", fmt.Sprintf("%d masks", n), fmt.Sprintf("want one per style image (%d)", len(styles)))
	}

	p := &prepared{}
	var err error
	if p.content, err = imageio.Resize(content, cfg.maxSize); err != nil {
		return nil, fmt.Errorf("%w: content image: %v", ErrInvalidImage, err)
	}
	b := p.content.Bounds()
	p.w, p.h = b.Dx(), b.Dy()
	if p.w < minSide || p.h < minSide {
		return nil, fmt.Errorf("%w: content image is %d×%d at max size %d, the network needs at least %d pixels on each side",
			ErrInvalidImage, p.w, p.h, cfg.maxSize, minSide)
	}
	styleSide := int(math.Round(float64(max(p.w, p.h)) * cfg.styleScale))
	for i, s := range styles {
		if s == nil || s.Bounds().Empty() {
			return nil, fmt.Errorf("%w: style image %d is nil or empty", ErrInvalidImage, i+1)
		}
		if cfg.colorMatch {
			if s, err = imageio.MatchHistogram(s, p.content); err != nil {
				return nil, fmt.Errorf("style: colour match of style image %d: %w", i+1, err)
			}
		}
		r, err := imageio.Resize(s, styleSide)
		if err != nil {
			return nil, fmt.Errorf("%w: style image %d: %v", ErrInvalidImage, i+1, err)
		}
		if sb := r.Bounds(); sb.Dx() < minSide || sb.Dy() < minSide {
			return nil, fmt.Errorf("%w: style image %d is %d×%d after scaling, the network needs at least %d pixels on each side",
				ErrInvalidImage, i+1, sb.Dx(), sb.Dy(), minSide)
		}
		p.styles = append(p.styles, r)
	}
	if len(cfg.masks) > 0 {
		for i, m := range cfg.masks {
			p.masks = append(p.masks, maskValues(m, p.w, p.h))
			if m != nil && m.Bounds().Empty() {
				return nil, invalid("WithStyleMasks", fmt.Sprintf("mask %d", i+1), "empty image")
			}
		}
	}
	return p, nil
}

// maskValues resizes a mask to w×h and returns its luminance in 0..1; a nil
// mask is all ones.
func maskValues(m image.Image, w, h int) []float32 {
	out := make([]float32, w*h)
	if m == nil || m.Bounds().Empty() {
		for i := range out {
			out[i] = 1
		}
		return out
	}
	r, err := imageio.ResizeTo(m, w, h)
	if err != nil {
		return out
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			o := r.PixOffset(x, y)
			p := r.Pix[o : o+3]
			out[y*w+x] = (0.299*float32(p[0]) + 0.587*float32(p[1]) + 0.114*float32(p[2])) / 255
		}
	}
	return out
}

// Transfer renders content in the style of styleImage (plus any extra style
// images), with the Transferer's options followed by opts.
//
// The result has the content image's aspect ratio and a longest side of
// WithMaxSize pixels. Options are validated before any work. When ctx is
// cancelled, or a progress or checkpoint callback returns an error, Transfer
// stops within one iteration and returns the best image so far together
// with an error wrapping the cause (errors.Is(err, context.Canceled) holds
// for a cancelled ctx). A loss that becomes NaN or infinite stops the run
// with an error matching optim.ErrNonFinite and the last finite image.
func (t *Transferer) Transfer(ctx context.Context, content, styleImage image.Image, opts ...Option) (*Result, error) {
	start := time.Now()
	cfg, device, err := t.configure(opts)
	if err != nil {
		return nil, err
	}
	sizes := scaleSchedule(cfg.multiScaleMin, cfg.maxSize, content)
	// Plan the memory of every scale before any image is resized.
	plans, err := t.plan(&cfg, device, content, styleImage, sizes)
	if err != nil {
		return nil, err
	}
	// Validate the images at every scale before any work.
	steps := make([]*prepared, len(sizes))
	for i, size := range sizes {
		c := cfg
		c.maxSize = size
		if steps[i], err = t.prepare(&c, content, styleImage); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("style: %w", err)
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrClosed
	}
	var (
		res     *Result
		prev    scaleStart // the previous scale's raw result and L-BFGS scale
		prevP   *prepared
		hist    []Progress
		evals   int
		traffic Traffic
	)
	for i, p := range steps {
		// explain turns TensorFlow's out-of-memory and XLA-toolchain
		// errors at this scale into the library's own.
		explain := func(err error, during string) error {
			return xlaToolchain(outOfMemory(err, plans[i], during), cfg.xla, device.Short())
		}
		if err := t.useEngine(&cfg, p, plans[i]); err != nil {
			return nil, explain(err, "building the graph")
		}
		from := scaleStart{gamma: prev.gamma}
		if prev.x != nil {
			if from.x, err = t.upsample(prev.x, prevP, p); err != nil {
				return nil, err
			}
		}
		res, prev, err = t.run(ctx, &cfg, scaleRun{index: i + 1, count: len(steps), p: p, plan: plans[i], from: from}, start)
		if err != nil {
			where := "the targets"
			if res != nil {
				where = fmt.Sprintf("iteration %d", res.Iterations+1)
			}
			if len(steps) > 1 {
				where += fmt.Sprintf(" of scale %d of %d", i+1, len(steps))
			}
			err = explain(err, where)
		}
		if res != nil {
			res.Device = device.Short()
			res.Plans = plans[:i+1]
			hist = append(hist, res.History...)
			evals += res.Evaluations
			traffic.Runs += res.Traffic.Runs
			traffic.Fed += res.Traffic.Fed
			traffic.Fetched += res.Traffic.Fetched
			res.History, res.Evaluations, res.Traffic = hist, evals, traffic
		}
		if err != nil {
			if last := steps[len(steps)-1]; res != nil && p != last {
				// Stopped at a coarse scale: the caller asked for the final size.
				big, err2 := imageio.ResizeTo(res.Image, last.w, last.h)
				if err2 != nil {
					return nil, fmt.Errorf("%w (and resizing the image so far: %v)", err, err2)
				}
				res.Image = big
			}
			return res, err
		}
		prevP = p
	}
	return res, nil
}

// placement returns the device the network will run on: the one
// WithDevice names, which must be among the devices TensorFlow sees (the
// error says which there are and which runtime is loaded), else
// TensorFlow's default. Listing the devices first also makes the GPU
// allocator grow as needed (see tfruntime.Devices). A precision the
// device cannot run as asked is refused here (checkPrecision).
func placement(cfg *config) (tfruntime.Device, error) {
	var d tfruntime.Device
	var err error
	switch {
	case cfg.simulatedDevice != nil:
		d = *cfg.simulatedDevice
	case cfg.device == "":
		if d, err = tfruntime.Default(); err != nil {
			return d, fmt.Errorf("style: %w", err)
		}
	default:
		if d, err = tfruntime.Lookup(cfg.device); err != nil {
			return d, fmt.Errorf("style: WithDevice(%q): %w", cfg.device, err)
		}
	}
	cfg.onGPU = d.Type == "GPU"
	return d, checkPrecision(cfg, d)
}

// Plan returns the memory model's plan for every scale of a transfer of
// content in the style of styleImage with the Transferer's options followed
// by opts, without running it: how each scale would be evaluated (untiled
// or tiled, the tile size, the L-BFGS store) and its predicted peak
// memory. A transfer that would be refused gets the *MemoryError that
// Transfer would return. Planning resizes nothing and allocates little.
func (t *Transferer) Plan(content, styleImage image.Image, opts ...Option) ([]MemoryPlan, error) {
	cfg, device, err := t.configure(opts)
	if err != nil {
		return nil, err
	}
	return t.plan(&cfg, device, content, styleImage, scaleSchedule(cfg.multiScaleMin, cfg.maxSize, content))
}

// configure resolves the Transferer's options followed by opts, checks
// them against its model and places the network: the set-up that
// Transfer, Plan and Loss share, before any image is read.
func (t *Transferer) configure(opts []Option) (config, tfruntime.Device, error) {
	cfg, err := resolve(append(append([]Option(nil), t.base...), opts...))
	if err != nil {
		return cfg, tfruntime.Device{}, err
	}
	if cfg.model != nil && cfg.model != t.model {
		return cfg, tfruntime.Device{}, invalid("WithModel", "a different model", "a Transferer keeps the model it was created with")
	}
	if err := checkLayerNames(t.model.Arch(), &cfg); err != nil {
		return cfg, tfruntime.Device{}, err
	}
	device, err := placement(&cfg)
	return cfg, device, err
}

// plan runs the memory model for every scale (see WithMemoryLimit) on
// device. Images that are nil or empty are left to prepare to report.
func (t *Transferer) plan(cfg *config, device tfruntime.Device, content, styleImage image.Image, sizes []int) ([]MemoryPlan, error) {
	plans := make([]MemoryPlan, len(sizes))
	all := append([]image.Image{styleImage}, cfg.extraStyles...)
	if content == nil || content.Bounds().Empty() {
		return plans, nil
	}
	var styles []image2D
	for _, s := range all {
		if s == nil || s.Bounds().Empty() {
			return plans, nil
		}
		styles = append(styles, image2D{s.Bounds().Dx(), s.Bounds().Dy()})
	}
	b := budgetFor(cfg, device)
	c := image2D{content.Bounds().Dx(), content.Bounds().Dy()}
	for i, size := range sizes {
		p, err := planWithin(t.model, cfg, shapeOf(cfg, c, styles, size), b)
		if err != nil {
			return nil, err
		}
		p.Limit, p.HostLimit = b.limit, b.host
		plans[i] = p
	}
	return plans, nil
}

// budgetFor is the memory a transfer with cfg may use on device: on the
// CPU the process's resident memory, WithMemoryLimit or what the machine
// has available; on a GPU the GPU's memory, WithMemoryLimit or what
// TensorFlow may allocate there, and the host's available memory besides.
func budgetFor(cfg *config, device tfruntime.Device) budget {
	if device.Type != "GPU" {
		if cfg.memoryLimit > 0 {
			return budget{limit: cfg.memoryLimit, source: "WithMemoryLimit"}
		}
		return budget{limit: availableMemory(), source: defaultLimitSource}
	}
	b := budget{device: device.Short(), limit: device.MemoryBytes, source: "TensorFlow's memory for " + device.Short(),
		host: availableMemory(), hostSource: defaultLimitSource}
	if cfg.memoryLimit > 0 {
		b.limit, b.source = cfg.memoryLimit, "WithMemoryLimit"
	}
	return b
}

// useEngine makes t.engine the graph for p's sizes, cfg's loss and the
// evaluation that pl chose, reusing the current one when it fits.
func (t *Transferer) useEngine(cfg *config, p *prepared, pl MemoryPlan) error {
	key := newGraphKey(cfg, t.model.Arch(), p.h, p.w, len(p.styles), len(p.masks) > 0)
	if pl.Tiled {
		key.tiling = Tiling{Tile: pl.Tile, Halo: pl.Halo, SinglePass: pl.SinglePass}
	} else if optimizerOnDevice(cfg) {
		key.onDevice, key.optimizer, key.store, key.averaging = true, cfg.optimizer, pl.Store, cfg.averaging
	}
	if t.engine != nil && t.engine.graphKey() == key {
		return nil
	}
	if t.engine != nil {
		if err := t.engine.close(); err != nil {
			return fmt.Errorf("style: closing the previous session: %w", err)
		}
	}
	t.engine = nil
	var e evaluator
	var err error
	if pl.Tiled {
		e, err = newTiledEngine(t.model, key, cfg, key.tiling)
	} else {
		e, err = newEngine(t.model, key, cfg)
	}
	if err != nil {
		return err
	}
	t.engine = e
	return nil
}

// optimizerOnDevice reports whether an untiled run of cfg keeps its
// optimizer in the graph (package optim/ingraph), on the network's device:
// all do but the tests' host-path references.
func optimizerOnDevice(cfg *config) bool { return !cfg.hostOptimizer }

// scaleSchedule returns the longest sides of the coarse-to-fine schedule:
// minSize, 2·minSize, 4·minSize, … below maxSize, then maxSize, leaving out
// the sizes at which the content image's short side would fall under
// minSide. minSize 0 means one scale, maxSize.
func scaleSchedule(minSize, maxSize int, content image.Image) []int {
	if minSize <= 0 || minSize >= maxSize || content == nil || content.Bounds().Empty() {
		return []int{maxSize}
	}
	b := content.Bounds()
	var sizes []int
	for s := minSize; s < maxSize; s *= 2 {
		if w, h := imageio.FitSize(b.Dx(), b.Dy(), s); min(w, h) >= minSide {
			sizes = append(sizes, s)
		}
	}
	return append(sizes, maxSize)
}

// upsample turns the raw result x of scale prev into the starting point of
// scale next: the image is resized (Catmull-Rom) and converted back.
func (t *Transferer) upsample(x []float32, prev, next *prepared) ([]float32, error) {
	mean := imageio.Mean(t.model.MeanPixel())
	img, err := imageio.FromTensor(x, prev.h, prev.w, mean)
	if err != nil {
		return nil, fmt.Errorf("style: %w", err)
	}
	big, err := imageio.ResizeTo(img, next.w, next.h)
	if err != nil {
		return nil, fmt.Errorf("style: %w", err)
	}
	x0, _, _ := imageio.ToTensor(big, mean)
	return x0, nil
}

// scaleStart is what one scale of a run hands to the next.
type scaleStart struct {
	// x is the raw optimizer point: the result of the previous scale, or
	// (given to run) that result enlarged to this scale.
	x []float32
	// gamma is the previous scale's L-BFGS inverse-Hessian scale
	// (optim.Result.InverseHessianScale), zero if none. Half of it sets the
	// first step at the next scale (optim.LBFGS.InitialScale; see
	// carriedScale).
	gamma float64
}

// carriedScale is the LBFGS.InitialScale for a scale that follows one that
// ended with inverse-Hessian scale gamma (0: none, gonum's first step).
//
// Without it, the first line search of every scale grows gonum's first
// step, of length 1, to the one the problem needs: about 6 evaluations,
// 30 s at 1024 px. The previous scale's γ is the right order of
// magnitude, and on VGG19 (256 → 512 → 1024 px, bench/multiscale.sh) the
// step the line search then accepted was 0.4–0.5 of it, after a second
// trial (in a run from 128 px: 0.49, then 1.13). Aiming at half is also what the line
// search favours: with Moré–Thuente's curvature factor 0.9 it accepts, on
// a quadratic, any step from 0.1 to 1.9 times the minimizing one, so a
// trial at half the estimate is accepted at once for estimates from 0.2 to
// 3.8 times the right step, while a trial that overshoots costs another
// evaluation.
func carriedScale(gamma float64) float64 { return gamma / 2 }

// firstStepRMS is the first L-BFGS trial step of a run's first scale, as
// its root-mean-square change per pixel channel in grey levels
// (optim.LBFGS.InitialStep); later scales take carriedScale. gonum's own
// first trial, a step of length 1, moves a 512 px image by 0.001 levels,
// and its line search spent 4–6 evaluations growing it. Measured on the
// ImageNet VGG16 with The Starry Night: with 1, 3, 5 or 10 levels the first
// iteration took 2 evaluations (30 levels overshot: 3); at 256 px after 6
// iterations the loss with 5 levels was 12 % (chelsea.jpg) and 21 %
// (coffee.jpg) below that of gonum's trial.
const firstStepRMS = 5

// scaleRun is one scale of a transfer: its place in the coarse-to-fine
// schedule (index from 1 to count), its images, its memory plan and what
// the previous scale hands it.
type scaleRun struct {
	index, count int
	p            *prepared
	plan         MemoryPlan
	from         scaleStart
}

// run optimizes one scale, from sc.from.x or, when that is nil, from cfg's
// initial image. It returns the result and what the next scale starts from.
// An untiled engine with the optimizer in its graph runs on the device
// (runOnDevice); otherwise package optim runs on the host.
func (t *Transferer) run(ctx context.Context, cfg *config, sc scaleRun, start time.Time) (*Result, scaleStart, error) {
	p, x0 := sc.p, sc.from.x
	e := t.engine
	before := e.counter().Traffic
	mean := imageio.Mean(t.model.MeanPixel())
	contentX, err := t.setTargets(ctx, cfg, p, mean)
	if err != nil {
		return nil, scaleStart{}, err
	}
	if x0 == nil {
		if x0, err = t.initialImage(cfg, p, contentX, mean); err != nil {
			return nil, scaleStart{}, err
		}
	}
	mon := newMonitor(t, cfg, sc, start, ctx, before)
	if ue, ok := e.(*engine); ok && ue.opt != nil {
		return t.runOnDevice(ctx, cfg, sc, x0, ue, mon)
	}

	var last evaluation
	objective := optim.ObjectiveFunc(func(ctx context.Context, x, grad []float32) (float64, error) {
		ev, err := e.evaluate(x, grad)
		if err != nil {
			return 0, err
		}
		last = ev
		return ev.total, nil
	})
	settings := optim.Settings{
		Iterations: cfg.iterations,
		Progress: func(op optim.Progress) error {
			return mon.iteration(op.Iteration, op.Value, last, op.Evaluations, func() ([]float32, error) { return op.X, nil })
		},
	}
	if cfg.averaging > 0 {
		settings.Average = &optim.Averaging{Decay: cfg.averaging}
	}
	out, err := optim.Minimize(ctx, objective, x0, settings, cfg.optimizer.onHost(sc.plan.Store, sc.from))
	if out == nil || out.X == nil {
		if err == nil {
			err = errors.New("style: the optimizer returned no image")
		}
		return nil, scaleStart{}, err
	}
	return mon.done(out.X, out.Value, out.Iterations, out.Evaluations, out.InverseHessianScale, out.Status, err)
}

// runOnDevice optimizes one scale with the optimizer in e's graph: the
// image and the optimizer's state stay in the session, an iteration
// fetches only scalars, and the image is read for a due checkpoint, a
// Progress.Image call and the result.
func (t *Transferer) runOnDevice(ctx context.Context, cfg *config, sc scaleRun, x0 []float32, e *engine, mon *monitor) (*Result, scaleStart, error) {
	in, err := tfutil.Float32Tensor(x0, 1, int64(sc.p.h), int64(sc.p.w), 3)
	if err != nil {
		return nil, scaleStart{}, err
	}
	settings := ingraph.Settings{
		Iterations: cfg.iterations,
		Progress: func(op ingraph.Progress) error {
			ev := evaluation{total: op.Value, content: float64(op.Report[0]), style: float64(op.Report[1]), tv: float64(op.Report[2]), terms: float64(op.Report[3])}
			return mon.iteration(op.Iteration, op.Value, ev, op.Evaluations, func() ([]float32, error) { return e.readIterate(e.opt.Iterate()) })
		},
	}
	if cfg.averaging > 0 {
		settings.Average = &optim.Averaging{Decay: cfg.averaging}
	}
	settings.InitialScale, settings.InitialStep = cfg.optimizer.firstStep(sc.from)
	change := e.imageChange()
	mon.change = func(func() ([]float32, error)) (float64, error) { return change() }
	out, err := ingraph.Minimize(ctx, e, e.opt, in, settings)
	if out == nil {
		return nil, scaleStart{}, err
	}
	x, rerr := e.readIterate(e.opt.Result())
	if rerr != nil {
		return nil, scaleStart{}, errors.Join(err, rerr)
	}
	return mon.done(x, out.Value, out.Iterations, out.Evaluations, out.InverseHessianScale, out.Status, err)
}

// errEarlyStop ends a run whose loss stopped changing (WithEarlyStop).
var errEarlyStop = errors.New("early stop")

// monitor is what both optimizer strategies call after every iteration
// and at the end of a scale: the history, the progress callback, the
// checkpoints, cancellation and the early stop.
type monitor struct {
	t     *Transferer
	cfg   *config
	sc    scaleRun
	p     *prepared
	start time.Time
	mean  imageio.Mean
	ctx   context.Context
	res   *Result

	counted         *traffic
	before          Traffic // the engine's count when the scale started
	firstLoop, loop int64   // counted.loop() at the first and the latest iteration
	lastIter        int

	converge *convergenceCheck
	// change returns the RMS change of the image since the previous call,
	// in grey levels, and takes a snapshot (see convergenceCheck). The
	// host path computes it from read; the device path in the graph.
	change   func(read func() ([]float32, error)) (float64, error)
	snapshot []float32 // the host path's snapshot
}

// newMonitor starts the monitor of scale sc, whose engine had counted
// before when the scale started.
func newMonitor(t *Transferer, cfg *config, sc scaleRun, start time.Time, ctx context.Context, before Traffic) *monitor {
	m := &monitor{t: t, cfg: cfg, sc: sc, p: sc.p, start: start, mean: imageio.Mean(t.model.MeanPixel()), ctx: ctx, res: &Result{},
		counted: t.engine.counter(), before: before, converge: newConvergenceCheck(cfg.convergence)}
	m.change = m.hostChange
	return m
}

// hostChange is the change of the image read returns since the previous
// call (the first call only takes the snapshot).
func (m *monitor) hostChange(read func() ([]float32, error)) (float64, error) {
	x, err := read()
	if err != nil {
		return 0, err
	}
	if m.snapshot == nil {
		m.snapshot = append([]float32(nil), x...)
		return math.NaN(), nil
	}
	return rmsChange(x, m.snapshot), nil
}

// iteration records an iteration with loss terms ev after evals
// evaluations; read returns its raw image, only when something needs it.
func (m *monitor) iteration(iter int, loss float64, ev evaluation, evals int, read func() ([]float32, error)) error {
	cfg, p := m.cfg, m.p
	if iter == 1 {
		m.firstLoop = m.counted.loop()
	}
	m.loop, m.lastIter = m.counted.loop(), iter
	pr := Progress{
		Iteration: iter, Iterations: cfg.iterations,
		Loss: loss, Content: ev.content, Style: ev.style, TV: ev.tv, Terms: ev.terms,
		Evaluations: evals, Elapsed: time.Since(m.start),
		Scale: m.sc.index, Scales: m.sc.count, Width: p.w, Height: p.h,
	}
	prev := pr.Loss
	if n := len(m.res.History); n > 0 {
		prev = m.res.History[n-1].Loss
	}
	m.res.History = append(m.res.History, pr)
	current := func() (*image.RGBA, error) {
		x, err := read()
		if err != nil {
			return nil, err
		}
		return m.t.finish(cfg, p, x, m.mean)
	}
	if cfg.progress != nil {
		live := true // read is only valid during the callback
		pr.image = func() (*image.RGBA, error) {
			if !live {
				return nil, ErrImageUnavailable
			}
			return current()
		}
		err := cfg.progress(pr)
		live = false
		if err != nil {
			return fmt.Errorf("style: progress callback: %w", err)
		}
	}
	if cfg.checkpoint != nil && iter%cfg.checkpointEvery == 0 && iter < cfg.iterations {
		img, err := current()
		if err != nil {
			return err
		}
		if err := cfg.checkpoint(Checkpoint{Iteration: iter, Image: img}); err != nil {
			return fmt.Errorf("style: checkpoint callback at iteration %d: %w", iter, err)
		}
	}
	if err := m.ctx.Err(); err != nil {
		return err
	}
	if cfg.earlyStop > 0 && len(m.res.History) > 1 && math.Abs(prev-pr.Loss) <= cfg.earlyStop*math.Abs(pr.Loss) {
		return errEarlyStop
	}
	converged, err := m.converge.after(iter, cfg.iterations, loss, func() (float64, error) { return m.change(read) })
	if err != nil {
		return err
	}
	if converged {
		return errConverged
	}
	return nil
}

// done completes the scale's Result from the optimizer's answer x and the
// error it ended with.
func (m *monitor) done(x []float32, loss float64, iters, evals int, gamma float64, status optim.Status, err error) (*Result, scaleStart, error) {
	stop := StopLimit
	switch {
	case errors.Is(err, errEarlyStop):
		stop, err = StopEarly, nil
	case errors.Is(err, errConverged):
		stop, err = StopConverged, nil
	case err != nil:
		stop = StopCanceled
	case status != optim.IterationLimit && status != 0:
		stop = StopOptimizer
	}
	img, ferr := m.t.finish(m.cfg, m.p, x, m.mean)
	if ferr != nil {
		return nil, scaleStart{}, ferr
	}
	res := m.res
	res.Traffic = Traffic{Runs: m.counted.Runs - m.before.Runs, Fed: m.counted.Fed - m.before.Fed, Fetched: m.counted.Fetched - m.before.Fetched}
	if m.lastIter > 1 {
		res.HostBytesPerIteration = float64(m.loop-m.firstLoop) / float64(m.lastIter-1)
	}
	res.Image = img
	res.Iterations = iters
	res.Evaluations = evals
	res.Loss = loss
	res.Elapsed = time.Since(m.start)
	res.Stop, res.Change, res.LossDecrease = stop, m.converge.last, m.converge.lastDecrease
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("style: %w", err)
	} else if err != nil {
		err = fmt.Errorf("style: transfer stopped after %d iterations: %w", iters, err)
	}
	return res, scaleStart{x: x, gamma: gamma}, err
}

// setTargets computes p's content and style targets inside t's engine (and
// stores its masks and cfg's WithTerms inputs), and returns the content
// image as a tensor.
func (t *Transferer) setTargets(ctx context.Context, cfg *config, p *prepared, mean imageio.Mean) ([]float32, error) {
	contentX, _, _ := imageio.ToTensor(p.content, mean)
	var styles []sizedImage
	for _, s := range p.styles {
		x, h, w := imageio.ToTensor(s, mean)
		styles = append(styles, sizedImage{x: x, h: h, w: w})
	}
	check := func() error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("style: %w", err)
		}
		return nil
	}
	if err := check(); err != nil {
		return nil, err
	}
	if err := t.engine.counter().aside(func() error { return t.engine.targets(contentX, styles, p.masks, termInputs(cfg.terms), check) }); err != nil {
		return nil, err
	}
	return contentX, nil
}

// initialImage returns the starting point of the optimization.
func (t *Transferer) initialImage(cfg *config, p *prepared, contentX []float32, mean imageio.Mean) ([]float32, error) {
	if cfg.initImage != nil {
		r, err := imageio.ResizeTo(cfg.initImage, p.w, p.h)
		if err != nil {
			return nil, invalid("WithInitImage", "the image", err.Error())
		}
		x, _, _ := imageio.ToTensor(r, mean)
		return x, nil
	}
	switch cfg.init {
	case InitStyle:
		r, err := imageio.ResizeTo(p.styles[0], p.w, p.h)
		if err != nil {
			return nil, err
		}
		x, _, _ := imageio.ToTensor(r, mean)
		return x, nil
	case InitNoise:
		rng := rand.New(rand.NewPCG(cfg.seed, 0x6e6f697365)) // "noise"
		x := make([]float32, len(contentX))
		for i, c := range contentX {
			n := float32(rng.Float64()*40 - 20)
			x[i] = float32(cfg.noiseRatio)*n + float32(1-cfg.noiseRatio)*c
		}
		return x, nil
	default:
		return append([]float32(nil), contentX...), nil
	}
}

// finish turns an optimizer point into the output image.
func (t *Transferer) finish(cfg *config, p *prepared, x []float32, mean imageio.Mean) (*image.RGBA, error) {
	img, err := imageio.FromTensor(x, p.h, p.w, mean)
	if err != nil {
		return nil, fmt.Errorf("style: %w", err)
	}
	if cfg.originalColors != nil {
		if img, err = imageio.PreserveColors(p.content, img, *cfg.originalColors); err != nil {
			return nil, fmt.Errorf("style: original colours: %w", err)
		}
	}
	return img, nil
}
