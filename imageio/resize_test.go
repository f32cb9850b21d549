package imageio

import (
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFitSize(t *testing.T) {
	tests := []struct {
		w, h, max    int
		wantW, wantH int
	}{
		{640, 480, 512, 512, 384},
		{480, 640, 512, 384, 512},
		{600, 400, 512, 512, 341}, // 341.33
		{451, 300, 512, 512, 341}, // 340.58 rounds up
		{512, 512, 256, 256, 256},
		{100, 50, 512, 512, 256}, // upscales
		{1000, 1, 10, 10, 1},     // never below 1
		{3, 2, 1, 1, 1},
		{0, 5, 10, 0, 0},
		{5, 5, 0, 0, 0},
	}
	for _, tt := range tests {
		w, h := FitSize(tt.w, tt.h, tt.max)
		assert.Equal(t, [2]int{tt.wantW, tt.wantH}, [2]int{w, h}, "%dx%d to %d", tt.w, tt.h, tt.max)
	}
}

func TestResizeKeepsAspect(t *testing.T) {
	for _, size := range []image.Point{{64, 48}, {48, 64}, {451, 30}, {37, 120}, {7, 5}} {
		img := randomRGBA(size.X, size.Y, 4)
		for _, maxSide := range []int{50, 13, 200} {
			got, err := Resize(img, maxSide)
			require.NoError(t, err)
			w, h := got.Rect.Dx(), got.Rect.Dy()
			assert.Equal(t, maxSide, max(w, h))
			// The aspect ratio is kept up to the rounding of the short side.
			want := float64(size.X) / float64(size.Y)
			if size.X >= size.Y {
				assert.InDelta(t, float64(h), float64(w)/want, 0.5+1e-9)
			} else {
				assert.InDelta(t, float64(w), float64(h)*want, 0.5+1e-9)
			}
			for i := 3; i < len(got.Pix); i += 4 {
				require.Equal(t, uint8(255), got.Pix[i])
			}
		}
	}
}

// TestResizeValues: a uniform image stays uniform (the kernel's weights sum
// to one), a 2:1 downscale of a smooth ramp stays a ramp, and alpha is
// composited over white before filtering.
func TestResizeValues(t *testing.T) {
	uniform := image.NewUniform(color.NRGBA{10, 128, 250, 255})
	img := image.NewNRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, uniform.C)
		}
	}
	got, err := ResizeTo(img, 17, 9)
	require.NoError(t, err)
	for i := 0; i < len(got.Pix); i += 4 {
		require.Equal(t, []uint8{10, 128, 250, 255}, got.Pix[i:i+4])
	}

	ramp := image.NewGray(image.Rect(0, 0, 256, 4))
	for x := 0; x < 256; x++ {
		for y := 0; y < 4; y++ {
			ramp.Pix[y*ramp.Stride+x] = uint8(x)
		}
	}
	half, err := ResizeTo(ramp, 128, 2)
	require.NoError(t, err)
	for x := 2; x < 126; x++ { // away from the edges
		v := float64(half.Pix[4*x])
		assert.InDelta(t, 2*float64(x)+0.5, v, 1, "x=%d", x)
	}

	clear := image.NewNRGBA(image.Rect(0, 0, 20, 20)) // fully transparent black
	white, err := ResizeTo(clear, 7, 7)
	require.NoError(t, err)
	for i := 0; i < len(white.Pix); i++ {
		require.Equal(t, uint8(255), white.Pix[i])
	}
}

func TestResizeSameSizeCopies(t *testing.T) {
	img := randomRGBA(9, 4, 5)
	got, err := ResizeTo(img, 9, 4)
	require.NoError(t, err)
	assert.Equal(t, img.Pix, got.Pix)
	got.Pix[0]++
	assert.NotEqual(t, img.Pix[0], got.Pix[0])
}

func TestResizeErrors(t *testing.T) {
	img := randomRGBA(4, 4, 6)
	empty := image.NewRGBA(image.Rect(0, 0, 0, 3))
	tests := []struct {
		name string
		run  func() (*image.RGBA, error)
		want error
		msg  string
	}{
		{"max side 0", func() (*image.RGBA, error) { return Resize(img, 0) }, ErrInvalidArgument, "imageio: resize: invalid argument: max side 0"},
		{"max side negative", func() (*image.RGBA, error) { return Resize(img, -3) }, ErrInvalidArgument, "max side -3"},
		{"empty image", func() (*image.RGBA, error) { return Resize(empty, 10) }, ErrEmpty, "imageio: resize: empty image: 0x3"},
		{"target 0 wide", func() (*image.RGBA, error) { return ResizeTo(img, 0, 5) }, ErrInvalidArgument, "target size 0x5"},
		{"target overflows", func() (*image.RGBA, error) { return ResizeTo(img, math.MaxInt/2, 3) }, ErrInvalidArgument, "target size"},
		{"ResizeTo empty", func() (*image.RGBA, error) { return ResizeTo(empty, 5, 5) }, ErrEmpty, "empty image"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.run()
			require.ErrorIs(t, err, tt.want)
			assert.Nil(t, got)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}
