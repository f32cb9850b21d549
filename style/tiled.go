package style

import (
	"fmt"
	"maps"
	"math"
	"slices"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
	"github.com/neuralstyle/neuralstyle/loss"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// evaluator evaluates the loss of a transfer and its gradient: the untiled
// engine (one pass of the network over the whole image) or the tiled one.
type evaluator interface {
	// targets computes the content and style targets and stores the masks.
	// content is the content image, NHWC mean-subtracted, h × w; styles
	// the style images; masks one [h·w] map per style image or none.
	targets(content []float32, styles []sizedImage, masks [][]float32, check func() error) error
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

func (e *engine) graphKey() graphKey { return e.key }

func (e *engine) targets(content []float32, styles []sizedImage, masks [][]float32, check func() error) error {
	ct, err := tfutil.Float32Tensor(content, 1, int64(e.key.h), int64(e.key.w), 3)
	if err != nil {
		return err
	}
	var sts, mts []*tf.Tensor
	for _, s := range styles {
		st, err := tfutil.Float32Tensor(s.x, 1, int64(s.h), int64(s.w), 3)
		if err != nil {
			return err
		}
		sts = append(sts, st)
	}
	for _, m := range masks {
		mt, err := tfutil.Float32Tensor(m, int64(e.key.h), int64(e.key.w))
		if err != nil {
			return err
		}
		mts = append(mts, mt)
	}
	return e.setTargets(ct, sts, mts, check)
}

// tiledEngine evaluates the loss tile by tile (see Tiling). Its graph has
// one copy of the network on a placeholder of any size, fed one tile at a
// time; every crop of a tile's interior is fed as begin and size vectors.
// The global quantities (the Gram matrices summed over the tiles, the
// style residuals, the loss) are kept in Go, in float64.
type tiledEngine struct {
	key    graphKey
	model  *vgg.Model
	tiling Tiling // resolved: Tile and Halo multiples of align
	align  int
	graph  *tf.Graph
	sess   *tf.Session
	net    *vgg.Net

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

	counted traffic
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
	e = &tiledEngine{key: key, model: m, tiling: t, weights: key.weights}
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
	net, err := m.Build(s.SubScope("vgg"), seen, vgg.BuildOptions{Pooling: key.pooling, Layers: all})
	if err != nil {
		return nil, fmt.Errorf("style: building the network: %w", err)
	}
	e.net = net

	byName := map[string]*tileLayer{}
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
	e.grad = op.Gradients(s.SubScope("gradients"), []tf.Output{surrogate}, []tf.Output{e.input})[0]
	if _, err := s.Finalize(); err != nil {
		return nil, fmt.Errorf("style: building the tiled graph: %w", err)
	}
	e.graph = g
	if key.device != "" {
		if err := e.place(key.device); err != nil {
			return nil, err
		}
	}
	if e.sess, err = openSession(e.graph, key, e.net); err != nil {
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

// place re-imports the graph with device as every node's default (see
// engine.place) and points the engine's outputs at the new graph.
func (e *tiledEngine) place(device string) error {
	g, err := reimport(e.graph, device)
	if err != nil {
		return err
	}
	remap := func(o *tf.Output) {
		if o.Op != nil {
			*o = g.Operation(o.Op.Name()).Output(o.Index)
		}
	}
	remap(&e.input)
	remap(&e.grad)
	for _, l := range e.layers {
		remap(&l.begin)
		remap(&l.size)
		remap(&l.interior)
		remap(&l.flat)
	}
	for _, c := range e.content {
		remap(&c.target)
		remap(&c.sum)
	}
	for _, sl := range e.styles {
		remap(&sl.gram)
	}
	for _, grp := range e.groups {
		remap(&grp.mask)
		remap(&grp.gram)
		remap(&grp.d)
		remap(&grp.term)
	}
	for _, o := range []*tf.Output{&e.tv.dyBegin, &e.tv.dySize, &e.tv.dxBegin, &e.tv.dxSize, &e.tv.sum} {
		remap(o)
	}
	net, err := e.net.Rebind(g)
	if err != nil {
		return fmt.Errorf("style: WithDevice(%q): %w", device, err)
	}
	e.net, e.graph = net, g
	return nil
}

func (e *tiledEngine) graphKey() graphKey { return e.key }

// close closes the session.
func (e *tiledEngine) close() error {
	if e == nil || e.sess == nil {
		return nil
	}
	err := e.sess.Close()
	liveSessions.Add(-1)
	e.sess, e.graph = nil, nil
	return err
}

// int32s makes an int32 vector tensor.
func int32s(v ...int) *tf.Tensor {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	t, _ := tf.NewTensor(out) // a []int32 always converts
	return t
}

// cropFeeds returns the feeds that crop every layer of e to r's interior
// for an image of w × h pixels. It fails if a crop does not lie within
// the tile's layer, which would be a bug in the tiling.
func (e *tiledEngine) cropFeeds(r tileRect, w, h int) (map[tf.Output]*tf.Tensor, []layerBox, error) {
	feeds := map[tf.Output]*tf.Tensor{}
	boxes := make([]layerBox, len(e.layers))
	for i, l := range e.layers {
		lh, lw, _, err := e.model.LayerShape(l.name, h, w)
		if err != nil {
			return nil, nil, err
		}
		b := r.box(l.f, lh, lw, w, h)
		th, tw, _, _ := e.model.LayerShape(l.name, r.height(), r.width())
		if b.by < 0 || b.bx < 0 || b.by+b.sy > th || b.bx+b.sx > tw {
			return nil, nil, fmt.Errorf("style: tiling: layer %s: crop %+v outside the tile's %d×%d", l.name, b, th, tw)
		}
		boxes[i] = b
		feeds[l.begin] = int32s(0, b.by, b.bx, 0)
		feeds[l.size] = int32s(1, b.sy, b.sx, l.ch)
	}
	// Pairs (p, p+1) whose first pixel is in the interior and whose second
	// is in the image.
	iy, ix := r.y0-r.ay0, r.x0-r.ax0
	sy, sx := r.y1-r.y0, r.x1-r.x0
	feeds[e.tv.dyBegin] = int32s(0, iy, ix, 0)
	feeds[e.tv.dySize] = int32s(1, min(sy, h-1-r.y0), sx, 3)
	feeds[e.tv.dxBegin] = int32s(0, iy, ix, 0)
	feeds[e.tv.dxSize] = int32s(1, sy, min(sx, w-1-r.x0), 3)
	return feeds, boxes, nil
}

// tileTensor copies r's region of the NHWC image x (w pixels wide) into a
// tensor.
func (e *tiledEngine) tileTensor(x []float32, w int, r tileRect) (*tf.Tensor, error) {
	tw, th := r.width(), r.height()
	if cap(e.buf) < tw*th*3 {
		e.buf = make([]float32, tw*th*3)
	}
	buf := e.buf[:tw*th*3]
	for y := 0; y < th; y++ {
		src := x[((r.ay0+y)*w+r.ax0)*3:]
		copy(buf[y*tw*3:(y+1)*tw*3], src[:tw*3])
	}
	return tfutil.Float32Tensor(buf, 1, int64(th), int64(tw), 3)
}

// targets computes the content features of every tile's interior, the
// style images' mean Grams (tile by tile) and each tile's crops of the
// masks resampled to every style layer.
func (e *tiledEngine) targets(content []float32, styles []sizedImage, masks [][]float32, check func() error) error {
	w, h := e.key.w, e.key.h
	e.tiles = splitTiles(w, h, e.tiling.Tile, e.tiling.Halo, e.align)
	e.feeds = make([]map[tf.Output]*tf.Tensor, len(e.tiles))
	e.lastD, e.prevD, e.missed, e.exact = nil, nil, math.Inf(1), 0
	var fetches []tf.Output
	for _, c := range e.content {
		fetches = append(fetches, c.layer.interior)
	}
	var boxes [][]layerBox
	for i, r := range e.tiles {
		if err := check(); err != nil {
			return err
		}
		feeds, b, err := e.cropFeeds(r, w, h)
		if err != nil {
			return err
		}
		boxes = append(boxes, b)
		e.feeds[i] = feeds
		if len(fetches) == 0 {
			continue
		}
		in, err := e.tileTensor(content, w, r)
		if err != nil {
			return err
		}
		run := maps.Clone(feeds)
		run[e.input] = in
		out, err := e.counted.run(e.sess, run, fetches, nil)
		if err != nil {
			return fmt.Errorf("style: computing the content targets of tile %d: %w", i+1, err)
		}
		for j, c := range e.content {
			feeds[c.target] = out[j]
		}
		tfutil.Released(4 * int64(len(e.buf)))
	}

	// Style targets: the mean Gram of each style image, summed over its own
	// tiles.
	e.targetsOf = make([][][]float64, len(styles))
	var grams []tf.Output
	for _, sl := range e.styles {
		grams = append(grams, sl.gram)
	}
	for si, st := range styles {
		sum := make([][]float64, len(e.styles))
		for _, r := range splitTiles(st.w, st.h, e.tiling.Tile, e.tiling.Halo, e.align) {
			if err := check(); err != nil {
				return err
			}
			feeds, _, err := e.cropFeeds(r, st.w, st.h)
			if err != nil {
				return err
			}
			in, err := e.tileTensor(st.x, st.w, r)
			if err != nil {
				return err
			}
			feeds[e.input] = in
			out, err := e.counted.run(e.sess, feeds, grams, nil)
			if err != nil {
				return fmt.Errorf("style: computing the Gram matrices of style image %d: %w", si+1, err)
			}
			for l := range e.styles {
				if err := accumulate(&sum[l], out[l]); err != nil {
					return err
				}
			}
			tfutil.Released(4 * int64(len(e.buf)))
		}
		for l, sl := range e.styles {
			lh, lw, _, err := e.model.LayerShape(sl.layer.name, st.h, st.w)
			if err != nil {
				return err
			}
			m := float64(lh) * float64(lw)
			for k := range sum[l] {
				sum[l][k] /= m
			}
		}
		e.targetsOf[si] = sum
	}

	// Masks: resampled to every style layer over the whole image, then
	// cropped per tile; the masked area of each is the whole layer's.
	e.areas = make([][]float64, e.key.styles)
	for i := range e.areas {
		e.areas[i] = make([]float64, len(e.styles))
		for l, sl := range e.styles {
			e.areas[i][l] = float64(sl.layer.lh) * float64(sl.layer.lw)
		}
	}
	if !e.key.masked {
		return nil
	}
	layerIndex := func(l *tileLayer) int { return slices.Index(e.layers, l) }
	for i, m := range masks {
		for l, sl := range e.styles {
			lm, err := loss.ResizeMask(m, h, w, sl.layer.lh, sl.layer.lw)
			if err != nil {
				return fmt.Errorf("style: mask %d: %w", i+1, err)
			}
			var area float64
			for _, v := range lm {
				area += float64(v) * float64(v)
			}
			e.areas[i][l] = max(area, 1e-12) // loss.minMaskArea
			for _, grp := range e.groups {
				if grp.layer != l || grp.images[0] != i {
					continue
				}
				for t := range e.tiles {
					b := boxes[t][layerIndex(sl.layer)]
					crop := make([]float32, 0, b.sy*b.sx)
					for y := 0; y < b.sy; y++ {
						row := (b.gy+y)*sl.layer.lw + b.gx
						crop = append(crop, lm[row:row+b.sx]...)
					}
					mt, err := tfutil.Float32Tensor(crop, int64(len(crop)), 1)
					if err != nil {
						return err
					}
					e.feeds[t][grp.mask] = mt
				}
			}
		}
	}
	return nil
}

// accumulate adds the float32 matrix t into *sum (allocated on first use).
func accumulate(sum *[]float64, t *tf.Tensor) error {
	v, ok := t.Value().([][]float32)
	if !ok {
		return fmt.Errorf("style: tiling: a Gram matrix of type %T", t.Value())
	}
	if *sum == nil {
		*sum = make([]float64, len(v)*len(v))
	}
	n := len(v)
	for i, row := range v {
		for j, x := range row {
			(*sum)[i*n+j] += float64(x)
		}
	}
	return nil
}

// evaluate runs the two passes (or one, with SinglePass after the first
// evaluation) over the tiles.
func (e *tiledEngine) evaluate(x, grad []float32) (evaluation, error) {
	w := e.key.w
	var gramFetches []tf.Output
	for _, grp := range e.groups {
		gramFetches = append(gramFetches, grp.gram)
	}
	for _, c := range e.content {
		gramFetches = append(gramFetches, c.sum)
	}
	gramFetches = append(gramFetches, e.tv.sum)
	nScalar := len(e.content) + 1

	grams := make([][]float64, len(e.groups))
	var ev evaluation
	var predicted [][]float32
	if e.tiling.SinglePass {
		predicted = e.predictedResiduals()
	}
	single := predicted != nil && e.missed <= singlePassTolerance
	var fedD []*tf.Tensor
	if single {
		var err error
		if fedD, err = e.residualTensors(predicted); err != nil {
			return evaluation{}, err
		}
	} else if e.tiling.SinglePass {
		e.exact++
	}
	clear(grad)
	for t, r := range e.tiles {
		in, err := e.tileTensor(x, w, r)
		if err != nil {
			return evaluation{}, err
		}
		feeds := maps.Clone(e.feeds[t])
		feeds[e.input] = in
		fetches := gramFetches
		if single {
			for g, grp := range e.groups {
				feeds[grp.d] = fedD[g]
			}
			fetches = append(slices.Clone(gramFetches), e.grad)
		}
		out, err := e.counted.run(e.sess, feeds, fetches, nil)
		if err != nil {
			return evaluation{}, fmt.Errorf("style: evaluating the loss on tile %d: %w", t+1, err)
		}
		for g := range e.groups {
			if err := accumulate(&grams[g], out[g]); err != nil {
				return evaluation{}, err
			}
		}
		for j, c := range e.content {
			v, err := tfutil.Scalar(out[len(e.groups)+j])
			if err != nil {
				return evaluation{}, err
			}
			ev.content += c.factor * v
		}
		v, err := tfutil.Scalar(out[len(e.groups)+nScalar-1])
		if err != nil {
			return evaluation{}, err
		}
		ev.tv += e.weights[2] * v
		if single {
			if err := e.addGradient(grad, out[len(out)-1], r); err != nil {
				return evaluation{}, err
			}
		}
		tfutil.Released(8 * int64(r.width()*r.height()*3))
	}

	hostD, styleLoss := e.residuals(grams)
	ev.style = styleLoss
	ev.total = ev.content + ev.style + ev.tv
	if e.tiling.SinglePass {
		e.missed = relativeError(predicted, hostD)
		e.prevD, e.lastD = e.lastD, hostD
	}
	if single {
		return ev, nil
	}
	ds, err := e.residualTensors(hostD)
	if err != nil {
		return evaluation{}, err
	}
	for t, r := range e.tiles {
		in, err := e.tileTensor(x, w, r)
		if err != nil {
			return evaluation{}, err
		}
		feeds := maps.Clone(e.feeds[t])
		feeds[e.input] = in
		for g, grp := range e.groups {
			feeds[grp.d] = ds[g]
		}
		out, err := e.counted.run(e.sess, feeds, []tf.Output{e.grad}, nil)
		if err != nil {
			return evaluation{}, fmt.Errorf("style: the gradient on tile %d: %w", t+1, err)
		}
		if err := e.addGradient(grad, out[0], r); err != nil {
			return evaluation{}, err
		}
		tfutil.Released(8 * int64(r.width()*r.height()*3))
	}
	return ev, nil
}

// singlePassTolerance is how far, as a relative L2 error, SinglePass's
// prediction of the residuals may have missed at one evaluation for the
// next to use its prediction; after a worse miss the next evaluation makes
// both passes. Without it, Adam's first steps, which change the Gram
// matrices most, got the worst residuals, and Adam keeps their gradients in
// its second moments (β₂ = 0.999) for the rest of the run. Measured with
// Adam at learning rate 1 on the ImageNet VGG16 (coffee × The Starry Night,
// 256×171 px, 100 iterations, bench/singlepass.sh): the prediction missed
// by 23 % at the second evaluation, 6 % at the fifth and under 1.5 % from
// the tenth (0.07 % at the hundredth); single pass throughout ended 2.5 %
// above the untiled loss, with the first 5 evaluations exact 0.07 % below.
const singlePassTolerance = 0.05

// predictedResiduals is SinglePass's stand-in for this evaluation's
// residuals, which are only known once every tile has been run: the last
// two evaluations' extrapolated linearly, D̂ = 2·D₋₁ − D₋₂, which cancels
// the lag's first-order error (the last one alone after one evaluation;
// nil before any). Measured as singlePassTolerance says, after 100
// iterations: the one-evaluation-old residuals ended 5.6 % above the
// untiled loss, the extrapolated ones 2.5 % (a quadratic extrapolation
// 2.6 %), both without exact evaluations at the start.
func (e *tiledEngine) predictedResiduals() [][]float32 {
	if e.lastD == nil || e.prevD == nil {
		return e.lastD
	}
	pred := make([][]float32, len(e.lastD))
	for g, last := range e.lastD {
		prev := e.prevD[g]
		d := make([]float32, len(last))
		for j, v := range last {
			d[j] = 2*v - prev[j]
		}
		pred[g] = d
	}
	return pred
}

// relativeError is ‖pred − actual‖/‖actual‖ over all groups; +Inf without
// a prediction, 0 when both are zero.
func relativeError(pred, actual [][]float32) float64 {
	if pred == nil {
		return math.Inf(1)
	}
	var diff, norm float64
	for g, a := range actual {
		for j, v := range a {
			d := float64(v) - float64(pred[g][j])
			diff += d * d
			norm += float64(v) * float64(v)
		}
	}
	if diff == 0 {
		return 0
	}
	return math.Sqrt(diff / norm)
}

// residualTensors turns per-group residuals into the tensors fed to each
// group's D.
func (e *tiledEngine) residualTensors(ds [][]float32) ([]*tf.Tensor, error) {
	out := make([]*tf.Tensor, len(ds))
	for g, d := range ds {
		n := int64(e.styles[e.groups[g].layer].layer.ch)
		t, err := tfutil.Float32Tensor(d, n, n)
		if err != nil {
			return nil, err
		}
		out[g] = t
	}
	return out, nil
}

// residuals returns, for every group, D = ∂E_style/∂G with G the global Gram
// (unnormalized, masked for masked groups), and the weighted style loss.
// As loss.Style: E = β Σ_i b_i/I Σ_l w_l/L · k_N · Σ(G/A − S_il)², with A
// the layer's area (or the masked area Σm²), so
// D = β b_i/I · w_l/L · k_N · 2(G/A − S_il)/A summed over the group's images.
func (e *tiledEngine) residuals(grams [][]float64) ([][]float32, float64) {
	var total float64
	ds := make([][]float32, len(e.groups))
	images := float64(e.key.styles)
	for g, grp := range e.groups {
		sl := e.styles[grp.layer]
		n := sl.layer.ch
		k := e.key.gramNorm.Factor(int64(n))
		d := make([]float32, n*n)
		for _, i := range grp.images {
			c := e.weights[1] * e.blend[i] / images * sl.weight * k
			if c == 0 {
				continue
			}
			area := e.areas[i][grp.layer]
			target := e.targetsOf[i][grp.layer]
			var sum float64
			for j, v := range grams[g] {
				diff := v/area - target[j]
				sum += diff * diff
				d[j] += float32(c * 2 * diff / area)
			}
			total += c * sum
		}
		ds[g] = d
	}
	return ds, total
}

// addGradient adds a tile's input gradient into grad (the whole image's).
func (e *tiledEngine) addGradient(grad []float32, t *tf.Tensor, r tileRect) error {
	tw, th := r.width(), r.height()
	if cap(e.buf) < tw*th*3 {
		e.buf = make([]float32, tw*th*3)
	}
	buf, err := tfutil.Float32s(e.buf[:tw*th*3], t)
	if err != nil {
		return err
	}
	w := e.key.w
	for y := 0; y < th; y++ {
		dst := grad[((r.ay0+y)*w+r.ax0)*3:]
		for i, v := range buf[y*tw*3 : (y+1)*tw*3] {
			dst[i] += v
		}
	}
	return nil
}

func (e *tiledEngine) counter() *traffic { return &e.counted }
