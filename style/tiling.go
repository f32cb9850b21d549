package style

import (
	"fmt"

	"github.com/neuralstyle/neuralstyle/vgg"
)

// Tiling selects tiled evaluation of the loss and its gradient (see
// WithTiling): the image is cut into tiles whose interiors partition it,
// each evaluated with a halo of context around it, so that an image far
// larger than the network's activations would allow can be optimized.
//
// The style term stays exact: every evaluation makes two passes over the
// tiles. The first runs the network forward on each tile, keeps the
// features of its interior, and adds up each style layer's Gram matrix over
// the whole image; the second runs each tile again and back-propagates
// with the residual of those global Gram matrices held fixed. Content and
// total variation are sums over positions and split over the interiors.
// With a halo as wide as the receptive field of the deepest layer used,
// every interior feature, and so the loss and the gradient, equals the
// untiled one up to float32 rounding; a narrower halo trades accuracy for
// speed (see DefaultHalo).
type Tiling struct {
	// Tile is the side of a tile's interior in pixels, rounded up to a
	// multiple of the network's alignment (16 for layers up to relu5_1, 32
	// with pool5); tiles at the right and bottom edges may be smaller.
	// 0: the largest that fits the memory limit (WithMemoryLimit).
	Tile int

	// Halo is the context added on every side of a tile, in pixels,
	// rounded up to a multiple of the alignment. A negative value means
	// no halo; 0 means DefaultHalo for the deepest layer used.
	Halo int

	// SinglePass evaluates each tile once per evaluation instead of twice:
	// the gradient uses residuals of the global Gram matrices predicted
	// from the last two evaluations (the loss reported is still that of the
	// current image). An evaluation after one whose prediction missed by
	// more than 5 % (relative L2), and the first two, make both passes:
	// in a run from a photo that is about the first 5 of Adam's steps,
	// which change the Gram matrices most. The rest cost only the halo
	// overhead, and their gradient is exact in the limit of small steps.
	// docs/posters.md compares its losses with untiled evaluation's. It suits Adam,
	// not L-BFGS, whose line search needs the exact gradient (with L-BFGS
	// it is an error).
	SinglePass bool
}

// DefaultHalo returns the halo, in pixels, that makes tiled evaluation
// exact for a network whose deepest used layer is deepest: its receptive
// field's reach beyond the block of pixels it sits on (58 px for relu5_1
// of VGG16, 70 for VGG19's, 1 for relu1_1), rounded up to the alignment of
// tiles (64 and 80 for those relu5_1). With it, no interior feature sees
// the tile's edge, so its value is the untiled one.
func DefaultHalo(arch vgg.Arch, deepest string) (int, error) {
	reach, err := receptiveReach(arch, deepest)
	if err != nil {
		return 0, err
	}
	a, err := alignment(arch, deepest)
	if err != nil {
		return 0, err
	}
	return roundUp(reach, a), nil
}

// receptiveReach is how far, in input pixels, the receptive field of a
// feature of layer name extends beyond the block of input pixels it sits
// on (f × f pixels for a layer of downsampling factor f): each 3×3
// convolution adds one step of the current stride on each side; a 2×2
// pooling widens the block but not the reach beyond it. For relu5_1 of
// VGG16 that is 58 px on each side of a 16 px block: a receptive field of
// 132 px.
func receptiveReach(arch vgg.Arch, name string) (int, error) {
	if !vgg.HasLayer(arch, name) {
		return 0, fmt.Errorf("style: %v has no layer %q", arch, name)
	}
	reach, stride := 0, 1
	for _, l := range arch.LayerNames() {
		switch {
		case len(l) > 4 && l[:4] == "conv":
			reach += stride
		case len(l) > 4 && l[:4] == "pool":
			stride *= 2
		}
		if l == name {
			break
		}
	}
	return reach, nil
}

// alignment is the downsampling factor of layer name (2 to the number of
// poolings up to and including it): tile origins must be multiples of it
// so that every tile's pooling windows coincide with the untiled ones.
func alignment(arch vgg.Arch, name string) (int, error) {
	if !vgg.HasLayer(arch, name) {
		return 0, fmt.Errorf("style: %v has no layer %q", arch, name)
	}
	f := 1
	for _, l := range arch.LayerNames() {
		if len(l) > 4 && l[:4] == "pool" {
			f *= 2
		}
		if l == name {
			break
		}
	}
	return f, nil
}

// layerFactor is the downsampling factor of the input of a layer's
// features: alignment of the layer itself, since a pooling halves its own
// output.
func layerFactor(arch vgg.Arch, name string) int {
	f, _ := alignment(arch, name)
	return f
}

func roundUp(v, to int) int {
	if v <= 0 {
		return 0
	}
	return (v + to - 1) / to * to
}

// tileRect is one tile of an image: its interior [x0, x1) × [y0, y1),
// which the interiors of all tiles partition, and the region the network
// sees, [ax0, ax1) × [ay0, ay1): the interior plus the halo, clipped to
// the image. ax0 and ay0 are multiples of the alignment.
type tileRect struct {
	x0, y0, x1, y1     int
	ax0, ay0, ax1, ay1 int
}

// width and height of the region the network sees.
func (r tileRect) width() int  { return r.ax1 - r.ax0 }
func (r tileRect) height() int { return r.ay1 - r.ay0 }

// splitTiles cuts a w × h image into tiles of interior side about tile
// pixels (a multiple of align, evened out so that the last tile is not a
// sliver) with halo pixels of context on each side (a multiple of align).
// The right and bottom halos are at least one pixel, which the total
// variation's differences across a border need.
func splitTiles(w, h, tile, halo, align int) []tileRect {
	xs := cuts(w, tile, align)
	ys := cuts(h, tile, align)
	var out []tileRect
	for j := 0; j+1 < len(ys); j++ {
		for i := 0; i+1 < len(xs); i++ {
			r := tileRect{x0: xs[i], x1: xs[i+1], y0: ys[j], y1: ys[j+1]}
			r.ax0, r.ay0 = max(0, r.x0-halo), max(0, r.y0-halo)
			r.ax1, r.ay1 = min(w, r.x1+max(halo, 1)), min(h, r.y1+max(halo, 1))
			out = append(out, r)
		}
	}
	return out
}

// tileSpan returns the number of tiles along a side of n pixels and the
// largest extent, halo included, that the network sees (as splitTiles).
func tileSpan(n, tile, halo, align int) (count, widest int) {
	c := cuts(n, tile, align)
	for i := 0; i+1 < len(c); i++ {
		widest = max(widest, min(n, c[i+1]+max(halo, 1))-max(0, c[i]-halo))
	}
	return len(c) - 1, widest
}

// cuts returns the interior borders along one side of n pixels: 0, s, 2s,
// …, n, with s a multiple of align and about tile.
func cuts(n, tile, align int) []int {
	tile = max(roundUp(tile, align), align)
	parts := (n + tile - 1) / tile
	step := roundUp((n+parts-1)/parts, align)
	out := []int{0}
	for x := step; x < n; x += step {
		out = append(out, x)
	}
	return append(out, n)
}

// layerBox is a tile's interior at one layer: the crop of the tile's own
// features (begin and size in the tile's layer coordinates) and where it
// sits in the whole image's layer ([gy, gy+size[0]) × [gx, gx+size[1])).
type layerBox struct {
	by, bx, sy, sx int // begin and size, tile-local
	gy, gx         int // global origin
}

// box returns r's interior at a layer of downsampling factor f whose size
// for the whole w × h image is lh × lw. Since r's origin and interior
// borders are multiples of f (or the image's edge), the interiors of all
// tiles partition the layer exactly.
func (r tileRect) box(f, lh, lw, w, h int) layerBox {
	edge := func(v, n, total int) int {
		if v == n {
			return total
		}
		return v / f
	}
	gy0, gx0 := r.y0/f, r.x0/f
	gy1, gx1 := edge(r.y1, h, lh), edge(r.x1, w, lw)
	return layerBox{by: gy0 - r.ay0/f, bx: gx0 - r.ax0/f, sy: gy1 - gy0, sx: gx1 - gx0, gy: gy0, gx: gx0}
}

// WithTiling forces tiled evaluation with t (see Tiling; a zero Tile lets
// the memory model choose the largest tile that fits). Default: the memory
// model's choice, untiled when the whole image fits the memory limit and
// tiled otherwise. Tiling combines with WithMultiScale: each scale is
// planned on its own, so coarse scales run untiled.
func WithTiling(t Tiling) Option {
	return optionFunc(func(c *config) error {
		if t.Tile < 0 {
			return invalid("WithTiling", fmt.Sprintf("%+v", t), "want a tile side ≥ 0 (0: chosen by the memory model)")
		}
		if t.Tile > 0 && t.Tile < minSide {
			return invalid("WithTiling", fmt.Sprintf("%+v", t), fmt.Sprintf("want a tile side of at least %d pixels", minSide))
		}
		c.tiling, c.untiled = &t, false
		return nil
	})
}

// WithoutTiling forces untiled evaluation: the whole image in one pass of
// the network, refused with a *MemoryError if it cannot fit. Default: the
// memory model's choice (see WithTiling).
func WithoutTiling() Option {
	return optionFunc(func(c *config) error {
		c.tiling, c.untiled = nil, true
		return nil
	})
}
