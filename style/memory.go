package style

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/internal/bytesize"
	"github.com/neuralstyle/neuralstyle/loss"
	"github.com/neuralstyle/neuralstyle/optim"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// ErrMemory is matched by the error of a transfer refused because it
// cannot fit the memory limit (WithMemoryLimit) even tiled and with the
// least optimizer state; the error is a *MemoryError.
var ErrMemory = errors.New("style: not enough memory")

// MemoryError is the error of a refused transfer. It is returned before any
// large allocation, so nothing has been computed or written.
type MemoryError struct {
	// Needed is the predicted peak resident memory of the cheapest plan,
	// Available the limit, both in bytes.
	Needed, Available int64
	// Plan is that cheapest plan.
	Plan MemoryPlan
	// Source says where Available comes from: "WithMemoryLimit" or
	// "85% of MemAvailable" (the default).
	Source string
	// Note, if not empty, says why no tiled plan was considered.
	Note string
	// Device names the memory that is short: a GPU such as
	// "/device:GPU:0", or "" for the host's memory (a run on the CPU, or
	// the host's part of a run on a GPU).
	Device string
	// During is set when TensorFlow itself ran out of memory during the
	// run (the model's prediction was wrong): where, such as "iteration
	// 12". The Result returned with the error holds the image so far.
	During string

	cause error // TensorFlow's error, with During
}

func (e *MemoryError) Error() string {
	hint := "a smaller WithMaxSize"
	if e.Plan.Store > 0 {
		hint += " or Adam"
	}
	note := ""
	if e.Note != "" {
		note = " (" + e.Note + ")"
	}
	of := "memory"
	if e.Device != "" {
		of = e.Device + " memory"
	}
	if e.During != "" {
		within := ""
		if e.Available > 0 {
			within = ", within the limit of " + bytesize.Format(e.Available)
		}
		return fmt.Sprintf("style: %d×%d px ran out of %s at %s (TensorFlow could not allocate a tensor; the memory model had predicted %s %s%s): set a lower WithMemoryLimit (stylize -memory-limit) so that the planner tiles, or use %s",
			e.Plan.Width, e.Plan.Height, of, e.During, bytesize.Format(e.Needed), e.Plan.mode(), within, hint)
	}
	return fmt.Sprintf("style: %d×%d px needs %s of %s even %s%s, %s available (%s): use %s, or free memory",
		e.Plan.Width, e.Plan.Height, bytesize.Format(e.Needed), of, e.Plan.mode(), note, bytesize.Format(e.Available), e.Source, hint)
}

// Is makes errors.Is(err, ErrMemory) hold.
func (e *MemoryError) Is(target error) bool { return target == ErrMemory }

// Unwrap returns TensorFlow's own error when TensorFlow ran out of memory
// (During is set), else nil.
func (e *MemoryError) Unwrap() error { return e.cause }

// outOfMemory returns err, or, when err is TensorFlow's out-of-memory
// error (a ResourceExhausted status: "OOM when allocating tensor …", or
// XLA's "Out of memory while trying to allocate …"), a *MemoryError for
// plan p that says where (during) and what to do, wrapping err.
func outOfMemory(err error, p MemoryPlan, during string) error {
	if err == nil || !tensorFlowOOM(err.Error()) {
		return err
	}
	var me *MemoryError
	if errors.As(err, &me) {
		return err
	}
	return &MemoryError{Needed: p.Needed, Available: p.Limit, Plan: p, Source: "the memory model's plan", Device: p.Device, During: during, cause: err}
}

// tensorFlowOOM reports whether msg is one of TensorFlow's out-of-memory
// messages. The C API gives the status code only through TF_GetCode, which
// graft keeps unexported, so the messages of its allocators are matched.
func tensorFlowOOM(msg string) bool {
	return containsAny(msg, "OOM when allocating", "Out of memory while trying to allocate", "failed to allocate memory", "ResourceExhausted", "RESOURCE_EXHAUSTED")
}

// containsAny reports whether msg contains any of subs.
func containsAny(msg string, subs ...string) bool {
	return slices.ContainsFunc(subs, func(sub string) bool { return strings.Contains(msg, sub) })
}

// MemoryPlan is how a transfer at one size evaluates the loss and how much
// memory it is predicted to need: the choice the memory model made
// against the limit (see WithMemoryLimit), reported in Result.Plans.
type MemoryPlan struct {
	// Width and Height are the output size in pixels.
	Width, Height int
	// Tiled reports tiled evaluation; Tile and Halo are then the interior
	// side and the halo in pixels, and Tiles their number.
	Tiled      bool
	Tile, Halo int
	Tiles      int
	SinglePass bool
	// Store is the L-BFGS history (0 with Adam). StoreReduced reports that
	// the model lowered it from optim.DefaultStore to fit the limit.
	Store        int
	StoreReduced bool

	// Device is the memory the plan is budgeted against: "" for the
	// host's (the network runs on the CPU), else the GPU the network runs
	// on, such as "/device:GPU:0".
	Device string
	// Needed is the predicted peak of that memory in bytes, the sum of
	// the parts below: the process's resident memory on the CPU, the
	// memory TensorFlow allocates on a GPU. Limit is the limit it was
	// planned against (0: none).
	Needed, Limit int64
	// Host is the predicted peak resident memory of the process, in
	// bytes (Needed on the CPU); on a GPU it is checked against the
	// host's available memory, HostLimit (0: not checked).
	Host, HostLimit int64
	// The parts of Needed. On the CPU: Baseline is the TensorFlow runtime
	// and the Go runtime; Weights the network's weights (held in Go and in
	// the session); Activations the network's activations and
	// TensorFlow's working space at the peak of one evaluation (of the
	// whole image or of the largest tile); Optimizer the optimizer's
	// state; Images the image-sized buffers (images, masks, targets, the
	// gradient). On a GPU the same parts as they lie on the device:
	// Baseline is the CUDA libraries' workspaces, Weights the session's
	// copy, Optimizer the state of the optimizer in the graph (zero for a
	// tiled run, whose optimizer runs on the host), Images the session's
	// image-sized tensors.
	Baseline, Weights, Activations, Optimizer, Images int64
}

// mode describes the plan in a few words.
func (p MemoryPlan) mode() string {
	opt := "Adam"
	if p.Store > 0 {
		opt = fmt.Sprintf("L-BFGS store %d", p.Store)
	}
	if p.Tiled {
		return fmt.Sprintf("tiled (%d tiles of %d px, halo %d) with %s", p.Tiles, p.Tile, p.Halo, opt)
	}
	return "untiled with " + opt
}

// String summarizes the plan: size, mode and predicted memory.
func (p MemoryPlan) String() string {
	s := fmt.Sprintf("%d×%d px %s: predicted peak %s", p.Width, p.Height, p.mode(), bytesize.Format(p.Needed))
	if p.Limit > 0 {
		s += " of " + bytesize.Format(p.Limit)
	}
	if p.Device != "" {
		s += " on " + p.Device + fmt.Sprintf(", host %s", bytesize.Format(p.Host))
		if p.HostLimit > 0 {
			s += " of " + bytesize.Format(p.HostLimit)
		}
	}
	if p.StoreReduced {
		s += fmt.Sprintf(" (L-BFGS store reduced from %d to fit)", optim.DefaultStore)
	}
	return s
}

// The coefficients of the memory model, measured with the ImageNet VGG16
// (peak RSS of single evaluations at several sizes, fitted by least
// squares; docs/posters.md compares the model with measured runs).
const (
	// baselineBytes is the resident memory of a process that has loaded
	// TensorFlow and opened a session, before any image work.
	baselineBytes = 420 << 20
	// activationFactor is TensorFlow's peak working memory during one
	// forward and backward evaluation, in units of the bytes of all the
	// feature maps of the layers built (conv and relu outputs and
	// poolings, float32): the forward pass keeps the relu outputs for the
	// backward pass, and the backward pass holds gradients of a few layers
	// at a time.
	activationFactor = 1.25
	// forwardFactor is the same for a forward pass alone (the targets).
	forwardFactor = 0.5
	// tiledFactor is activationFactor for tiled evaluation, whose runs
	// keep more of a tile alive at once (single-pass fetches the Gram
	// matrices and the gradient in one run). Measured at 512 and 768 px
	// with 256 px tiles: 1.49 and 1.73 (single-pass) times the activations,
	// with the slack below.
	tiledFactor = 1.4
	// tiledOverhead is what a tiled session holds beyond the untiled one
	// whatever the tile: two executors (one per pass) and oneDNN's
	// primitives for every tile shape. A 100-iteration run at 256 px
	// with 96 px tiles peaked 0.05 GiB above the model without it.
	tiledOverhead = 96 << 20
	// gcSlack is the memory of dropped tensors that wait for the garbage
	// collector: tfutil.Released collects after every 128 MiB. A 100
	// iteration run at 256 px peaked 0.19 GiB above a 3 iteration one.
	gcSlack = 128 << 20
	// minTile is the smallest tile interior the planner chooses; below it
	// the halo costs more than the tile.
	minTile = 128
	// minStore is the smallest L-BFGS history the planner falls back to.
	minStore = 3
	// gpuWorkspaceBytes is what TensorFlow holds on a GPU beyond the
	// tensors the model counts: cuDNN's and cuBLAS's workspaces and the
	// BFC allocator's rounding. An estimate, not a measurement (this
	// project's CI has no GPU; docs/gpu.md).
	gpuWorkspaceBytes = 1 << 30
	// cudaHostBytes is what the CUDA build adds to the host's resident
	// memory: the driver, the context, and the CUDA libraries' code. An
	// estimate, not a measurement (docs/gpu.md).
	cudaHostBytes = 1536 << 20
)

// activationBytes is the size of every feature map of the layers built
// (up to and including deepest) for an h × w input, in float32.
func activationBytes(m *vgg.Model, deepest string, h, w int) int64 {
	var total int64
	for _, name := range m.LayerNames() {
		lh, lw, c, err := m.LayerShape(name, h, w)
		if err != nil {
			return 0
		}
		total += 4 * int64(lh) * int64(lw) * int64(c)
		if name == deepest {
			break
		}
	}
	return total
}

// layerBytes is the size of one layer's feature map for an h × w input.
func layerBytes(m *vgg.Model, name string, h, w int) int64 {
	lh, lw, c, err := m.LayerShape(name, h, w)
	if err != nil {
		return 0
	}
	return 4 * int64(lh) * int64(lw) * int64(c)
}

// weightBytes is the size of the convolutions' weights up to deepest,
// from the layers' channel counts (m.Conv would copy the weights).
func weightBytes(m *vgg.Model, deepest string) int64 {
	var total int64
	cin := 3
	for _, name := range m.LayerNames() {
		_, _, c, err := m.LayerShape(name, 1, 1)
		if err != nil {
			return 0
		}
		if strings.HasPrefix(name, "conv") {
			total += 4 * int64(9*cin*c+c)
		}
		cin = c
		if name == deepest {
			break
		}
	}
	return total
}

// shape is the size of a transfer: the output and the style images, in
// pixels, and the number of masked style images.
type shape struct {
	w, h   int
	styles [][2]int // w, h of each style image as the network sees it
	masked int
}

// shapeOf is the shape of a transfer with cfg at the longest side size,
// computed from the images' bounds without resizing anything.
func shapeOf(cfg *config, content image2D, styles []image2D, size int) shape {
	s := shape{}
	s.w, s.h = imageio.FitSize(content.w, content.h, size)
	side := int(math.Round(float64(max(s.w, s.h)) * cfg.styleScale))
	for _, st := range styles {
		w, h := imageio.FitSize(st.w, st.h, side)
		s.styles = append(s.styles, [2]int{w, h})
	}
	for _, m := range cfg.masks {
		if m != nil {
			s.masked++
		}
	}
	return s
}

// image2D is an image's size.
type image2D struct{ w, h int }

// deepestLayer is the deepest content or style layer of cfg.
func deepestLayer(arch vgg.Arch, cfg *config) string {
	deepest := ""
	for _, name := range arch.LayerNames() {
		if _, ok := cfg.contentLayers[name]; ok {
			deepest = name
		}
		if _, ok := cfg.styleLayers[name]; ok {
			deepest = name
		}
	}
	return deepest
}

// estimateOn predicts the peak memory of a transfer of shape s with the
// given evaluation (t nil: untiled) and L-BFGS store, for the network on
// device: "" for the CPU (the process's resident memory), else a GPU's
// name, where the plan counts what lies on the GPU and Host the process's
// resident memory.
func estimateOn(m *vgg.Model, cfg *config, s shape, t *Tiling, store int, device string) MemoryPlan {
	deepest := deepestLayer(m.Arch(), cfg)
	px := int64(s.w) * int64(s.h)
	n := 3 * px
	p := MemoryPlan{Width: s.w, Height: s.h, Device: device}
	if cfg.optimizer.exactGradient() {
		p.Store = store
	}
	weights := weightBytes(m, deepest)
	onDevice := t == nil && optimizerOnDevice(cfg)
	optimizer := cfg.optimizer.stateBytes(n, store, cfg.averaging > 0, onDevice)

	// Image-sized buffers in Go: the resized content (RGBA) and its tensor,
	// the starting point, the output image, the resized style images.
	goImages := px * (4 + 12 + 12 + 4)
	for _, st := range s.styles {
		goImages += 4 * int64(st[0]) * int64(st[1])
	}
	goImages += int64(s.masked) * px * (4 + 4) // the mask values and their tensor
	var content int64
	for name := range cfg.contentLayers {
		content += layerBytes(m, name, s.h, s.w)
	}
	var styleFwd int64
	for _, st := range s.styles {
		styleFwd = max(styleFwd, int64(forwardFactor*float64(activationBytes(m, deepest, st[1], st[0]))))
	}
	var session int64 // image-sized tensors of the session
	if t == nil {
		// The session holds the content targets and the masks as
		// variables, and each evaluation's input and gradient tensors
		// and the clamped input.
		session = content + int64(s.masked)*px*4 + 3*12*px
		p.Activations = max(int64(activationFactor*float64(activationBytes(m, deepest, s.h, s.w))), styleFwd)
	} else {
		p.Tiled, p.Tile, p.Halo, p.SinglePass = true, t.Tile, t.Halo, t.SinglePass
		align, _ := alignment(m.Arch(), deepest)
		nx, tw := tileSpan(s.w, t.Tile, t.Halo, align)
		ny, th := tileSpan(s.h, t.Tile, t.Halo, align)
		p.Tiles = nx * ny
		// The content targets and the masks at every style layer, held per
		// tile; the gradient being assembled (in Go).
		session = content
		goImages += 12 * px
		for range s.masked {
			for name := range cfg.styleLayers {
				lh, lw, _, _ := m.LayerShape(name, s.h, s.w)
				session += 4 * int64(lh) * int64(lw)
			}
		}
		tilePx := int64(tw) * int64(th)
		// The style targets are computed tile by tile too.
		p.Activations = int64(tiledFactor*float64(activationBytes(m, deepest, th, tw))) + 3*12*tilePx + tiledOverhead
	}
	if device == "" {
		p.Baseline = baselineBytes
		p.Weights = 3 * weights // the Go model, the session's variables, the feeds of Init
		p.Optimizer = optimizer
		p.Images = goImages + session + gcSlack
		p.Needed = p.Baseline + p.Weights + p.Optimizer + p.Images + p.Activations
		p.Host = p.Needed
		return p
	}
	p.Baseline = gpuWorkspaceBytes
	p.Weights = weights
	p.Images = session
	p.Host = baselineBytes + cudaHostBytes + 2*weights + goImages + gcSlack
	if onDevice {
		p.Optimizer = optimizer
	} else {
		p.Host += optimizer
	}
	p.Needed = p.Baseline + p.Weights + p.Optimizer + p.Images + p.Activations
	return p
}

// budget is the memory a transfer is planned against.
type budget struct {
	// device is "" when the network runs on the CPU, else the GPU's name.
	device string
	// limit is the memory of that device the transfer may use, in bytes
	// (0: no limit); source says where it comes from.
	limit  int64
	source string
	// host is, on a GPU, the host memory the process may use (0: not
	// checked); hostSource says where it comes from.
	host       int64
	hostSource string
}

// plan is planWithin on the CPU with a limit of limit bytes from source.
func plan(m *vgg.Model, cfg *config, s shape, limit int64, source string) (MemoryPlan, error) {
	return planWithin(m, cfg, s, budget{limit: limit, source: source})
}

// planWithin chooses how to evaluate a transfer of shape s within budget b:
// untiled if it fits, else tiled with the largest tile that fits; only if
// neither fits with the default L-BFGS store, a smaller store. cfg's
// tiling option, if any, is followed instead of the choice. It returns a
// *MemoryError when nothing fits, naming the memory that is short.
func planWithin(m *vgg.Model, cfg *config, s shape, b budget) (MemoryPlan, error) {
	untileable := untileable(cfg)
	if untileable != "" && cfg.tiling != nil {
		return MemoryPlan{}, invalid("WithTiling", fmt.Sprintf("%+v", *cfg.tiling), "tiled evaluation does not support "+untileable+" yet")
	}
	if untileable != "" && !cfg.untiled {
		c := *cfg
		c.untiled = true
		p, err := planWithin(m, &c, s, b)
		var me *MemoryError
		if errors.As(err, &me) {
			me.Note = "tiled evaluation does not support " + untileable + " yet"
		}
		return p, err
	}
	deepest := deepestLayer(m.Arch(), cfg)
	align, _ := alignment(m.Arch(), deepest)
	halo, _ := DefaultHalo(m.Arch(), deepest)
	stores := cfg.optimizer.stores()
	limit := b.limit
	fits := func(p MemoryPlan) bool {
		return (limit <= 0 || p.Needed <= limit) && (b.host <= 0 || p.Host <= b.host)
	}
	var cheapest *MemoryPlan
	keep := func(p MemoryPlan) {
		if cheapest == nil || p.Needed < cheapest.Needed {
			cheapest = &p
		}
	}
	for _, store := range stores {
		var p MemoryPlan
		switch {
		case cfg.tiling == nil && cfg.untiled:
			p = estimateOn(m, cfg, s, nil, store, b.device)
			keep(p)
			if fits(p) {
				return reduced(p, store), nil
			}
			continue
		case cfg.tiling != nil:
			t := *cfg.tiling
			if t.Halo == 0 {
				t.Halo = halo
			} else if t.Halo < 0 {
				t.Halo = 0
			}
			t.Halo = roundUp(t.Halo, align)
			if t.Tile > 0 {
				t.Tile = max(roundUp(t.Tile, align), align)
				p = estimateOn(m, cfg, s, &t, store, b.device)
				keep(p)
				if fits(p) {
					return reduced(p, store), nil
				}
				continue
			}
			if p, ok := largestTile(m, cfg, s, t, align, store, b.device, fits, keep); ok {
				return reduced(p, store), nil
			}
			continue
		}
		// Automatic.
		if p = estimateOn(m, cfg, s, nil, store, b.device); fits(p) {
			return reduced(p, store), nil
		}
		keep(p)
		if p, ok := largestTile(m, cfg, s, Tiling{Halo: halo}, align, store, b.device, fits, keep); ok {
			return reduced(p, store), nil
		}
	}
	c := *cheapest
	c.Limit, c.HostLimit = limit, b.host
	if b.device != "" && (limit <= 0 || c.Needed <= limit) {
		// The GPU has room; the host has not.
		return c, &MemoryError{Needed: c.Host, Available: b.host, Plan: c, Source: b.hostSource}
	}
	return c, &MemoryError{Needed: c.Needed, Available: limit, Plan: c, Source: b.source, Device: b.device}
}

// untileable names the options that tiled evaluation cannot serve yet, or
// returns "": the W2 style loss (its statistics are a mean, a covariance
// and its square root rather than a sum over positions; tiling them needs
// the global mean first) and caller-built terms (WithTerms), whose graphs
// see the whole image.
func untileable(cfg *config) string {
	var opts []string
	if cfg.styleLoss == loss.W2 {
		opts = append(opts, "WithStyleLoss(loss.W2)")
	}
	if len(cfg.terms) > 0 {
		opts = append(opts, "WithTerms")
	}
	return strings.Join(opts, " or ")
}

// reduced marks a plan whose store is below the default.
func reduced(p MemoryPlan, store int) MemoryPlan {
	p.StoreReduced = store > 0 && store < optim.DefaultStore
	return p
}

// largestTile finds the largest tile interior (a multiple of align, at
// least minTile) whose plan on device (estimateOn) fits: for k = 2, 3, …
// tiles along the longest side, the largest tile that gives k.
func largestTile(m *vgg.Model, cfg *config, s shape, t Tiling, align, store int, device string, fits func(MemoryPlan) bool, keep func(MemoryPlan)) (MemoryPlan, bool) {
	long := max(s.w, s.h)
	var last MemoryPlan
	for k := 2; ; k++ {
		tile := roundUp((long+k-1)/k, align)
		if tile < minTile {
			break
		}
		t.Tile = tile
		last = estimateOn(m, cfg, s, &t, store, device)
		if fits(last) {
			return last, true
		}
	}
	if last.Width == 0 {
		t.Tile = max(roundUp(minTile, align), align)
		last = estimateOn(m, cfg, s, &t, store, device)
		if fits(last) {
			return last, true
		}
	}
	keep(last)
	return MemoryPlan{}, false
}

// availableShare is the part of the kernel's MemAvailable that a transfer
// plans to use by default. The rest is left to the machine (page cache,
// other processes) and to the model's error: at 4096×2728 with L-BFGS the
// plan that filled all of MemAvailable (23.2 GiB: 4 tiles of 2048 px,
// predicted 21.1 GiB) peaked at 19.5 GiB; with this share the planner takes
// 6 tiles of 1376 px, about 3 % slower.
const availableShare = 0.85

// defaultLimitSource names the default limit in plans and errors.
var defaultLimitSource = fmt.Sprintf("%.0f%% of MemAvailable", 100*availableShare)

// availableMemory is the memory the process may use by default: its own
// resident memory plus availableShare of the kernel's MemAvailable
// estimate (Linux; /proc/meminfo). 0 where that cannot be read: no limit.
func availableMemory() int64 {
	avail := procField("/proc/meminfo", "MemAvailable:")
	if avail <= 0 {
		return 0
	}
	return int64(availableShare*float64(avail)) + max(procField("/proc/self/status", "VmRSS:"), 0)
}

// procField reads a "Name:  123 kB" line of a /proc file, in bytes; -1 if
// absent.
func procField(path, field string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

// WithMemoryLimit sets the memory the transfer may use, in bytes: the peak
// that the memory model predicts must stay under it. On the CPU that is
// the process's resident memory; on a GPU it is the GPU's memory, and the
// host's resident memory is checked separately against what the machine
// has available. The model chooses untiled or tiled evaluation and the
// tile size by itself (unless WithTiling or WithoutTiling says), lowers the
// L-BFGS history when that is what makes the run fit (Result.Plans reports
// it), and a transfer that cannot fit even then fails before any large
// allocation with a *MemoryError (matching ErrMemory) naming the memory
// (the GPU's or the host's) needed and available. A run in which
// TensorFlow itself runs out of memory fails with a *MemoryError too
// (MemoryError.During says when). Default: on the CPU, what the machine
// has available, the process's resident memory plus 85 % of MemAvailable
// of /proc/meminfo, read when the transfer starts (no limit where
// /proc/meminfo does not exist); on a GPU, the memory TensorFlow reports
// for it (tfruntime.Device.MemoryBytes).
func WithMemoryLimit(bytes int64) Option {
	return optionFunc(func(c *config) error {
		if bytes <= 0 {
			return invalid("WithMemoryLimit", bytes, "want a positive number of bytes")
		}
		c.memoryLimit = bytes
		return nil
	})
}
