package imageio

import (
	"image"
)

// fixVP8Range converts a lossy WebP image from golang.org/x/image/webp to
// RGB with the right matrix. VP8 stores limited-range ("studio swing")
// BT.601 Y′CbCr (Y 16..235, Cb/Cr 16..240), but x/image/webp returns the
// planes as image.YCbCr / image.NYCbCrA, whose colour model is full-range
// JFIF: read as is, blacks are lifted, whites dimmed and colours washed out
// (golang/go#40173). This applies the BT.601 limited-range equations
//
//	R = 1.164(Y−16) + 1.596(Cr−128)
//	G = 1.164(Y−16) − 0.813(Cr−128) − 0.391(Cb−128)
//	B = 1.164(Y−16) + 2.018(Cb−128)
//
// with nearest-neighbour chroma, and returns an *image.RGBA (opaque) or, for
// an image with an alpha plane, an *image.NRGBA. Other images are returned
// unchanged (lossless WebP is already RGB).
func fixVP8Range(img image.Image) image.Image {
	var (
		yc    *image.YCbCr
		alpha []uint8
		astr  int
	)
	switch m := img.(type) {
	case *image.YCbCr:
		yc = m
	case *image.NYCbCrA:
		yc, alpha, astr = &m.YCbCr, m.A, m.AStride
	default:
		return img
	}
	b := yc.Rect
	var pix []uint8
	var stride int
	var out image.Image
	if alpha == nil {
		o := image.NewRGBA(b)
		pix, stride, out = o.Pix, o.Stride, o
	} else {
		o := image.NewNRGBA(b)
		pix, stride, out = o.Pix, o.Stride, o
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		d := pix[(y-b.Min.Y)*stride:]
		for x := b.Min.X; x < b.Max.X; x++ {
			yy := 1.164 * (float64(yc.Y[yc.YOffset(x, y)]) - 16)
			ci := yc.COffset(x, y)
			cb, cr := float64(yc.Cb[ci])-128, float64(yc.Cr[ci])-128
			i := 4 * (x - b.Min.X)
			d[i] = clampRound(yy + 1.596*cr)
			d[i+1] = clampRound(yy - 0.813*cr - 0.391*cb)
			d[i+2] = clampRound(yy + 2.018*cb)
			if alpha == nil {
				d[i+3] = 255
			} else {
				d[i+3] = alpha[(y-b.Min.Y)*astr+(x-b.Min.X)]
			}
		}
	}
	return out
}

// clampRound rounds v to the nearest integer in 0..255.
func clampRound(v float64) uint8 {
	switch {
	case !(v > 0):
		return 0
	case v >= 254.5:
		return 255
	}
	return uint8(v + 0.5)
}
