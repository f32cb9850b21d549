package imageio

import (
	"encoding/json"
	"flag"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestColorSpaceKnownValues compares with published values: sRGB primaries
// and white in CIE L*a*b* and L*u*v* (D65), and the definitions of BT.601
// Y′UV / Y′CrCb with OpenCV's float offsets. The published L*a*b* / L*u*v*
// figures (two decimals) come from the 7-digit sRGB matrix (0.4124564, ...)
// and white (0.95047, 1, 1.08883); OpenCV's 6-digit matrix, used here, moves
// them by up to 0.02, hence the tolerance of 0.03.
func TestColorSpaceKnownValues(t *testing.T) {
	tests := []struct {
		space   ColorSpace
		rgb     [3]float64
		want    [3]float64
		tol     float64
		comment string
	}{
		{Lab, [3]float64{1, 1, 1}, [3]float64{100, 0, 0}, 1e-9, "white"},
		{Lab, [3]float64{0, 0, 0}, [3]float64{0, 0, 0}, 1e-12, "black"},
		{Lab, [3]float64{1, 0, 0}, [3]float64{53.24, 80.09, 67.20}, 0.03, "red"},
		{Lab, [3]float64{0, 1, 0}, [3]float64{87.73, -86.18, 83.18}, 0.03, "green"},
		{Lab, [3]float64{0, 0, 1}, [3]float64{32.30, 79.19, -107.86}, 0.03, "blue"},
		{Lab, [3]float64{0.5, 0.5, 0.5}, [3]float64{53.39, 0, 0}, 0.03, "mid gray"},
		{Luv, [3]float64{1, 1, 1}, [3]float64{100, 0, 0}, 1e-9, "white"},
		{Luv, [3]float64{0, 0, 0}, [3]float64{0, 0, 0}, 1e-12, "black"},
		{Luv, [3]float64{1, 0, 0}, [3]float64{53.24, 175.01, 37.76}, 0.03, "red"},
		{Luv, [3]float64{0, 1, 0}, [3]float64{87.73, -83.07, 107.41}, 0.03, "green"},
		{Luv, [3]float64{0, 0, 1}, [3]float64{32.30, -9.40, -130.35}, 0.03, "blue"},
		{YUV, [3]float64{1, 1, 1}, [3]float64{1, 0.5, 0.5}, 1e-12, "white"},
		{YUV, [3]float64{1, 0, 0}, [3]float64{0.299, 0.5 - 0.492*0.299, 0.5 + 0.877*0.701}, 1e-12, "red"},
		{YUV, [3]float64{0, 0, 1}, [3]float64{0.114, 0.5 + 0.492*0.886, 0.5 - 0.877*0.114}, 1e-12, "blue"},
		{YCrCb, [3]float64{0, 0, 0}, [3]float64{0, 0.5, 0.5}, 1e-12, "black"},
		{YCrCb, [3]float64{1, 0, 0}, [3]float64{0.299, 0.5 + 0.713*0.701, 0.5 - 0.564*0.299}, 1e-12, "red"},
		{YCrCb, [3]float64{0, 1, 0}, [3]float64{0.587, 0.5 - 0.713*0.587, 0.5 - 0.564*0.587}, 1e-12, "green"},
	}
	for _, tt := range tests {
		t.Run(tt.space.String()+" "+tt.comment, func(t *testing.T) {
			c0, c1, c2 := tt.space.FromRGB(tt.rgb[0], tt.rgb[1], tt.rgb[2])
			assert.InDelta(t, tt.want[0], c0, tt.tol)
			assert.InDelta(t, tt.want[1], c1, tt.tol)
			assert.InDelta(t, tt.want[2], c2, tt.tol)
		})
	}
}

// TestColorSpaceRoundTrip: RGB → space → RGB within 1e-6 on a grid of
// colours (the two pieces of the sRGB curve meet only to about 3e-8).
func TestColorSpaceRoundTrip(t *testing.T) {
	const n = 16
	for _, s := range []ColorSpace{YUV, YCrCb, Luv, Lab} {
		worst := 0.0
		for i := 0; i <= n; i++ {
			for j := 0; j <= n; j++ {
				for k := 0; k <= n; k++ {
					r, g, b := float64(i)/n, float64(j)/n, float64(k)/n
					c0, c1, c2 := s.FromRGB(r, g, b)
					r2, g2, b2 := s.ToRGB(c0, c1, c2)
					worst = math.Max(worst, math.Max(math.Abs(r-r2), math.Max(math.Abs(g-g2), math.Abs(b-b2))))
				}
			}
		}
		assert.Less(t, worst, 1e-6, "%v: worst round-trip error %g", s, worst)
		// Near the sRGB threshold and near black, where the pieces join.
		for _, v := range []float64{0.04045, 0.0404, 0.0405, 1e-6, 1e-3, 0.008, 0.0031308} {
			c0, c1, c2 := s.FromRGB(v, v/2, v/3)
			r, g, b := s.ToRGB(c0, c1, c2)
			assert.InDelta(t, v, r, 1e-6, "%v %g", s, v)
			assert.InDelta(t, v/2, g, 1e-6, "%v %g", s, v)
			assert.InDelta(t, v/3, b, 1e-6, "%v %g", s, v)
		}
	}
}

// TestColorSpaceToRGBFinite: out-of-gamut combinations, which arise when
// luminance and chroma of different images meet, stay finite.
func TestColorSpaceToRGBFinite(t *testing.T) {
	for _, s := range []ColorSpace{YUV, YCrCb, Luv, Lab} {
		for _, c := range [][3]float64{{0, 200, -200}, {100, -500, 500}, {1e-9, 175, 107}, {50, 0, -13 * 50 * whiteV}, {-5, 10, 10}, {0.5, 3, -3}} {
			r, g, b := s.ToRGB(c[0], c[1], c[2])
			for _, v := range []float64{r, g, b} {
				require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%v %v gives %v %v %v", s, c, r, g, b)
			}
		}
	}
}

// colorsReference mirrors testdata/colors_reference.json, written by
// colors_reference.py (numpy, from the published definitions).
type colorsReference struct {
	RGB      [][3]float64            `json:"rgb"`
	Convert  map[string][][3]float64 `json:"convert"`
	Preserve struct {
		Content  [][][3]int            `json:"content"`
		Stylized [][][3]int            `json:"stylized"`
		Out      map[string][][][3]int `json:"out"`
	} `json:"preserve"`
	Histogram struct {
		Src [][][3]int `json:"src"`
		Ref [][][3]int `json:"ref"`
		Out [][][3]int `json:"out"`
	} `json:"histogram"`
}

func loadColorsReference(t *testing.T) colorsReference {
	raw, err := os.ReadFile(filepath.Join("testdata", "colors_reference.json"))
	require.NoError(t, err)
	var ref colorsReference
	require.NoError(t, json.Unmarshal(raw, &ref))
	require.NotEmpty(t, ref.RGB)
	return ref
}

// imageFromRows builds an image from [row][col]{r,g,b}.
func imageFromRows(rows [][][3]int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, len(rows[0]), len(rows)))
	for y, row := range rows {
		for x, c := range row {
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(c[0]), uint8(c[1]), uint8(c[2]), 255
		}
	}
	return img
}

func TestColorSpaceGolden(t *testing.T) {
	ref := loadColorsReference(t)
	for name, want := range ref.Convert {
		s, err := ParseColorSpace(name)
		require.NoError(t, err)
		require.Len(t, want, len(ref.RGB))
		for i, rgb := range ref.RGB {
			c0, c1, c2 := s.FromRGB(rgb[0], rgb[1], rgb[2])
			assert.InDeltaSlice(t, want[i][:], []float64{c0, c1, c2}, 1e-9, "%s of %v", name, rgb)
		}
	}
	assert.Len(t, ref.Convert, 4)
}

func TestColorSpaceNames(t *testing.T) {
	for _, s := range []ColorSpace{YUV, YCrCb, Luv, Lab} {
		got, err := ParseColorSpace(s.String())
		require.NoError(t, err)
		assert.Equal(t, s, got)
		text, err := s.MarshalText()
		require.NoError(t, err)
		var back ColorSpace
		require.NoError(t, back.UnmarshalText(text))
		assert.Equal(t, s, back)
	}
	got, err := ParseColorSpace("YCrCb")
	require.NoError(t, err)
	assert.Equal(t, YCrCb, got)
	assert.Equal(t, YUV, ColorSpace(0), "the zero value is neural-style-tf's default")

	_, err = ParseColorSpace("hsv")
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.EqualError(t, err, `imageio: invalid argument: colour space "hsv" (want yuv, ycrcb, luv or lab)`)
	assert.Equal(t, "ColorSpace(9)", ColorSpace(9).String())
	_, err = ColorSpace(-1).MarshalText()
	require.ErrorIs(t, err, ErrInvalidArgument)
	c0, _, _ := ColorSpace(9).FromRGB(1, 1, 1)
	assert.True(t, math.IsNaN(c0))
	r, _, _ := ColorSpace(9).ToRGB(1, 1, 1)
	assert.True(t, math.IsNaN(r))

	// Usable as a flag.
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var s ColorSpace
	fs.TextVar(&s, "original-colors", YUV, "colour space")
	require.NoError(t, fs.Parse([]string{"-original-colors", "lab"}))
	assert.Equal(t, Lab, s)
}

// TestColorSpaceRanges checks the component ranges stated in the
// documentation, over a fine grid of the RGB cube.
func TestColorSpaceRanges(t *testing.T) {
	want := map[ColorSpace][3][2]float64{
		YUV:   {{0, 1}, {0.5 - 0.492*0.886, 0.5 + 0.492*0.886}, {0.5 - 0.877*0.701, 0.5 + 0.877*0.701}},
		YCrCb: {{0, 1}, {0, 1}, {0, 1}},
		Lab:   {{0, 100}, {-86.2, 98.3}, {-107.9, 94.5}},
		Luv:   {{0, 100}, {-83.1, 175.1}, {-134.2, 107.5}},
	}
	const n = 32
	for s, rng := range want {
		lo := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
		hi := [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
		for i := 0; i <= n; i++ {
			for j := 0; j <= n; j++ {
				for k := 0; k <= n; k++ {
					c0, c1, c2 := s.FromRGB(float64(i)/n, float64(j)/n, float64(k)/n)
					for m, v := range [3]float64{c0, c1, c2} {
						lo[m], hi[m] = math.Min(lo[m], v), math.Max(hi[m], v)
					}
				}
			}
		}
		for m := 0; m < 3; m++ {
			assert.GreaterOrEqual(t, lo[m], rng[m][0]-1e-9, "%v component %d", s, m)
			assert.LessOrEqual(t, hi[m], rng[m][1]+1e-9, "%v component %d", s, m)
			assert.InDelta(t, rng[m][0], lo[m], 0.2, "%v component %d minimum", s, m)
			assert.InDelta(t, rng[m][1], hi[m], 0.2, "%v component %d maximum", s, m)
		}
	}
}
