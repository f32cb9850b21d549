package imageio

import (
	"bytes"
	"image"
	"image/color"
	"testing"

	"github.com/stretchr/testify/require"
)

// The test pattern: 24×16, six 8×8 blocks, the same colours as
// testdata/make_images.py.
var patternColours = [2][3]color.NRGBA{
	{{230, 30, 30, 255}, {30, 200, 40, 255}, {40, 60, 220, 255}},
	{{240, 220, 40, 255}, {30, 200, 210, 255}, {200, 50, 200, 255}},
}

const patW, patH, patBlock = 24, 16, 8

// pattern returns the test pattern as an *image.NRGBA.
func pattern() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, patW, patH))
	for y := 0; y < patH; y++ {
		for x := 0; x < patW; x++ {
			img.SetNRGBA(x, y, patternColours[y/patBlock][x/patBlock])
		}
	}
	return img
}

// grayPattern returns the pattern's six blocks as distinct gray levels.
func grayPattern() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, patW, patH))
	for y := 0; y < patH; y++ {
		for x := 0; x < patW; x++ {
			img.SetGray(x, y, color.Gray{Y: uint8(20 + 40*(3*(y/patBlock)+x/patBlock))})
		}
	}
	return img
}

// rgbAt returns the 8-bit RGB of a flattened image at (x, y) relative to its
// bounds' origin.
func rgbAt(img *image.RGBA, x, y int) [3]int {
	i := img.PixOffset(img.Rect.Min.X+x, img.Rect.Min.Y+y)
	return [3]int{int(img.Pix[i]), int(img.Pix[i+1]), int(img.Pix[i+2])}
}

// requireNear asserts that two RGB triples differ by at most tol per channel.
func requireNear(t *testing.T, want, got [3]int, tol int, msgAndArgs ...any) {
	t.Helper()
	for c := 0; c < 3; c++ {
		d := want[c] - got[c]
		if d < -tol || d > tol {
			require.Failf(t, "colour differs", "want %v, got %v (tolerance %d) %v", want, got, tol, msgAndArgs)
		}
	}
}

// encodeWith runs an encoder into a new byte slice.
func encodeWith(t testing.TB, enc func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, enc(&b))
	return b.Bytes()
}
