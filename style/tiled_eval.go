package style

import (
	"fmt"
	"maps"
	"math"
	"slices"

	tf "github.com/wamuir/graft/tensorflow"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
	"github.com/neuralstyle/neuralstyle/loss"
)

// This file is the tiled engine's work on the host, around its graph
// (tiled.go): the tiles' feeds, the targets summed over the tiles, and
// the two passes of an evaluation with the global Gram residuals.

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
func (e *tiledEngine) targets(content []float32, styles []sizedImage, masks [][]float32, terms []*tf.Tensor, check func() error) error {
	if len(terms) > 0 {
		return invalid("WithTerms", fmt.Sprintf("%d inputs", len(terms)), "tiled evaluation does not support added terms")
	}
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
		out, err := e.Run(run, fetches, nil)
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
			out, err := e.Run(feeds, grams, nil)
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
		feeds, err := e.tileFeeds(x, t, r, fedD)
		if err != nil {
			return evaluation{}, err
		}
		fetches := gramFetches
		if single {
			fetches = append(slices.Clone(gramFetches), e.grad)
		}
		out, err := e.Run(feeds, fetches, nil)
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
		feeds, err := e.tileFeeds(x, t, r, ds)
		if err != nil {
			return evaluation{}, err
		}
		out, err := e.Run(feeds, []tf.Output{e.grad}, nil)
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

// tileFeeds returns the feeds of tile t, of rectangle r, of the image x:
// its crops, masks and content targets, its pixels, and the style
// residuals ds (one per group) unless ds is nil.
func (e *tiledEngine) tileFeeds(x []float32, t int, r tileRect, ds []*tf.Tensor) (map[tf.Output]*tf.Tensor, error) {
	in, err := e.tileTensor(x, e.key.w, r)
	if err != nil {
		return nil, err
	}
	feeds := maps.Clone(e.feeds[t])
	feeds[e.input] = in
	if ds != nil {
		for g, grp := range e.groups {
			feeds[grp.d] = ds[g]
		}
	}
	return feeds, nil
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
