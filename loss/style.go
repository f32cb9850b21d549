package loss

import (
	"fmt"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"
)

// minMaskArea is the floor under Σm², the masked area a masked Gram is divided
// by, so that a mask that is zero over a whole layer gives a zero Gram (and a
// constant loss with a zero gradient) instead of 0/0.
const minMaskArea = 1e-12

// StyleLayer adds one layer's style loss to the graph of s and returns it as a
// scalar.
//
// features are the generated image's activations, a float32 or float64
// [1, H, W, N] tensor with a known static shape; target is the style image's
// MEAN Gram Ĝ_s = G_s / M_s at that layer, an [N, N] tensor of the same type
// made once by StyleTarget and held by the caller. With Ĝ_x = FᵀF / M the
// loss is
//
//	GramTutorial: Σ(Ĝ_x − Ĝ_s)² / (4·N²)
//	GramMean:     Σ(Ĝ_x − Ĝ_s)² / N²
//
// The tutorial form equals Gatys et al.'s Σ(G_x − G_s)² / (4·N²·M²) whenever
// the style image has the generated image's size; holding mean Grams lets the
// style image keep its own size and aspect ratio (see doc.go).
//
// Bad arguments are errors matching ErrShape, ErrDType or ErrInvalid, and no
// op is added then. Not safe for concurrent use on one scope.
func StyleLayer(s *op.Scope, features, target tf.Output, norm GramNorm) (tf.Output, error) {
	return styleLayer("style layer", s, features, target, tf.Output{}, norm)
}

// MaskedStyleLayer is StyleLayer restricted to a region of the generated
// image: mask is a float32 or float64 [H_img, W_img] map with values in
// [0, 1] at the generated image's resolution (its values are not checked). It
// is resampled to the layer's H × W by area averaging (TensorFlow's ResizeArea
// rule, the block mean on integer factors; see doc.go), giving m, and the
// generated features are weighted by it before the Gram, normalized by the
// masked area Σm² instead of M:
//
//	Ĝ_x = (m⊙F)ᵀ(m⊙F) / Σ_p m_p²
//
// so the masked Gram is the mean Gram of the region (a mask of ones gives
// StyleLayer's value exactly) and shrinking the region does not shrink the
// loss. The style target is the whole style image's mean Gram, unmasked.
func MaskedStyleLayer(s *op.Scope, features, target, mask tf.Output, norm GramNorm) (tf.Output, error) {
	const fn = "masked style layer"
	if mask.Op == nil {
		return tf.Output{}, fmt.Errorf("loss: %s: mask: %w: the zero tf.Output", fn, ErrShape)
	}
	return styleLayer(fn, s, features, target, mask, norm)
}

// styleCheck holds the checked sizes of one style layer.
type styleCheck struct {
	d      dims
	mh, mw int64 // mask sizes; 0 when unmasked
}

func checkStyleLayer(fn string, x, target, mask tf.Output, kind StyleLoss, norm GramNorm) (styleCheck, error) {
	var c styleCheck
	if !kind.valid() {
		return c, fmt.Errorf("loss: %s: %w: unknown %v", fn, ErrInvalid, kind)
	}
	if kind == Gram && !norm.valid() {
		return c, fmt.Errorf("loss: %s: %w: unknown %v", fn, ErrInvalid, norm)
	}
	d, err := checkFeatures(fn, "features", x)
	if err != nil {
		return c, err
	}
	c.d = d
	if target.Op == nil {
		return c, fmt.Errorf("loss: %s: target: %w: the zero tf.Output", fn, ErrShape)
	}
	if err := sameType(fn, "target", x, target); err != nil {
		return c, err
	}
	want := kind.TargetShape(d.n)
	if sh := target.Shape(); sh.NumDimensions() != 2 || sh.Size(0) != want[0] || sh.Size(1) != want[1] {
		what := "mean Gram of the style image's features"
		if kind == W2 {
			what = "W2Target of the style image's features"
		}
		return c, fmt.Errorf("loss: %s: target: %w: %v, want the [%d, %d] %s", fn, ErrShape, sh, want[0], want[1], what)
	}
	if mask.Op != nil {
		if c.mh, c.mw, err = checkMask(fn, mask); err != nil {
			return c, err
		}
	}
	return c, nil
}

func styleLayer(fn string, s *op.Scope, x, target, mask tf.Output, norm GramNorm) (tf.Output, error) {
	c, err := checkStyleLayer(fn, x, target, mask, Gram, norm)
	if err != nil {
		return tf.Output{}, err
	}
	if s, err = start(fn, s, "style_layer"); err != nil {
		return tf.Output{}, err
	}
	b := builder{s: s, dt: x.DataType()}
	return finish(fn, s, b.styleLayer(x, target, mask, norm, c))
}

func (b builder) styleLayer(x, target, mask tf.Output, norm GramNorm, c styleCheck) tf.Output {
	return b.styleDistance(b.generatedGram(x, mask, c), target, norm, c.d.n)
}

// generatedGram is the generated image's mean Gram, masked if mask's Op is set.
func (b builder) generatedGram(x, mask tf.Output, c styleCheck) tf.Output {
	d := c.d
	f := b.reshape(x, d.area(), d.n)
	if mask.Op == nil {
		return b.scale(b.symmetricGram(f), 1/float64(d.area()))
	}
	m := b.reshape(b.resizeMask(mask, c.mh, c.mw, d.h, d.w), d.area(), 1)
	g := b.symmetricGram(op.Mul(b.f(), f, m))
	area := op.Maximum(b.f(), b.sum(op.Square(b.f(), m), 2), b.scalar(minMaskArea))
	return op.RealDiv(b.f(), g, area)
}

// symmetricGram returns G = FᵀF of an M × N matrix F, with a gradient that
// costs one MatMul instead of the two of TensorFlow's MatMul gradient: it
// is only correct for losses whose gradient dL/dG is symmetric, as the
// style distance's is (G and its target are).
//
// TensorFlow differentiates FᵀF as a product of two inputs and computes
// dF = F·dGᵀ + F·dG, two M × N × N MatMuls as large as the forward one.
// For a symmetric dG both terms are F·dG. So the product is formed as
// H = Fᵀ·stop(F), whose gradient reaches F through the first operand only
// (F·dGᵀ), and G = 2H − stop(H): the value is H exactly (2H − H is exact
// in floating point) and the gradient 2·F·dGᵀ = F·(dG + dGᵀ). This saves
// a third of the Gram work of an evaluation: 9 GFLOP of 397 at 512 px for
// the five style layers of VGG19.
func (b builder) symmetricGram(f tf.Output) tf.Output {
	h := op.MatMul(b.f(), f, op.StopGradient(b.f(), f), op.MatMulTransposeA(true))
	return op.Sub(b.f(), b.scale(h, 2), op.StopGradient(b.f(), h))
}

// styleDistance is the normalized squared distance of two n × n mean Grams.
func (b builder) styleDistance(g, target tf.Output, norm GramNorm, n int64) tf.Output {
	diff := op.Sub(b.f(), g, target)
	return b.scale(b.sum(op.Square(b.f(), diff), 2), norm.Factor(n))
}

// StyleImage is one style image's part of a Style loss.
type StyleImage struct {
	// Targets holds the image's target at each style layer, in the order of
	// StyleSpec.Features: for the Gram loss its mean Gram (StyleTarget of its
	// features, [N_l, N_l]), for W2 its W2Target ([2·N_l+2, N_l]).
	Targets []tf.Output

	// Weight is the image's blend weight, ≥ 0. The weights of a spec's images
	// are normalized to sum 1; if they are all 0 (the zero value) the images
	// are blended equally.
	Weight float64

	// Mask, when its Op is not nil, restricts the image's style to a region of
	// the generated image, as in MaskedStyleLayer: a [H_img, W_img] map in
	// [0, 1] at the generated image's resolution, resampled to every layer.
	// The zero tf.Output (the default) means no mask.
	Mask tf.Output
}

// StyleSpec describes a style loss over several layers and style images.
type StyleSpec struct {
	// Features holds the generated image's activations at each style layer,
	// [1, H_l, W_l, N_l] each, with known static shapes. At least one.
	Features []tf.Output

	// LayerWeights weighs the layers, one weight ≥ 0 per feature tensor; they
	// are normalized to sum 1 and must not all be 0. nil means equal weights.
	LayerWeights []float64

	// Images are the style images, at least one, each with one target per
	// layer.
	Images []StyleImage

	// Norm is the per-layer normalization of the Gram loss. Default
	// GramTutorial. W2 ignores it.
	Norm GramNorm

	// Loss selects the per-layer term: Gram (the default; each image's
	// Targets come from StyleTarget) or W2 (they come from W2Target).
	Loss StyleLoss
}

// Style adds the style loss of spec to the graph of s and returns it as a
// scalar, scaled exactly as neural-style-tf's sum_style_losses and
// sum_masked_style_losses: with layer weights w_l normalized to sum 1 over the
// L layers and blend weights b_i normalized to sum 1 over the I images,
//
//	E_style = (1/I) · Σ_i b_i · (1/L) · Σ_l w_l · E_il
//
// where E_il is StyleLayer (or MaskedStyleLayer with the image's mask) of
// layer l against image i's target. neural-style-tf divides by L and by I on
// top of normalizing the weights, so the effective weight of a layer is
// w_l/L (0.04 each for its five default layers); Style keeps that, so that
// neural-style-tf's default style weight 1e4 means the same here. Terms whose
// weight is 0 are not built.
//
// Everything is checked before any op is added; bad arguments are errors
// matching ErrShape, ErrDType, ErrWeights or ErrInvalid that name the image
// and layer. Not safe for concurrent use on one scope.
func Style(s *op.Scope, spec StyleSpec) (tf.Output, error) {
	const fn = "style"
	L, I := len(spec.Features), len(spec.Images)
	if L == 0 {
		return tf.Output{}, fmt.Errorf("loss: %s: %w: no style layers", fn, ErrInvalid)
	}
	if I == 0 {
		return tf.Output{}, fmt.Errorf("loss: %s: %w: no style images", fn, ErrInvalid)
	}
	lw, err := normalizeWeights(fn, "layer weights", spec.LayerWeights, L, false)
	if err != nil {
		return tf.Output{}, err
	}
	iw := make([]float64, I)
	for i, im := range spec.Images {
		iw[i] = im.Weight
	}
	if iw, err = normalizeWeights(fn, "image weights", iw, I, true); err != nil {
		return tf.Output{}, err
	}
	checks := make([][]styleCheck, I)
	for i, im := range spec.Images {
		if len(im.Targets) != L {
			return tf.Output{}, fmt.Errorf("loss: %s: image %d: %w: %d targets for %d layers", fn, i, ErrInvalid, len(im.Targets), L)
		}
		checks[i] = make([]styleCheck, L)
		for l, x := range spec.Features {
			lfn := fmt.Sprintf("%s: image %d, layer %d", fn, i, l)
			if checks[i][l], err = checkStyleLayer(lfn, x, im.Targets[l], im.Mask, spec.Loss, spec.Norm); err != nil {
				return tf.Output{}, err
			}
			if err := sameType(lfn, "features", spec.Features[0], x); err != nil {
				return tf.Output{}, err
			}
		}
	}
	if s, err = start(fn, s, "style"); err != nil {
		return tf.Output{}, err
	}
	b := builder{s: s, dt: spec.Features[0].DataType()}
	var terms []tf.Output
	// the generated image's statistics, shared by the unmasked images:
	// Grams, or W2's means and covariances
	type stats struct{ gram, mu, cov tf.Output }
	unmasked := make([]*stats, L)
	for i, im := range spec.Images {
		for l, x := range spec.Features {
			c := iw[i] * lw[l] / float64(L) / float64(I)
			if c == 0 {
				continue
			}
			st := unmasked[l]
			if im.Mask.Op != nil || st == nil {
				st = new(stats)
				if spec.Loss == W2 {
					st.mu, st.cov = b.generatedMoments(x, im.Mask, checks[i][l])
				} else {
					st.gram = b.generatedGram(x, im.Mask, checks[i][l])
				}
				if im.Mask.Op == nil {
					unmasked[l] = st
				}
			}
			var e tf.Output
			if spec.Loss == W2 {
				e = b.w2Distance(st.mu, st.cov, im.Targets[l], checks[i][l].d.n)
			} else {
				e = b.styleDistance(st.gram, im.Targets[l], spec.Norm, checks[i][l].d.n)
			}
			terms = append(terms, b.scale(e, c))
		}
	}
	return finish(fn, s, b.add(terms))
}

// add returns the sum of one or more scalars.
func (b builder) add(terms []tf.Output) tf.Output {
	if len(terms) == 1 {
		return terms[0]
	}
	return op.AddN(b.f(), terms)
}
