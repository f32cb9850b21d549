package loss

import (
	"fmt"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"
)

// ContentLayer adds one layer's content loss to the graph of s and returns it
// as a scalar:
//
//	E = K · Σ(F_x − F_c)²,  K = 1/(2·√N·√M), 1/(N·M) or 1/2 (see ContentNorm)
//
// features are the generated image's activations, a float32 or float64
// [1, H, W, N] tensor with a known static shape (N channels, M = H·W), and
// target the content image's activations at the same layer, of the same shape
// and type, computed once and held by the caller.
//
// Bad arguments are errors matching ErrShape, ErrDType or ErrInvalid, and no
// op is added then. Not safe for concurrent use on one scope.
func ContentLayer(s *op.Scope, features, target tf.Output, norm ContentNorm) (tf.Output, error) {
	const fn = "content layer"
	d, err := checkContentLayer(fn, features, target, norm)
	if err != nil {
		return tf.Output{}, err
	}
	if s, err = start(fn, s, "content_layer"); err != nil {
		return tf.Output{}, err
	}
	b := builder{s: s, dt: features.DataType()}
	return finish(fn, s, b.contentLayer(features, target, norm, d))
}

func checkContentLayer(fn string, x, target tf.Output, norm ContentNorm) (dims, error) {
	if !norm.valid() {
		return dims{}, fmt.Errorf("loss: %s: %w: unknown %v", fn, ErrInvalid, norm)
	}
	d, err := checkFeatures(fn, "features", x)
	if err != nil {
		return d, err
	}
	td, err := checkFeatures(fn, "target", target)
	if err != nil {
		return d, err
	}
	if err := sameType(fn, "target", x, target); err != nil {
		return d, err
	}
	if td != d {
		return d, fmt.Errorf("loss: %s: target: %w: %v, want the features' shape %v", fn, ErrShape, target.Shape(), x.Shape())
	}
	return d, nil
}

func (b builder) contentLayer(x, target tf.Output, norm ContentNorm, d dims) tf.Output {
	diff := op.Sub(b.f(), x, target)
	return b.scale(b.sum(op.Square(b.f(), diff), 4), norm.Factor(d.n, d.area()))
}

// ContentSpec describes a content loss over one or more layers.
type ContentSpec struct {
	// Features holds the generated image's activations at each content
	// layer, [1, H_l, W_l, N_l] each, with known static shapes. At least one.
	Features []tf.Output

	// Targets holds the content image's activations at the same layers, in
	// the same order and shapes.
	Targets []tf.Output

	// LayerWeights weighs the layers, one weight ≥ 0 per layer; they are
	// normalized to sum 1 and must not all be 0. nil means equal weights.
	LayerWeights []float64

	// Norm is the per-layer normalization. Default ContentTutorial.
	Norm ContentNorm
}

// Content adds the content loss of spec to the graph of s and returns it as a
// scalar, scaled as neural-style-tf's sum_content_losses: with the layer
// weights w_l normalized to sum 1 over the L layers,
//
//	E_content = (1/L) · Σ_l w_l · E_l
//
// where E_l is ContentLayer of layer l. (neural-style-tf's default is the one
// layer conv4_2, where this is just E_l.) Layers whose weight is 0 are not
// built. Errors are as for ContentLayer, plus ErrWeights for bad weights and
// ErrInvalid for no layers or a count mismatch; no op is added on error.
func Content(s *op.Scope, spec ContentSpec) (tf.Output, error) {
	const fn = "content"
	L := len(spec.Features)
	if L == 0 {
		return tf.Output{}, fmt.Errorf("loss: %s: %w: no content layers", fn, ErrInvalid)
	}
	if len(spec.Targets) != L {
		return tf.Output{}, fmt.Errorf("loss: %s: %w: %d targets for %d layers", fn, ErrInvalid, len(spec.Targets), L)
	}
	lw, err := normalizeWeights(fn, "layer weights", spec.LayerWeights, L, false)
	if err != nil {
		return tf.Output{}, err
	}
	ds := make([]dims, L)
	for l, x := range spec.Features {
		lfn := fmt.Sprintf("%s: layer %d", fn, l)
		if ds[l], err = checkContentLayer(lfn, x, spec.Targets[l], spec.Norm); err != nil {
			return tf.Output{}, err
		}
		if err := sameType(lfn, "features", spec.Features[0], x); err != nil {
			return tf.Output{}, err
		}
	}
	if s, err = start(fn, s, "content"); err != nil {
		return tf.Output{}, err
	}
	b := builder{s: s, dt: spec.Features[0].DataType()}
	var terms []tf.Output
	for l, x := range spec.Features {
		if lw[l] == 0 {
			continue
		}
		e := b.contentLayer(x, spec.Targets[l], spec.Norm, ds[l])
		terms = append(terms, b.scale(e, lw[l]/float64(L)))
	}
	return finish(fn, s, b.add(terms))
}
