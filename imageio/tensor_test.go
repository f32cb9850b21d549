package imageio

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func randomRGBA(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	return img
}

func TestToTensorLayout(t *testing.T) {
	img := image.NewNRGBA(image.Rect(10, 20, 13, 22)) // 3 wide, 2 high, away from the origin
	img.SetNRGBA(10, 20, color.NRGBA{1, 2, 3, 255})
	img.SetNRGBA(12, 20, color.NRGBA{4, 5, 6, 255})
	img.SetNRGBA(10, 21, color.NRGBA{7, 8, 9, 255})
	img.SetNRGBA(12, 21, color.NRGBA{200, 100, 0, 0}) // transparent: white
	data, h, w := ToTensor(img, Mean{1, 2, 3})
	require.Equal(t, 2, h)
	require.Equal(t, 3, w)
	// [1, h, w, 3], row-major, RGB minus mean. Unset pixels are transparent: white.
	want := []float32{
		0, 0, 0, 254, 253, 252, 3, 3, 3,
		6, 6, 6, 254, 253, 252, 254, 253, 252,
	}
	assert.Equal(t, want, data)
}

func TestTensorRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		img  image.Image
	}{
		{"random rgba", randomRGBA(37, 23, 1)},
		{"pattern nrgba", pattern()},
		{"gray", grayPattern()},
		{"1x1", randomRGBA(1, 1, 2)},
		{"offset subimage", randomRGBA(40, 40, 3).SubImage(image.Rect(7, 9, 30, 17))},
	}
	for _, tt := range tests {
		for _, mean := range []Mean{{}, VGGMean, {255, -255, 0.5}} {
			t.Run(tt.name, func(t *testing.T) {
				data, h, w := ToTensor(tt.img, mean)
				require.Len(t, data, h*w*3)
				back, err := FromTensor(data, h, w, mean)
				require.NoError(t, err)
				assert.Equal(t, ToRGBA(tt.img).Pix, back.Pix)
			})
		}
	}
}

func TestToTensorTranslucentRGBA(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Pix = []uint8{100, 50, 0, 128} // premultiplied
	data, _, _ := ToTensor(img, Mean{})
	assert.Equal(t, []float32{227, 177, 127}, data) // as ToRGBA
}

func TestToTensorEmpty(t *testing.T) {
	data, h, w := ToTensor(image.NewRGBA(image.Rect(0, 0, 0, 5)), VGGMean)
	assert.Empty(t, data)
	assert.Zero(t, h)
	assert.Zero(t, w)
}

func TestFromTensorRoundsAndClamps(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	data := []float32{-1, 0.49, 0.5, 254.5, 255.7, 1e9, nan, inf, -inf}
	img, err := FromTensor(data, 1, 3, Mean{})
	require.NoError(t, err)
	assert.Equal(t, []uint8{0, 0, 1, 255, 255, 255, 255, 255, 0, 255, 0, 255}, img.Pix)
	// The mean is added back before rounding.
	img, err = FromTensor([]float32{-123.68, 0, 10}, 1, 1, VGGMean)
	require.NoError(t, err)
	assert.Equal(t, []uint8{0, 117, 114, 255}, img.Pix)
}

func TestFromTensorErrors(t *testing.T) {
	tests := []struct {
		name string
		data []float32
		h, w int
		msg  string
	}{
		{"short", make([]float32, 5), 1, 2, "imageio: invalid argument: tensor has 5 values, want 6 for shape [1 1 2 3]"},
		{"long", make([]float32, 7), 1, 2, "tensor has 7 values, want 6"},
		{"zero height", nil, 0, 2, "imageio: invalid argument: tensor shape 0x2x3"},
		{"negative width", nil, 2, -1, "tensor shape 2x-1x3"},
		{"overflowing shape", nil, math.MaxInt / 2, 4, "tensor shape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := FromTensor(tt.data, tt.h, tt.w, VGGMean)
			require.ErrorIs(t, err, ErrInvalidArgument)
			assert.Nil(t, img)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}
