package imageio

import (
	"fmt"
	"image"
	"math"
)

// PreserveColors returns the stylized image recoloured with the content
// image's colours: per pixel, the luminance channel (component 0) of space
// is taken from stylized and the two chroma channels from content, and the
// result is converted back to RGB, clamped and rounded. This is
// neural-style-tf's --original_colors (convert_to_original_colors), computed
// in float64 rather than on 8-bit channels.
//
// Both images are flattened first (ToRGBA: alpha over white). They must have
// the same width and height, else ErrSizeMismatch; an invalid space or a nil
// image gives ErrInvalidArgument. The result has bounds starting at (0, 0). Safe for
// concurrent use.
func PreserveColors(content, stylized image.Image, space ColorSpace) (*image.RGBA, error) {
	if !space.valid() {
		return nil, fmt.Errorf("imageio: preserve colours: %w: colour space %d", ErrInvalidArgument, int(space))
	}
	if content == nil || stylized == nil {
		return nil, fmt.Errorf("imageio: preserve colours: %w: nil image", ErrInvalidArgument)
	}
	cb, sb := content.Bounds(), stylized.Bounds()
	if cb.Dx() != sb.Dx() || cb.Dy() != sb.Dy() {
		return nil, fmt.Errorf("imageio: preserve colours: %w: content %dx%d, stylized %dx%d",
			ErrSizeMismatch, cb.Dx(), cb.Dy(), sb.Dx(), sb.Dy())
	}
	c, s := ToRGBA(content), ToRGBA(stylized)
	out := image.NewRGBA(c.Rect)
	cie := space == Lab || space == Luv
	var lin [256]float64 // sRGB decoding of each 8-bit level
	for i := range lin {
		lin[i] = srgbToLinear(float64(i) / 255)
	}
	for i := 0; i < len(out.Pix); i += 4 {
		var l, c1, c2 float64
		if cie {
			// Luminance needs only Y; chroma needs all of XYZ.
			l = lightness(linearY(lin[s.Pix[i]], lin[s.Pix[i+1]], lin[s.Pix[i+2]]))
			_, c1, c2 = space.fromLinear(lin[c.Pix[i]], lin[c.Pix[i+1]], lin[c.Pix[i+2]])
		} else {
			l, _, _ = space.FromRGB(float64(s.Pix[i])/255, float64(s.Pix[i+1])/255, float64(s.Pix[i+2])/255)
			_, c1, c2 = space.FromRGB(float64(c.Pix[i])/255, float64(c.Pix[i+1])/255, float64(c.Pix[i+2])/255)
		}
		r, g, b := space.ToRGB(l, c1, c2)
		out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = unitTo8(r), unitTo8(g), unitTo8(b), 255
	}
	return out, nil
}

// unitTo8 maps a 0..1 value to 0..255, rounding halves up and clamping.
func unitTo8(v float64) uint8 {
	v = math.Floor(v*255 + 0.5)
	switch {
	case !(v > 0): // also NaN
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v)
}

// MatchHistogram returns src with each of its R, G, B channels remapped so
// that its distribution of values matches reference's (histogram
// specification by cumulative distribution). For each channel and each value
// v present in src, with q(v) the fraction of src's pixels ≤ v, the new value
// is the reference quantile function at q(v), interpolated linearly between
// the distinct reference values and their cumulative fractions (values below
// the first fraction map to the smallest reference value), then rounded
// (halves up). This is the colour-transfer alternative to PreserveColors.
//
// Both images are flattened first (ToRGBA: alpha over white); their sizes
// may differ. The result has src's size and bounds starting at (0, 0). An
// empty src gives an empty image; an empty reference gives ErrEmpty, and a
// nil image ErrInvalidArgument. Safe for concurrent use.
func MatchHistogram(src, reference image.Image) (*image.RGBA, error) {
	if src == nil || reference == nil {
		return nil, fmt.Errorf("imageio: match histogram: %w: nil image", ErrInvalidArgument)
	}
	if rb := reference.Bounds(); rb.Empty() && !src.Bounds().Empty() {
		return nil, fmt.Errorf("imageio: match histogram: %w: reference is %dx%d", ErrEmpty, rb.Dx(), rb.Dy())
	}
	s := ToRGBA(src)
	if len(s.Pix) == 0 {
		return s, nil
	}
	ref := ToRGBA(reference)
	for ch := 0; ch < 3; ch++ {
		lut := matchChannel(histogram(s.Pix, ch), histogram(ref.Pix, ch))
		for i := ch; i < len(s.Pix); i += 4 {
			s.Pix[i] = lut[s.Pix[i]]
		}
	}
	return s, nil
}

// histogram counts the values of channel ch in RGBA pixel data.
func histogram(pix []uint8, ch int) *[256]int {
	var h [256]int
	for i := ch; i < len(pix); i += 4 {
		h[pix[i]]++
	}
	return &h
}

// matchChannel returns the lookup table that maps src's values onto the
// reference distribution; both histograms are non-empty.
func matchChannel(src, ref *[256]int) [256]uint8 {
	// The reference's distinct values and cumulative fractions.
	var vals, cum []float64
	total, acc := 0, 0
	for _, n := range ref {
		total += n
	}
	for v, n := range ref {
		if n > 0 {
			acc += n
			vals = append(vals, float64(v))
			cum = append(cum, float64(acc)/float64(total))
		}
	}
	srcTotal := 0
	for _, n := range src {
		srcTotal += n
	}
	var lut [256]uint8
	acc, k := 0, 0
	for v, n := range src {
		if n == 0 {
			continue
		}
		acc += n
		q := float64(acc) / float64(srcTotal)
		var out float64
		switch {
		case q <= cum[0]:
			out = vals[0]
		case q >= cum[len(cum)-1]:
			out = vals[len(vals)-1]
		default:
			for k+1 < len(cum) && cum[k+1] < q { // q rises with v, so k only moves forward
				k++
			}
			// cum[k] < q <= cum[k+1]
			t := (q - cum[k]) / (cum[k+1] - cum[k])
			out = vals[k] + t*(vals[k+1]-vals[k])
		}
		lut[v] = uint8(math.Floor(out + 0.5))
	}
	return lut
}
