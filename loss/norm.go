package loss

import (
	"fmt"
	"strings"
)

// GramNorm selects how a style layer's loss is normalized. Both forms compare
// mean Grams Ĝ = FᵀF/M (see doc.go for why the target is always a mean Gram);
// they differ by a constant factor of 4 per layer. The zero value is
// GramTutorial.
type GramNorm int

// The style normalizations. N is the layer's channel count, M = H·W its area.
const (
	// GramTutorial is Gatys et al.'s, the TensorFlow tutorial's and
	// cysmith/neural-style-tf's E = Σ(G_x − G_s)² / (4·N²·M²) on unnormalized
	// Grams, computed as Σ(Ĝ_x − Ĝ_s)² / (4·N²), which is the same value when
	// the style and generated images have the same size.
	GramTutorial GramNorm = iota
	// GramMean is the mean squared difference of mean Grams over the N×N
	// entries, E = Σ(Ĝ_x − Ĝ_s)² / N², as in TensorFlow's 2019 style-transfer
	// tutorial (tensorflow.org/tutorials/generative/style_transfer). It is
	// 4 × GramTutorial.
	GramMean
)

// String returns "tutorial" or "mean", the names ParseGramNorm accepts.
func (n GramNorm) String() string {
	switch n {
	case GramTutorial:
		return "tutorial"
	case GramMean:
		return "mean"
	}
	return fmt.Sprintf("GramNorm(%d)", int(n))
}

func (n GramNorm) valid() bool { return n == GramTutorial || n == GramMean }

// Factor returns the constant a style layer of the given channel count N
// multiplies Σ(Ĝ_x − Ĝ_s)² by: 1/(4·N²) for GramTutorial, 1/N² for
// GramMean.
func (n GramNorm) Factor(channels int64) float64 {
	k := 1 / (float64(channels) * float64(channels))
	if n == GramTutorial {
		k /= 4
	}
	return k
}

// ParseGramNorm returns the GramNorm named s ("tutorial" or "mean",
// case-insensitive). Any other name is an error matching ErrInvalid.
func ParseGramNorm(s string) (GramNorm, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "tutorial":
		return GramTutorial, nil
	case "mean":
		return GramMean, nil
	}
	return 0, fmt.Errorf("loss: gram norm %q: %w (want \"tutorial\" or \"mean\")", s, ErrInvalid)
}

// ContentNorm selects the constant K of a content layer's loss
// E = K · Σ(F_x − F_c)², after neural-style-tf's --content_loss_function
// 1, 2 and 3. N is the layer's channel count, M = H·W its area. The zero value
// is ContentTutorial, neural-style-tf's default.
type ContentNorm int

// The content normalizations.
const (
	// ContentTutorial is K = 1 / (2·√N·√M): the tutorial's and
	// neural-style-tf's default (--content_loss_function 1).
	ContentTutorial ContentNorm = iota
	// ContentMean is K = 1 / (N·M), the mean squared difference
	// (--content_loss_function 2).
	ContentMean
	// ContentHalf is K = 1/2, Gatys et al.'s original ½·Σ(F−P)²
	// (--content_loss_function 3).
	ContentHalf
)

// String returns "tutorial", "mean" or "half", names ParseContentNorm accepts.
func (n ContentNorm) String() string {
	switch n {
	case ContentTutorial:
		return "tutorial"
	case ContentMean:
		return "mean"
	case ContentHalf:
		return "half"
	}
	return fmt.Sprintf("ContentNorm(%d)", int(n))
}

func (n ContentNorm) valid() bool { return n >= ContentTutorial && n <= ContentHalf }

// Factor returns K for a layer of the given channel count N and area M =
// H·W: the constant ContentLayer multiplies the squared distance by.
func (n ContentNorm) Factor(channels, area int64) float64 {
	switch n {
	case ContentMean:
		return 1 / (float64(channels) * float64(area))
	case ContentHalf:
		return 0.5
	}
	return 1 / (2 * sqrt(float64(channels)) * sqrt(float64(area)))
}

// ParseContentNorm returns the ContentNorm named s: "tutorial", "mean" or
// "half" (case-insensitive), or neural-style-tf's numbers "1", "2" and "3".
// Any other name is an error matching ErrInvalid.
func ParseContentNorm(s string) (ContentNorm, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "tutorial", "1":
		return ContentTutorial, nil
	case "mean", "2":
		return ContentMean, nil
	case "half", "3":
		return ContentHalf, nil
	}
	return 0, fmt.Errorf("loss: content norm %q: %w (want \"tutorial\", \"mean\", \"half\" or 1, 2, 3)", s, ErrInvalid)
}

// TVKind selects the differences the total-variation loss sums. The zero value
// is TVAbsolute, neural-style-tf's.
type TVKind int

// The total-variation forms. Both are anisotropic: horizontal and vertical
// neighbour differences are summed separately, over every channel.
const (
	// TVAbsolute is Σ|Δ|, tf.image.total_variation as neural-style-tf uses it
	// (with its default weight 1e-3). Edge-preserving: a step costs its height
	// once, however sharp, so it removes speckle without blurring edges.
	TVAbsolute TVKind = iota
	// TVSquared is ΣΔ², the smooth form (jcjohnson/neural-style's TVLoss is
	// ½ of this over a one-pixel-smaller crop). It penalizes sharp edges more
	// and has a gradient that is continuous at Δ = 0; its value grows with the
	// square of the pixel scale, so it needs a far smaller weight.
	TVSquared
)

// String returns "abs" or "squared", the names ParseTVKind accepts.
func (k TVKind) String() string {
	switch k {
	case TVAbsolute:
		return "abs"
	case TVSquared:
		return "squared"
	}
	return fmt.Sprintf("TVKind(%d)", int(k))
}

func (k TVKind) valid() bool { return k == TVAbsolute || k == TVSquared }

// ParseTVKind returns the TVKind named s ("abs" or "squared",
// case-insensitive). Any other name is an error matching ErrInvalid.
func ParseTVKind(s string) (TVKind, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "abs":
		return TVAbsolute, nil
	case "squared":
		return TVSquared, nil
	}
	return 0, fmt.Errorf("loss: tv kind %q: %w (want \"abs\" or \"squared\")", s, ErrInvalid)
}
