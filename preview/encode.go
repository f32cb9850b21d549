package preview

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/jpeg"

	"golang.org/x/image/draw"
)

// encodeJPEG encodes img as a JPEG of the given quality.
func encodeJPEG(img image.Image, quality int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("preview: encoding the image: %w", err)
	}
	return buf.Bytes(), nil
}

// dataURL is the data: URL of a JPEG.
func dataURL(jpg []byte) string {
	return "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(jpg)
}

// thumbnail scales img down to at most size pixels on its longest side and
// returns it as the data: URL of a JPEG.
func thumbnail(img image.Image, size, quality int) (string, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > size || h > size {
		if w >= h {
			w, h = size, max(1, h*size/b.Dx())
		} else {
			w, h = max(1, w*size/b.Dy()), size
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	data, err := encodeJPEG(dst, quality)
	if err != nil {
		return "", err
	}
	return dataURL(data), nil
}
