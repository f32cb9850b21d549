package style

import (
	"fmt"
	"maps"
	"slices"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/loss"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// tiledEngine evaluates the loss tile by tile (see Tiling). Its graph has
// one copy of the network on a placeholder of any size, fed one tile at a
// time; every crop of a tile's interior is fed as begin and size vectors.
// The global quantities (the Gram matrices summed over the tiles, the
// style residuals, the loss) are kept in Go, in float64 (tiled_eval.go),
// and the optimizer runs on the host (package optim).
type tiledEngine struct {
	*graphSession
	model  *vgg.Model
	tiling Tiling // resolved: Tile and Halo multiples of align
	align  int

	input   tf.Output // [1, ?, ?, 3]
	layers  []*tileLayer
	content []*tileContent
	styles  []*tileStyleLayer // one per style layer, network order
	groups  []*styleGroup
	tv      tileTV
	grad    tf.Output
	weights [3]float64
	blend   []float64 // normalized weight of each style image

	// Set by targets.
	tiles     []tileRect
	feeds     []map[tf.Output]*tf.Tensor // per tile: crops, masks, content targets
	targetsOf [][][]float64              // [image][style layer] mean Gram, ch×ch
	areas     [][]float64                // [image][style layer] the masked area Σm² (M unmasked)
	lastD     [][]float32                // SinglePass: the last evaluation's residuals D, per group
	prevD     [][]float32                // SinglePass: the residuals of the evaluation before it
	missed    float64                    // SinglePass: how far the last prediction of D missed (relative L2; +Inf: none made)
	exact     int                        // SinglePass: evaluations that made both passes since the targets were set
	buf       []float32
}

// tileLayer is one layer used by a loss term, cropped to a tile's interior.
type tileLayer struct {
	name        string
	f           int // downsampling factor
	lh, lw, ch  int // the whole image's layer size
	begin, size tf.Output
	interior    tf.Output // [1, sy, sx, ch]
	flat        tf.Output // [sy·sx, ch]
}

// tileContent is one content layer: the tile's part of Σ(F − P)², with P
// fed per tile.
type tileContent struct {
	layer  *tileLayer
	target tf.Output
	sum    tf.Output
	factor float64 // α · layer weight / L · K
}

// tileStyleLayer is one style layer: the tile's unmasked Gram FᵀF, used for
// the style targets and by the unmasked group.
type tileStyleLayer struct {
	layer  *tileLayer
	weight float64 // normalized layer weight / L
	gram   tf.Output
}

// styleGroup is the features of one style layer as one set of style
// images sees them (unmasked, or masked by one image's mask): the tile's
// Gram of them, and the surrogate whose gradient is the style gradient
// given the fed residual D = ∂E/∂G of the global Gram.
type styleGroup struct {
	layer  int   // index in styles
	images []int // style images
	mask   tf.Output
	gram   tf.Output
	d      tf.Output // [ch, ch]
	term   tf.Output
}

// tileTV is the total variation of the pixel pairs whose first pixel lies
// in a tile's interior.
type tileTV struct {
	dyBegin, dySize, dxBegin, dxSize tf.Output
	sum                              tf.Output
}

// newTiledEngine builds the tiled graph for key and opens a session.
func newTiledEngine(m *vgg.Model, key graphKey, c *config, t Tiling) (e *tiledEngine, err error) {
	if u := untileable(c); u != "" {
		return nil, invalid("WithTiling", fmt.Sprintf("%+v", t), "tiled evaluation does not support "+u+" yet")
	}
	g := tf.NewGraph()
	s := op.NewScopeWithGraph(g)
	e = &tiledEngine{model: m, tiling: t, weights: key.weights}
	for i := 0; i < key.styles; i++ {
		e.blend = append(e.blend, c.blend(i))
	}
	deepest := deepestLayer(m.Arch(), c)
	if e.align, err = alignment(m.Arch(), deepest); err != nil {
		return nil, err
	}

	e.input = op.Placeholder(s.SubScope("image"), tf.Float, op.PlaceholderShape(tf.MakeShape(1, -1, -1, 3)))
	seen := e.input
	if key.clampPixels {
		seen = clampPixels(s.SubScope("clamp"), e.input, m.MeanPixel())
	}
	all := append(slices.Collect(maps.Keys(c.contentLayers)), slices.Collect(maps.Keys(c.styleLayers))...)
	net, err := m.Build(s.SubScope("vgg"), seen, vgg.BuildOptions{Pooling: key.pooling, Layers: all, Compute: key.compute})
	if err != nil {
		return nil, fmt.Errorf("style: building the network: %w", err)
	}

	byName := map[string]*tileLayer{}
	half := newHalfGradient(key.compute) // float16's gradient scaling
	layer := func(name string) (*tileLayer, error) {
		if l := byName[name]; l != nil {
			return l, nil
		}
		out, err := net.Layer(name)
		if err != nil {
			return nil, err
		}
		lh, lw, ch, err := m.LayerShape(name, key.h, key.w)
		if err != nil {
			return nil, err
		}
		ls := s.SubScope("crop_" + name)
		out = half.use(ls, out)
		l := &tileLayer{name: name, f: layerFactor(m.Arch(), name), lh: lh, lw: lw, ch: ch}
		l.begin = op.Placeholder(ls.SubScope("begin"), tf.Int32, op.PlaceholderShape(tf.MakeShape(4)))
		l.size = op.Placeholder(ls.SubScope("size"), tf.Int32, op.PlaceholderShape(tf.MakeShape(4)))
		l.interior = op.Slice(ls, out, l.begin, l.size)
		l.flat = op.Reshape(ls.SubScope("flat"), l.interior, op.Const(ls.SubScope("shape"), []int64{-1, int64(ch)}))
		byName[name] = l
		e.layers = append(e.layers, l)
		return l, nil
	}

	var terms []tf.Output
	scaled := func(s *op.Scope, x tf.Output, k float64) tf.Output {
		return op.Mul(s, x, op.Const(s.SubScope("k"), float32(k)))
	}

	contentNames := orderedLayers(m.Arch(), c.contentLayers)
	cw := normalized(c.contentLayers, contentNames)
	for i, name := range contentNames {
		l, err := layer(name)
		if err != nil {
			return nil, fmt.Errorf("style: content layer %q: %w", name, err)
		}
		cs := s.SubScope("content_" + name)
		tc := &tileContent{layer: l}
		tc.target = op.Placeholder(cs.SubScope("target"), tf.Float, op.PlaceholderShape(tf.MakeShape(1, -1, -1, int64(l.ch))))
		diff := op.Sub(cs, l.interior, tc.target)
		tc.sum = op.Sum(cs.SubScope("sum"), op.Square(cs.SubScope("sq"), diff), op.Const(cs.SubScope("axes"), []int32{0, 1, 2, 3}))
		tc.factor = key.weights[0] * cw[i] / float64(len(contentNames)) * key.contentNorm.Factor(int64(l.ch), int64(l.lh)*int64(l.lw))
		if tc.factor != 0 {
			terms = append(terms, scaled(cs.SubScope("weighted"), tc.sum, tc.factor))
		}
		e.content = append(e.content, tc)
	}

	styleNames := orderedLayers(m.Arch(), c.styleLayers)
	sw := normalized(c.styleLayers, styleNames)
	for i, name := range styleNames {
		l, err := layer(name)
		if err != nil {
			return nil, fmt.Errorf("style: style layer %q: %w", name, err)
		}
		ss := s.SubScope("gram_" + name)
		e.styles = append(e.styles, &tileStyleLayer{
			layer: l, weight: sw[i] / float64(len(styleNames)),
			gram: op.MatMul(ss, l.flat, l.flat, op.MatMulTransposeA(true)),
		})
	}
	// Groups: with masks every image has its own (as the untiled graph,
	// which masks every image once one has a mask); without, one per layer.
	var sets [][]int
	if key.masked {
		for i := 0; i < key.styles; i++ {
			sets = append(sets, []int{i})
		}
	} else {
		set := make([]int, key.styles)
		for i := range set {
			set[i] = i
		}
		sets = [][]int{set}
	}
	for li, sl := range e.styles {
		if sl.weight == 0 {
			continue
		}
		for _, set := range sets {
			gs := s.SubScope(fmt.Sprintf("group_%s_%d", sl.layer.name, set[0]))
			grp := &styleGroup{layer: li, images: set, gram: sl.gram}
			f := sl.layer.flat
			if key.masked {
				grp.mask = op.Placeholder(gs.SubScope("mask"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, 1)))
				f = op.Mul(gs.SubScope("masked"), f, grp.mask)
				grp.gram = op.MatMul(gs.SubScope("gram"), f, f, op.MatMulTransposeA(true))
			}
			ch := int64(sl.layer.ch)
			grp.d = op.Placeholder(gs.SubScope("d"), tf.Float, op.PlaceholderShape(tf.MakeShape(ch, ch)))
			// ∂⟨D, FᵀF⟩/∂F = 2·F·D for a symmetric D.
			fd := op.StopGradient(gs.SubScope("stop"), op.MatMul(gs.SubScope("fd"), f, grp.d))
			sum := op.Sum(gs.SubScope("sum"), op.Mul(gs.SubScope("mul"), f, fd), op.Const(gs.SubScope("axes"), []int32{0, 1}))
			grp.term = scaled(gs.SubScope("twice"), sum, 2)
			terms = append(terms, grp.term)
			e.groups = append(e.groups, grp)
		}
	}

	// Total variation of the pairs that start in the interior.
	ts := s.SubScope("tv")
	pair := func(name string, next []int32) (begin, size, d tf.Output) {
		ps := ts.SubScope(name)
		begin = op.Placeholder(ps.SubScope("begin"), tf.Int32, op.PlaceholderShape(tf.MakeShape(4)))
		size = op.Placeholder(ps.SubScope("size"), tf.Int32, op.PlaceholderShape(tf.MakeShape(4)))
		a := op.Slice(ps.SubScope("a"), seen, op.Add(ps.SubScope("next"), begin, op.Const(ps.SubScope("step"), next)), size)
		b := op.Slice(ps.SubScope("b"), seen, begin, size)
		d = op.Sub(ps, a, b)
		if key.tvKind == loss.TVSquared {
			d = op.Square(ps.SubScope("pen"), d)
		} else {
			d = op.Abs(ps.SubScope("pen"), d)
		}
		return begin, size, op.Sum(ps.SubScope("sum"), d, op.Const(ps.SubScope("axes"), []int32{0, 1, 2, 3}))
	}
	var dy, dx tf.Output
	e.tv.dyBegin, e.tv.dySize, dy = pair("dy", []int32{0, 1, 0, 0})
	e.tv.dxBegin, e.tv.dxSize, dx = pair("dx", []int32{0, 0, 1, 0})
	e.tv.sum = op.Add(ts, dy, dx)
	if key.weights[2] != 0 {
		terms = append(terms, scaled(ts.SubScope("weighted"), e.tv.sum, key.weights[2]))
	}
	if len(terms) == 0 {
		return nil, invalid("WithContentWeight, WithStyleWeight, WithTVWeight", "0, 0, 0", "every loss weight is zero")
	}
	surrogate := terms[0]
	if len(terms) > 1 {
		surrogate = op.AddN(s.SubScope("surrogate"), terms)
	}
	e.grad = half.gradient(s.SubScope("gradients"), surrogate, e.input)
	if _, err := s.Finalize(); err != nil {
		return nil, fmt.Errorf("style: building the tiled graph: %w", err)
	}
	if e.graphSession, err = openGraphSession(g, key, net); err != nil {
		return nil, err
	}
	return e, nil
}

// normalized returns the weights of names in layers, divided by their sum.
func normalized(layers map[string]float64, names []string) []float64 {
	out := make([]float64, len(names))
	sum := 0.0
	for _, n := range names {
		sum += layers[n]
	}
	for i, n := range names {
		out[i] = layers[n] / sum
	}
	return out
}
