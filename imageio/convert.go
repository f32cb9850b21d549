package imageio

import (
	"image"
	"image/color"
	"image/draw"
)

// ToRGBA returns img as opaque 8-bit RGB, stored in a new *image.RGBA whose
// bounds start at (0, 0) and whose alpha is 255 everywhere.
//
// Any image type is accepted: 16-bit images are rounded to the nearest 8-bit
// value, grayscale is replicated to three channels, paletted and CMYK images
// are converted through their colour model, and translucent pixels are
// composited over WHITE (out = colour·α + white·(1−α)), which is what a viewer
// shows for a transparent PNG on a white page. A style-transfer network has
// no alpha channel, so this is the one place where alpha is decided.
//
// The result never aliases img; a nil img gives an empty image. ToRGBA is
// safe for concurrent use.
func ToRGBA(img image.Image) *image.RGBA {
	if img == nil {
		return image.NewRGBA(image.Rectangle{})
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	if b.Empty() {
		return dst
	}
	w, h := b.Dx(), b.Dy()
	switch src := img.(type) {
	case *image.RGBA:
		// Premultiplied: over white is c + (255 − α), exact in 8 bits
		// (saturated for malformed pixels with c > α).
		for y := 0; y < h; y++ {
			s := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			d := dst.Pix[y*dst.Stride:][:4*w]
			for i := 0; i < len(s); i += 4 {
				if s[i+3] == 255 {
					d[i], d[i+1], d[i+2] = s[i], s[i+1], s[i+2]
				} else {
					k := 255 - int(s[i+3])
					d[i], d[i+1], d[i+2] = sat8(int(s[i])+k), sat8(int(s[i+1])+k), sat8(int(s[i+2])+k)
				}
				d[i+3] = 255
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			s := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			d := dst.Pix[y*dst.Stride:][:4*w]
			for i := 0; i < len(s); i += 4 {
				a := uint32(s[i+3])
				if a == 255 {
					d[i], d[i+1], d[i+2] = s[i], s[i+1], s[i+2]
				} else {
					k := 255 * (255 - a)
					d[i] = uint8((uint32(s[i])*a + k + 127) / 255)
					d[i+1] = uint8((uint32(s[i+1])*a + k + 127) / 255)
					d[i+2] = uint8((uint32(s[i+2])*a + k + 127) / 255)
				}
				d[i+3] = 255
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			s := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			d := dst.Pix[y*dst.Stride:][:4*w]
			for x, v := range s {
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = v, v, v, 255
			}
		}
	case *image.YCbCr:
		// Opaque; the standard library's fast path gives the same values as
		// color.YCbCrToRGB.
		draw.Draw(dst, dst.Rect, src, b.Min, draw.Src)
	case *image.Paletted:
		var lut [256][3]uint8
		for i := range lut {
			lut[i] = [3]uint8{255, 255, 255} // an index outside the palette reads as transparent
			if i < len(src.Palette) && src.Palette[i] != nil {
				lut[i] = flatten(src.Palette[i])
			}
		}
		for y := 0; y < h; y++ {
			s := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			d := dst.Pix[y*dst.Stride:][:4*w]
			for x, v := range s {
				c := lut[v]
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = c[0], c[1], c[2], 255
			}
		}
	default:
		for y := 0; y < h; y++ {
			d := dst.Pix[y*dst.Stride:][:4*w]
			for x := 0; x < w; x++ {
				c := [3]uint8{255, 255, 255}
				if col := img.At(b.Min.X+x, b.Min.Y+y); col != nil {
					c = flatten(col)
				}
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = c[0], c[1], c[2], 255
			}
		}
	}
	return dst
}

// flatten composites c over white and rounds each channel to 8 bits.
func flatten(c color.Color) [3]uint8 {
	r, g, b, a := c.RGBA() // 16-bit, premultiplied
	k := 0xffff - a
	return [3]uint8{to8(r + k), to8(g + k), to8(b + k)}
}

// to8 rounds a 16-bit channel value to the nearest 8-bit one (v/257).
func to8(v uint32) uint8 {
	if v > 0xffff { // only for malformed colours with c > α
		v = 0xffff
	}
	return uint8((v + 128) / 257)
}

// sat8 clamps v to 0..255.
func sat8(v int) uint8 {
	return uint8(min(max(v, 0), 255))
}
