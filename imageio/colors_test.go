package imageio

import (
	"image"
	"image/color"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPreserveColorsGolden(t *testing.T) {
	ref := loadColorsReference(t)
	content, stylized := imageFromRows(ref.Preserve.Content), imageFromRows(ref.Preserve.Stylized)
	require.Len(t, ref.Preserve.Out, 4)
	for name, want := range ref.Preserve.Out {
		t.Run(name, func(t *testing.T) {
			s, err := ParseColorSpace(name)
			require.NoError(t, err)
			got, err := PreserveColors(content, stylized, s)
			require.NoError(t, err)
			w := imageFromRows(want)
			require.Equal(t, w.Rect, got.Rect)
			// Identical formulas in two implementations; a value exactly
			// half-way between two levels may round either way.
			for y := 0; y < w.Rect.Dy(); y++ {
				for x := 0; x < w.Rect.Dx(); x++ {
					requireNear(t, rgbAt(w, x, y), rgbAt(got, x, y), 1, "at", x, y)
				}
			}
		})
	}
}

// TestPreserveColorsProperties: the output's luminance is the stylized
// image's and its chroma the content's, wherever the result is in gamut.
func TestPreserveColorsProperties(t *testing.T) {
	content, stylized := randomRGBA(16, 12, 10), randomRGBA(16, 12, 11)
	for _, s := range []ColorSpace{YUV, YCrCb, Luv, Lab} {
		t.Run(s.String(), func(t *testing.T) {
			got, err := PreserveColors(content, stylized, s)
			require.NoError(t, err)
			inGamut := 0
			for i := 0; i < len(got.Pix); i += 4 {
				l, _, _ := s.FromRGB(f3(stylized.Pix[i:]))
				_, c1, c2 := s.FromRGB(f3(content.Pix[i:]))
				r, g, b := s.ToRGB(l, c1, c2)
				if r < 0 || r > 1 || g < 0 || g > 1 || b < 0 || b > 1 {
					continue // clamped: no property to check
				}
				inGamut++
				gl, g1, g2 := s.FromRGB(f3(got.Pix[i:]))
				scale := 1.0 // rounding to 8 bits moves each component a little
				if s == Lab || s == Luv {
					scale = 100
				}
				assert.InDelta(t, l, gl, 0.01*scale)
				assert.InDelta(t, c1, g1, 0.02*scale)
				assert.InDelta(t, c2, g2, 0.02*scale)
			}
			assert.Positive(t, inGamut)
		})
	}

	// Same image in, same image out.
	same, err := PreserveColors(content, content, Lab)
	require.NoError(t, err)
	for i := range same.Pix {
		assert.InDelta(t, content.Pix[i], same.Pix[i], 1)
	}
}

func f3(p []uint8) (float64, float64, float64) {
	return float64(p[0]) / 255, float64(p[1]) / 255, float64(p[2]) / 255
}

func TestPreserveColorsErrors(t *testing.T) {
	a, b := randomRGBA(4, 3, 1), randomRGBA(3, 4, 2)
	_, err := PreserveColors(a, b, YUV)
	require.ErrorIs(t, err, ErrSizeMismatch)
	assert.EqualError(t, err, "imageio: preserve colours: image sizes differ: content 4x3, stylized 3x4")
	_, err = PreserveColors(a, a, ColorSpace(7))
	require.ErrorIs(t, err, ErrInvalidArgument)
	// Bounds may differ in origin, not in size.
	got, err := PreserveColors(a, randomRGBA(10, 10, 3).SubImage(image.Rect(5, 5, 9, 8)), Luv)
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, 4, 3), got.Rect)
}

func TestMatchHistogramGolden(t *testing.T) {
	ref := loadColorsReference(t)
	src, reference := imageFromRows(ref.Histogram.Src), imageFromRows(ref.Histogram.Ref)
	got, err := MatchHistogram(src, reference)
	require.NoError(t, err)
	assert.Equal(t, imageFromRows(ref.Histogram.Out).Pix, got.Pix)
}

func TestMatchHistogramProperties(t *testing.T) {
	// Matching an image to itself changes nothing.
	img := randomRGBA(20, 10, 12)
	got, err := MatchHistogram(img, img)
	require.NoError(t, err)
	assert.Equal(t, img.Pix, got.Pix)
	assert.NotSame(t, img, got)

	// A reference with one colour makes everything that colour.
	one := image.NewNRGBA(image.Rect(0, 0, 3, 3))
	for y := 0; y < 3; y++ {
		for x := 0; x < 3; x++ {
			one.SetNRGBA(x, y, color.NRGBA{9, 99, 199, 255})
		}
	}
	got, err = MatchHistogram(img, one)
	require.NoError(t, err)
	for i := 0; i < len(got.Pix); i += 4 {
		require.Equal(t, []uint8{9, 99, 199, 255}, got.Pix[i:i+4])
	}

	// The mapping is monotonic: order of values within a channel is kept.
	src, refImg := randomRGBA(30, 30, 13), randomRGBA(17, 11, 14)
	got, err = MatchHistogram(src, refImg)
	require.NoError(t, err)
	for ch := 0; ch < 3; ch++ {
		for i := ch; i < len(src.Pix); i += 4 {
			for j := ch; j < len(src.Pix); j += 4 * 37 {
				if src.Pix[i] < src.Pix[j] {
					require.LessOrEqual(t, got.Pix[i], got.Pix[j])
				}
			}
		}
	}

	// Empty inputs.
	empty := image.NewRGBA(image.Rect(0, 0, 0, 0))
	got, err = MatchHistogram(empty, img)
	require.NoError(t, err)
	assert.True(t, got.Rect.Empty())
	_, err = MatchHistogram(img, empty)
	require.ErrorIs(t, err, ErrEmpty)
	assert.EqualError(t, err, "imageio: match histogram: empty image: reference is 0x0")
}
