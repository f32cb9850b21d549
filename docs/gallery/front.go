//go:build ignore

// Front makes the README's picture, docs/gallery/front.png: the photo, the
// painting and the result side by side, each scaled to the same height.
// It only composes existing images (no TensorFlow):
//
//	go run docs/gallery/front.go
//
// run from the repository root. The result is the gallery's coarse-to-fine
// 1024 px picture (docs/gallery/make.sh, "coffee_starry_night_1024").
package main

import (
	"image"
	"image/color"
	"image/draw"
	"log"

	"github.com/neuralstyle/neuralstyle/imageio"
)

const (
	height = 240 // px, every panel
	gap    = 8   // px of white between panels
	out    = "docs/gallery/front.png"
)

var panels = []string{
	"examples/images/coffee.jpg",                // the photo
	"examples/images/starry_night.jpg",          // the painting
	"docs/gallery/coffee_starry_night_1024.jpg", // the result
}

func main() {
	var scaled []image.Image
	width := gap * (len(panels) - 1)
	for _, p := range panels {
		img, err := imageio.Load(p, imageio.DecodeOptions{})
		if err != nil {
			log.Fatal(err)
		}
		b := img.Bounds()
		w := (b.Dx()*height + b.Dy()/2) / b.Dy()
		s, err := imageio.ResizeTo(img, w, height)
		if err != nil {
			log.Fatal(err)
		}
		scaled = append(scaled, s)
		width += w
	}
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	x := 0
	for _, s := range scaled {
		r := image.Rect(x, 0, x+s.Bounds().Dx(), height)
		draw.Draw(dst, r, s, s.Bounds().Min, draw.Src)
		x = r.Max.X + gap
	}
	if err := imageio.Save(out, dst, imageio.EncodeOptions{JPEGQuality: 90}); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s (%d×%d)", out, width, height)
}
