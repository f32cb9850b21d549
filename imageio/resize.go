package imageio

import (
	"fmt"
	"image"
	"math"

	"golang.org/x/image/draw"
)

// FitSize returns the size of a w×h image scaled so that its longer side is
// maxSide, keeping the aspect ratio: the shorter side is rounded to the
// nearest integer and is at least 1. Non-positive arguments give (0, 0).
func FitSize(w, h, maxSide int) (int, int) {
	if w <= 0 || h <= 0 || maxSide <= 0 {
		return 0, 0
	}
	if w >= h {
		return maxSide, max(1, int(math.Round(float64(h)*float64(maxSide)/float64(w))))
	}
	return max(1, int(math.Round(float64(w)*float64(maxSide)/float64(h)))), maxSide
}

// Resize returns img scaled, up or down, so that its longer side is maxSide
// pixels, keeping the aspect ratio (see FitSize). It is ResizeTo with that
// size; callers that only want to shrink large images compare first:
//
//	if b := img.Bounds(); max(b.Dx(), b.Dy()) > 512 { img, err = imageio.Resize(img, 512) }
func Resize(img image.Image, maxSide int) (*image.RGBA, error) {
	if maxSide <= 0 {
		return nil, fmt.Errorf("imageio: resize: %w: max side %d", ErrInvalidArgument, maxSide)
	}
	if img == nil {
		return nil, fmt.Errorf("imageio: resize: %w: nil image", ErrInvalidArgument)
	}
	b := img.Bounds()
	if b.Empty() {
		return nil, fmt.Errorf("imageio: resize: %w: %dx%d", ErrEmpty, b.Dx(), b.Dy())
	}
	w, h := FitSize(b.Dx(), b.Dy(), maxSide)
	return ResizeTo(img, w, h)
}

// ResizeTo returns img scaled to exactly w×h pixels with Catmull-Rom
// resampling (golang.org/x/image/draw.CatmullRom), as an opaque *image.RGBA
// with bounds starting at (0, 0). The image is flattened first (ToRGBA:
// alpha over white), so translucent edges do not darken. When the size is
// unchanged the result is a flattened copy.
//
// It fails with ErrInvalidArgument for a non-positive or overflowing size or
// a nil img, and with ErrEmpty for an empty img. ResizeTo is safe for concurrent use.
func ResizeTo(img image.Image, w, h int) (*image.RGBA, error) {
	if w <= 0 || h <= 0 || w > math.MaxInt/4/h {
		return nil, fmt.Errorf("imageio: resize: %w: target size %dx%d", ErrInvalidArgument, w, h)
	}
	if img == nil {
		return nil, fmt.Errorf("imageio: resize: %w: nil image", ErrInvalidArgument)
	}
	b := img.Bounds()
	if b.Empty() {
		return nil, fmt.Errorf("imageio: resize: %w: %dx%d", ErrEmpty, b.Dx(), b.Dy())
	}
	src := ToRGBA(img)
	if b.Dx() == w && b.Dy() == h {
		return src, nil
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Rect, src, src.Rect, draw.Src, nil)
	for i := 3; i < len(dst.Pix); i += 4 {
		dst.Pix[i] = 255 // the kernel's weights sum to 1 only up to rounding
	}
	return dst, nil
}
