package style

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
	"github.com/neuralstyle/neuralstyle/loss"
	"github.com/neuralstyle/neuralstyle/optim/ingraph"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// graphKey is everything a built graph depends on. Two transfers with equal
// keys share one graph and session; the images themselves (content, style,
// masks) are not part of it: they only change the targets held in the graph.
type graphKey struct {
	h, w          int
	styles        int
	masked        bool
	contentLayers string // canonical "name=weight,…" in network order
	styleLayers   string
	contentNorm   loss.ContentNorm
	gramNorm      loss.GramNorm
	styleLoss     loss.StyleLoss
	tvKind        loss.TVKind
	weights       [3]float64 // content, style, TV
	blend         string
	pooling       vgg.Pooling
	device        string
	intra, inter  int
	precision     Precision
	compute       tf.DataType // the network's arithmetic, Precision.compute
	xla           bool        // WithXLA
	clampPixels   bool
	terms         string // termsKey of WithTerms
	tiling        Tiling // Tile 0: untiled

	// The optimizer in the graph (onDevice), see optimizerOnDevice; zero
	// on the host path, where the graph does not depend on it.
	onDevice  bool
	optimizer Optimizer
	store     int
	averaging float64
}

// newGraphKey is the key of the graph that serves cfg's loss for an output of
// w×h pixels with the given number of style images.
func newGraphKey(cfg *config, arch vgg.Arch, h, w, styles int, masked bool) graphKey {
	return graphKey{
		h: h, w: w, styles: styles, masked: masked,
		contentLayers: layerKey(arch, cfg.contentLayers),
		styleLayers:   layerKey(arch, cfg.styleLayers),
		contentNorm:   cfg.contentNorm, gramNorm: cfg.gramNorm, styleLoss: cfg.styleLoss, tvKind: cfg.tvKind,
		weights: [3]float64{cfg.contentWeight, cfg.styleWeight, cfg.tvWeight},
		blend:   fmt.Sprint(cfg.blendWeights),
		pooling: cfg.pooling, device: cfg.device, intra: cfg.intraThreads, inter: cfg.interThreads,
		precision: cfg.precision, compute: cfg.precision.compute(cfg.onGPU), xla: cfg.xla, clampPixels: cfg.clampPixels,
		terms: termsKey(cfg.terms),
	}
}

func layerKey(arch vgg.Arch, layers map[string]float64) string {
	var b strings.Builder
	for _, name := range arch.LayerNames() {
		if w, ok := layers[name]; ok {
			fmt.Fprintf(&b, "%s=%g,", name, w)
		}
	}
	return b.String()
}

// engine is the untiled evaluation: one graph, run by its graphSession,
// that evaluates the loss and its gradient for images of one size and,
// when key.onDevice, holds the optimizer (package optim/ingraph).
//
// The graph has a single copy of the network, on a placeholder of shape
// [1, ?, ?, 3], so that it serves three purposes: fed the content image it
// computes the content targets, fed a style image (of any size) it computes
// that image's Gram matrices, and fed the image being optimized it computes
// the loss and the gradient. The targets are written into resource variables
// by assign ops, inside TensorFlow, once per transfer; they never travel
// through Go and are never recomputed per iteration; so are the masks and
// the WithTerms inputs, fed once per transfer. A single copy of the
// network also means a single copy of its 80 MB of weights in the graph.
type engine struct {
	*graphSession

	input tf.Output // [1, ?, ?, 3] mean-subtracted RGB

	setContent *tf.Operation   // run with input = content image
	setStyle   []*tf.Operation // one per style image, run with input = that image
	maskFeed   []tf.Output     // [H, W] placeholders, one per style image
	setMask    *tf.Operation   // run with every maskFeed

	fetches []tf.Output // total, content, style, tv, terms (weighted), gradient
	vars    int         // variables made so far, for unique resource names

	termFeeds []tf.Output   // placeholders of the WithTerms inputs
	setTerms  *tf.Operation // run with every termFeed: stores the inputs in variables

	// opt is the optimizer in the graph (key.onDevice), whose point is
	// input's default: fed, input serves the targets and the host path.
	opt *ingraph.Graph
	// change is the RMS difference, in grey levels, between opt's iterate
	// and a snapshot variable; snapshot (run with change) then copies the
	// iterate into it. The convergence rule's measure (WithConvergence),
	// computed where the image lives: one scalar crosses.
	change   tf.Output
	snapshot *tf.Operation
	// firstSnapshot copies the iterate into the snapshot variable without
	// reading it (a resource variable must be written before it is read).
	firstSnapshot *tf.Operation
}

// variable adds a float32 resource variable to s (see typedVariable).
func (e *engine) variable(s *op.Scope, shape ...int64) tf.Output {
	return e.typedVariable(s, tf.Float, shape...)
}

// typedVariable adds a resource variable of type dt to s. Each gets a
// shared_name of its own: VarHandleOps with an empty shared_name all refer
// to one resource in the session, so that a second variable would
// overwrite the first.
func (e *engine) typedVariable(s *op.Scope, dt tf.DataType, shape ...int64) tf.Output {
	e.vars++
	return op.VarHandleOp(s, dt, tf.MakeShape(shape...), op.VarHandleOpSharedName(fmt.Sprintf("neuralstyle_target_%d", e.vars)))
}

// clampPixels clamps a mean-subtracted RGB image to the range of pixel
// values: channel c to [−mean[c], 255 − mean[c]]. The gradient passes where
// the value is within the range, bounds included (TensorFlow's Maximum and
// Minimum gradients use ≥ and ≤), so pure black and white pixels of the
// starting image still move; beyond the range it is zero.
func clampPixels(s *op.Scope, x tf.Output, mean [3]float32) tf.Output {
	lo := op.Const(s.SubScope("lo"), []float32{-mean[0], -mean[1], -mean[2]})
	hi := op.Const(s.SubScope("hi"), []float32{255 - mean[0], 255 - mean[1], 255 - mean[2]})
	return op.Minimum(s.SubScope("min"), op.Maximum(s.SubScope("max"), x, lo), hi)
}

// evaluation is the loss at one point, split in its weighted terms.
type evaluation struct {
	total, content, style, tv, terms float64
}

// newEngine builds the graph for key and opens a session on it.
func newEngine(m *vgg.Model, key graphKey, c *config) (e *engine, err error) {
	g := tf.NewGraph()
	s := op.NewScopeWithGraph(g)
	e = &engine{}

	if key.onDevice {
		shape := []int64{1, int64(key.h), int64(key.w), 3}
		os := s.SubScope("optimizer")
		if e.opt, err = key.optimizer.inGraph(os, shape, key.store); err != nil {
			return nil, fmt.Errorf("style: the optimizer in the graph: %w", err)
		}
		e.input = op.PlaceholderWithDefault(s.SubScope("image"), e.opt.Point(), tf.MakeShape(1, -1, -1, 3))
		e.change, e.snapshot, e.firstSnapshot = e.changeSince(s.SubScope("convergence"), e.opt.Iterate(), shape)
	} else {
		e.input = op.Placeholder(s.SubScope("image"), tf.Float, op.PlaceholderShape(tf.MakeShape(1, -1, -1, 3)))
	}
	seen := e.input // the image as the losses see it
	if key.clampPixels {
		seen = clampPixels(s.SubScope("clamp"), e.input, m.MeanPixel())
	}
	all := append(slices.Collect(maps.Keys(c.contentLayers)), slices.Collect(maps.Keys(c.styleLayers))...)
	net, err := m.Build(s.SubScope("vgg"), seen, vgg.BuildOptions{Pooling: key.pooling, Layers: all, Compute: key.compute})
	if err != nil {
		return nil, fmt.Errorf("style: building the network: %w", err)
	}

	// staticLayer gives a layer the static shape it has at the output size,
	// so that the loss terms know N and M when the graph is built; the
	// losses read it through half (float16's gradient scaling).
	half := newHalfGradient(key.compute)
	staticLayer := func(s *op.Scope, name string) (tf.Output, [3]int, error) {
		out, err := net.Layer(name)
		if err != nil {
			return tf.Output{}, [3]int{}, err
		}
		out = half.use(s, out)
		h, w, ch, err := m.LayerShape(name, key.h, key.w)
		if err != nil {
			return tf.Output{}, [3]int{}, err
		}
		shape := op.Const(s.SubScope("shape"), []int64{1, int64(h), int64(w), int64(ch)})
		return op.Reshape(s, out, shape), [3]int{h, w, ch}, nil
	}

	// Content: one variable per layer, set from the network's output.
	targets := s.SubScope("targets")
	contentNames := orderedLayers(m.Arch(), c.contentLayers)
	content := loss.ContentSpec{Norm: key.contentNorm}
	var setContent []*tf.Operation
	for _, name := range contentNames {
		gen, shape, err := staticLayer(s.SubScope("content_"+name), name)
		if err != nil {
			return nil, fmt.Errorf("style: content layer %q: %w", name, err)
		}
		ts := targets.SubScope("content_" + name)
		v := e.variable(ts, 1, int64(shape[0]), int64(shape[1]), int64(shape[2]))
		out, _ := net.Layer(name)
		setContent = append(setContent, op.AssignVariableOp(ts, v, out))
		content.Features = append(content.Features, gen)
		content.Targets = append(content.Targets, op.ReadVariableOp(ts.SubScope("read"), v, tf.Float))
		content.LayerWeights = append(content.LayerWeights, c.contentLayers[name])
	}

	// Style: per style image and layer a variable holding the style image's
	// target, computed from the dynamic-size network: its [C, C] mean Gram
	// matrix, or for W2 its packed mean, covariance and square root.
	style := loss.StyleSpec{Norm: key.gramNorm, Loss: key.styleLoss}
	styleNames := orderedLayers(m.Arch(), c.styleLayers)
	for _, name := range styleNames {
		gen, _, err := staticLayer(s.SubScope("style_"+name), name)
		if err != nil {
			return nil, fmt.Errorf("style: style layer %q: %w", name, err)
		}
		style.Features = append(style.Features, gen)
		style.LayerWeights = append(style.LayerWeights, c.styleLayers[name])
	}
	var setMasks []*tf.Operation
	for i := 0; i < key.styles; i++ {
		img := loss.StyleImage{Weight: c.blend(i)}
		if key.masked {
			ms := targets.SubScope(fmt.Sprintf("mask_%d", i))
			feed := op.Placeholder(ms, tf.Float, op.PlaceholderShape(tf.MakeShape(int64(key.h), int64(key.w))))
			v := e.variable(ms, int64(key.h), int64(key.w))
			e.maskFeed = append(e.maskFeed, feed)
			setMasks = append(setMasks, op.AssignVariableOp(ms, v, feed))
			img.Mask = op.ReadVariableOp(ms.SubScope("read"), v, tf.Float)
		}
		var sets []*tf.Operation
		for l, name := range styleNames {
			ts := targets.SubScope(fmt.Sprintf("style_%d_%s", i, name))
			out, _ := net.Layer(name)
			ch := int64(style.Features[l].Shape().Size(3))
			v := e.variable(ts, key.styleLoss.TargetShape(ch)...)
			var target tf.Output
			if key.styleLoss == loss.W2 {
				if target, err = loss.W2Target(ts, out); err != nil {
					return nil, fmt.Errorf("style: style layer %q: %w", name, err)
				}
			} else {
				target = dynamicMeanGram(ts.SubScope("gram"), out, ch)
			}
			sets = append(sets, op.AssignVariableOp(ts, v, target))
			img.Targets = append(img.Targets, op.ReadVariableOp(ts.SubScope("read"), v, tf.Float))
		}
		e.setStyle = append(e.setStyle, group(targets.SubScope(fmt.Sprintf("set_style_%d", i)), sets))
		style.Images = append(style.Images, img)
	}
	e.setContent = group(targets.SubScope("set_content"), setContent)
	if key.masked {
		e.setMask = group(targets.SubScope("set_masks"), setMasks)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("style: building the targets: %w", err)
	}

	var terms loss.Terms
	if terms.Content, err = loss.Content(s, content); err != nil {
		return nil, fmt.Errorf("style: %w", err)
	}
	if terms.Style, err = loss.Style(s, style); err != nil {
		return nil, fmt.Errorf("style: %w", err)
	}
	image := op.Reshape(s.SubScope("image_static"), seen,
		op.Const(s.SubScope("image_shape"), []int64{1, int64(key.h), int64(key.w), 3}))
	if terms.TV, err = loss.TotalVariation(s, image, key.tvKind); err != nil {
		return nil, fmt.Errorf("style: %w", err)
	}
	if terms, err = loss.Weighted(s, terms, loss.Weights{Content: key.weights[0], Style: key.weights[1], TV: key.weights[2]}); err != nil {
		return nil, fmt.Errorf("style: %w", err)
	}
	extra, err := e.buildTerms(s, image, c.terms)
	if err != nil {
		return nil, err
	}
	if extra.Op != nil {
		terms.Total = op.Add(s.SubScope("total_with_terms"), terms.Total, extra)
	}
	grad := []tf.Output{half.gradient(s.SubScope("gradients"), terms.Total, e.input)}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("style: building the gradient: %w", err)
	}
	e.fetches = []tf.Output{terms.Total, orZero(s, terms.Content), orZero(s, terms.Style), orZero(s, terms.TV), orZero(s, extra), grad[0]}
	if e.opt != nil {
		report := op.Pack(s.SubScope("report"), e.fetches[1:5])
		if err := e.opt.Finish(s.SubScope("optimizer_step"), terms.Total, grad[0], report, key.averaging); err != nil {
			return nil, fmt.Errorf("style: the optimizer in the graph: %w", err)
		}
	}
	if _, err := s.Finalize(); err != nil {
		return nil, fmt.Errorf("style: building the graph: %w", err)
	}
	if e.graphSession, err = openGraphSession(g, key, net); err != nil {
		return nil, err
	}
	return e, nil
}

// group returns one op that runs all of ops.
func group(s *op.Scope, ops []*tf.Operation) *tf.Operation {
	return op.NoOp(s.WithControlDependencies(ops...))
}

// orderedLayers returns the names in layers in network order.
func orderedLayers(arch vgg.Arch, layers map[string]float64) []string {
	var out []string
	for _, name := range arch.LayerNames() {
		if _, ok := layers[name]; ok {
			out = append(out, name)
		}
	}
	return out
}

// evaluator evaluates the loss of a transfer and its gradient: the untiled
// engine (one pass of the network over the whole image) or the tiled one
// (tiled.go, tiled_eval.go). Both run on a graphSession.
type evaluator interface {
	// targets computes the content and style targets, stores the masks
	// and the WithTerms inputs. content is the content image, NHWC
	// mean-subtracted, h × w; styles the style images; masks one [h·w] map
	// per style image or none; terms the inputs of the WithTerms terms in
	// order.
	targets(content []float32, styles []sizedImage, masks [][]float32, terms []*tf.Tensor, check func() error) error
	// evaluate computes the loss at x and writes its gradient into grad.
	evaluate(x, grad []float32) (evaluation, error)
	close() error
	graphKey() graphKey
	// counter counts the engine's Session.Run calls.
	counter() *traffic
}

// sizedImage is an NHWC mean-subtracted image and its size.
type sizedImage struct {
	x    []float32
	h, w int
}

var (
	_ evaluator = (*engine)(nil)
	_ evaluator = (*tiledEngine)(nil)
)

// targets computes the content and style targets inside the graph and
// stores the masks and the terms' inputs in its variables: after it, an
// iteration feeds nothing image-sized.
func (e *engine) targets(content []float32, styles []sizedImage, masks [][]float32, terms []*tf.Tensor, check func() error) error {
	ct, err := tfutil.Float32Tensor(content, 1, int64(e.key.h), int64(e.key.w), 3)
	if err != nil {
		return err
	}
	if _, err := e.Run(map[tf.Output]*tf.Tensor{e.input: ct}, nil, []*tf.Operation{e.setContent}); err != nil {
		return fmt.Errorf("style: computing the content targets: %w", err)
	}
	for i, s := range styles {
		if err := check(); err != nil {
			return err
		}
		st, err := tfutil.Float32Tensor(s.x, 1, int64(s.h), int64(s.w), 3)
		if err != nil {
			return err
		}
		if _, err := e.Run(map[tf.Output]*tf.Tensor{e.input: st}, nil, []*tf.Operation{e.setStyle[i]}); err != nil {
			return fmt.Errorf("style: computing the targets of style image %d: %w", i+1, err)
		}
	}
	if e.setMask != nil {
		feeds := make(map[tf.Output]*tf.Tensor, len(masks))
		for i, m := range masks {
			mt, err := tfutil.Float32Tensor(m, int64(e.key.h), int64(e.key.w))
			if err != nil {
				return err
			}
			feeds[e.maskFeed[i]] = mt
		}
		if _, err := e.Run(feeds, nil, []*tf.Operation{e.setMask}); err != nil {
			return fmt.Errorf("style: storing the style masks: %w", err)
		}
	}
	if e.setTerms != nil {
		if len(terms) != len(e.termFeeds) {
			return fmt.Errorf("style: %d WithTerms inputs for a graph built with %d", len(terms), len(e.termFeeds))
		}
		feeds := make(map[tf.Output]*tf.Tensor, len(terms))
		for i, t := range terms {
			feeds[e.termFeeds[i]] = t
		}
		if _, err := e.Run(feeds, nil, []*tf.Operation{e.setTerms}); err != nil {
			return fmt.Errorf("style: storing the WithTerms inputs: %w", err)
		}
	}
	return nil
}

// evaluate computes the loss at x (NHWC, mean-subtracted) and writes its
// gradient into grad: the host path.
func (e *engine) evaluate(x, grad []float32) (evaluation, error) {
	in, err := tfutil.Float32Tensor(x, 1, int64(e.key.h), int64(e.key.w), 3)
	if err != nil {
		return evaluation{}, err
	}
	out, err := e.Run(map[tf.Output]*tf.Tensor{e.input: in}, e.fetches, nil)
	if err != nil {
		return evaluation{}, fmt.Errorf("style: evaluating the loss: %w", err)
	}
	var ev evaluation
	for i, dst := range []*float64{&ev.total, &ev.content, &ev.style, &ev.tv, &ev.terms} {
		if *dst, err = tfutil.Scalar(out[i]); err != nil {
			return evaluation{}, err
		}
	}
	if _, err := tfutil.Float32s(grad, out[5]); err != nil {
		return evaluation{}, err
	}
	tfutil.Released(2 * 4 * int64(len(x)))
	return ev, nil
}

// dynamicMeanGram is the mean Gram matrix FᵀF / M of features whose height
// and width are only known when the graph runs (the style images have sizes
// of their own); ch is the static channel count.
func dynamicMeanGram(s *op.Scope, features tf.Output, ch int64) tf.Output {
	flat := op.Reshape(s.SubScope("flat"), features, op.Const(s.SubScope("shape"), []int64{-1, ch}))
	gram := op.MatMul(s, flat, flat, op.MatMulTransposeA(true))
	rows := op.Cast(s.SubScope("area"), op.Size(s.SubScope("size"), flat, op.SizeOutType(tf.Int64)), tf.Float)
	area := op.Div(s.SubScope("per_channel"), rows, op.Const(s.SubScope("ch"), float32(ch)))
	return op.Div(s.SubScope("mean"), gram, area)
}

// orZero returns x, or a float32 zero when the term is absent.
func orZero(s *op.Scope, x tf.Output) tf.Output {
	if x.Op != nil {
		return x
	}
	return op.Const(s.SubScope("zero"), float32(0))
}

// changeSince builds the convergence rule's measure of x (see
// engine.change): a snapshot variable of x's shape, the RMS difference
// between x and it, the op that then stores x in it, and the op that
// stores x alone.
func (e *engine) changeSince(s *op.Scope, x tf.Output, shape []int64) (tf.Output, *tf.Operation, *tf.Operation) {
	v := e.variable(s, shape...)
	d := op.Sub(s.SubScope("diff"), x, op.ReadVariableOp(s.SubScope("read"), v, tf.Float))
	all := op.Const(s.SubScope("axes"), []int32{0, 1, 2, 3})
	rms := op.Sqrt(s.SubScope("rms"), op.Mean(s.SubScope("mean"), op.Square(s.SubScope("square"), d), all))
	store := op.AssignVariableOp(s.SubScope("store").WithControlDependencies(rms.Op), v, x)
	first := op.AssignVariableOp(s.SubScope("first"), v, x)
	return rms, store, first
}

// imageChange returns a function that measures, where the image lives, the
// RMS change of the iterate in grey levels since its previous call and
// then takes a snapshot; its first call only takes the snapshot (NaN).
func (e *engine) imageChange() func() (float64, error) {
	first := true
	return func() (float64, error) {
		if first {
			first = false
			if _, err := e.Run(nil, nil, []*tf.Operation{e.firstSnapshot}); err != nil {
				return 0, fmt.Errorf("style: measuring the image's change: %w", err)
			}
			return math.NaN(), nil
		}
		return e.measureChange()
	}
}

// measureChange runs the convergence measure (engine.change) and takes
// the snapshot.
func (e *engine) measureChange() (float64, error) {
	out, err := e.Run(nil, []tf.Output{e.change}, []*tf.Operation{e.snapshot})
	if err != nil {
		return 0, fmt.Errorf("style: measuring the image's change: %w", err)
	}
	v, ok := out[0].Value().(float32)
	if !ok {
		return 0, fmt.Errorf("style: measuring the image's change: fetched %T, want float32", out[0].Value())
	}
	return float64(v), nil
}

// readIterate fetches the optimizer's current iterate.
func (e *engine) readIterate(o tf.Output) (x []float32, err error) {
	err = e.counted.aside(func() error {
		out, err := e.Run(nil, []tf.Output{o}, nil)
		if err != nil {
			return fmt.Errorf("style: reading the image: %w", err)
		}
		x, err = tfutil.Float32s(nil, out[0])
		return err
	})
	return x, err
}
