package imageio

import (
	"fmt"
	"image"
	"math"
)

// Mean is a per-channel mean pixel in R, G, B order, on the 0..255 scale,
// subtracted by ToTensor and added back by FromTensor.
type Mean [3]float32

// VGGMean is the ImageNet mean pixel that the VGG networks were trained with
// (R 123.68, G 116.779, B 103.939), as used by neural-style-tf and stored in
// the MatConvNet weights file.
var VGGMean = Mean{123.68, 116.779, 103.939}

// ToTensor returns img as a float32 tensor of shape [1, h, w, 3] (NHWC,
// batch 1, row-major, RGB) holding pixel values on the 0..255 scale minus
// mean. The image is first flattened to opaque 8-bit RGB as ToRGBA does
// (alpha composited over white); its bounds need not start at (0, 0).
//
// An empty or nil image gives an empty slice and h = w = 0. ToTensor is safe
// for concurrent use.
func ToTensor(img image.Image, mean Mean) (data []float32, h, w int) {
	if img == nil {
		return []float32{}, 0, 0
	}
	b := img.Bounds()
	h, w = b.Dy(), b.Dx()
	if b.Empty() {
		return []float32{}, 0, 0
	}
	rgba, ok := img.(*image.RGBA)
	if !ok {
		rgba, b = ToRGBA(img), image.Rect(0, 0, w, h)
	}
	data = make([]float32, h*w*3)
	m0, m1, m2 := mean[0], mean[1], mean[2]
	for y := 0; y < h; y++ {
		s := rgba.Pix[rgba.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
		d := data[y*w*3:][:3*w]
		for x := 0; x < w; x++ {
			r, g, bl, a := s[4*x], s[4*x+1], s[4*x+2], s[4*x+3]
			if a != 255 { // premultiplied: composite over white
				k := 255 - int(a)
				r, g, bl = sat8(int(r)+k), sat8(int(g)+k), sat8(int(bl)+k)
			}
			d[3*x] = float32(r) - m0
			d[3*x+1] = float32(g) - m1
			d[3*x+2] = float32(bl) - m2
		}
	}
	return data, h, w
}

// FromTensor is the inverse of ToTensor: it reads data as a [1, h, w, 3] RGB
// tensor, adds mean back, rounds to the nearest integer (halves away from
// zero), clamps to 0..255 (NaN becomes 0) and returns an opaque image with
// bounds (0, 0)-(w, h). For an 8-bit image, FromTensor(ToTensor(img)) is
// exact.
//
// It fails with ErrInvalidArgument when h or w is not positive or len(data)
// is not h·w·3. FromTensor is safe for concurrent use; data is not modified.
func FromTensor(data []float32, h, w int, mean Mean) (*image.RGBA, error) {
	if h <= 0 || w <= 0 || w > math.MaxInt/3/h {
		return nil, fmt.Errorf("imageio: %w: tensor shape %dx%dx3", ErrInvalidArgument, h, w)
	}
	if len(data) != h*w*3 {
		return nil, fmt.Errorf("imageio: %w: tensor has %d values, want %d for shape [1 %d %d 3]",
			ErrInvalidArgument, len(data), h*w*3, h, w)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		s := data[y*w*3:][:3*w]
		d := img.Pix[y*img.Stride:][:4*w]
		for x := 0; x < w; x++ {
			d[4*x] = unit8(s[3*x] + mean[0])
			d[4*x+1] = unit8(s[3*x+1] + mean[1])
			d[4*x+2] = unit8(s[3*x+2] + mean[2])
			d[4*x+3] = 255
		}
	}
	return img, nil
}

// unit8 rounds and clamps a 0..255-scale value to a byte; NaN gives 0.
func unit8(v float32) uint8 {
	switch {
	case !(v > 0): // also NaN
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
