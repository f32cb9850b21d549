package imageio_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"log"
	"os"
	"path/filepath"

	"github.com/neuralstyle/neuralstyle/imageio"
)

// A content image travels from a file to a VGG input tensor and back.
func Example() {
	dir, err := os.MkdirTemp("", "imageio-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// A 640×480 stand-in for a photograph.
	photo := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range photo.Pix {
		photo.Pix[i] = uint8(i)
	}
	in := filepath.Join(dir, "content.png")
	if err := imageio.Save(in, photo, imageio.EncodeOptions{}); err != nil {
		log.Fatal(err)
	}

	img, err := imageio.Load(in, imageio.DecodeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	small, err := imageio.Resize(img, 512) // longest side 512, aspect kept
	if err != nil {
		log.Fatal(err)
	}
	data, h, w := imageio.ToTensor(small, imageio.VGGMean)
	fmt.Printf("tensor shape [1 %d %d 3], %d values\n", h, w, len(data))

	// ... optimise data ...

	out, err := imageio.FromTensor(data, h, w, imageio.VGGMean)
	if err != nil {
		log.Fatal(err)
	}
	if err := imageio.Save(filepath.Join(dir, "result.jpg"), out, imageio.EncodeOptions{JPEGQuality: 90}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("saved", out.Bounds().Dx(), "x", out.Bounds().Dy())
	// Output:
	// tensor shape [1 384 512 3], 589824 values
	// saved 512 x 384
}

// Errors say what is wrong and can be told apart with errors.Is.
func ExampleDecode_errors() {
	inputs := map[string][]byte{
		"text":      []byte("this is not a picture"),
		"empty":     nil,
		"too big":   []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x02\x00\x00\x00\x27\x30\x9c\x9f"),
		"truncated": []byte("\x89PNG\r\n\x1a\n\x00\x00"),
	}
	for _, name := range []string{"text", "empty", "too big", "truncated"} {
		_, _, err := imageio.Decode(bytes.NewReader(inputs[name]), imageio.DecodeOptions{})
		switch {
		case errors.Is(err, imageio.ErrUnknownFormat):
			fmt.Println("unknown:", err)
		case errors.Is(err, imageio.ErrEmpty):
			fmt.Println("empty:", err)
		case errors.Is(err, imageio.ErrTooLarge):
			fmt.Println("too large:", err)
		case errors.Is(err, imageio.ErrCorrupt):
			fmt.Println("corrupt:", err)
		}
	}
	// Output:
	// unknown: imageio: unknown image format (content starts with "this is ")
	// empty: imageio: empty image: input has zero bytes
	// too large: imageio: image too large: png image is 100000x100000 = 10000000000 pixels, over the limit of 50000000
	// corrupt: imageio: corrupt image (png): unexpected EOF
}

func ExampleToRGBA() {
	// A half-transparent red pixel is composited over white.
	img := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	img.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 128})
	fmt.Println(imageio.ToRGBA(img).Pix)
	// Output: [255 127 127 255]
}

func ExampleColorSpace() {
	s, err := imageio.ParseColorSpace("lab")
	if err != nil {
		log.Fatal(err)
	}
	l, a, b := s.FromRGB(1, 0, 0) // sRGB red
	fmt.Printf("%v of red: L=%.2f a=%.2f b=%.2f\n", s, l, a, b)
	// Output: lab of red: L=53.24 a=80.09 b=67.20
}

func ExamplePreserveColors() {
	content := image.NewUniform(color.RGBA{200, 40, 40, 255}) // red
	stylized := image.NewRGBA(image.Rect(0, 0, 2, 1))         // a dark and a light gray
	stylized.Pix = []uint8{60, 60, 60, 255, 200, 200, 200, 255}
	contentImg := image.NewRGBA(image.Rect(0, 0, 2, 1))
	for x := 0; x < 2; x++ {
		contentImg.Set(x, 0, content.C)
	}
	out, err := imageio.PreserveColors(contentImg, stylized, imageio.YUV)
	if err != nil {
		log.Fatal(err)
	}
	// The stylized image's light and dark, in the content's red.
	fmt.Println(out.Pix)
	// Output: [172 12 12 255 255 152 152 255]
}

func ExampleMatchHistogram() {
	src := image.NewGray(image.Rect(0, 0, 4, 1))
	src.Pix = []uint8{0, 10, 20, 30}
	ref := image.NewGray(image.Rect(0, 0, 4, 1))
	ref.Pix = []uint8{100, 150, 200, 250}
	out, err := imageio.MatchHistogram(src, ref)
	if err != nil {
		log.Fatal(err)
	}
	for i := 0; i < len(out.Pix); i += 4 {
		fmt.Print(out.Pix[i], " ")
	}
	fmt.Println()
	// Output: 100 150 200 250
}
