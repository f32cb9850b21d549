package style_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"log"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/style"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// Stylize one photograph with the real VGG19 weights. (Compiled, not run:
// the 534 MB weights file is not part of the repository.)
func ExampleTransfer() {
	model, err := vgg.Load("imagenet-vgg-verydeep-19.mat")
	if err != nil {
		log.Fatal(err)
	}
	photo, err := imageio.Load("photo.jpg", imageio.DecodeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	painting, err := imageio.Load("starry_night.jpg", imageio.DecodeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	res, err := style.Transfer(context.Background(), photo, painting,
		style.WithModel(model),
		style.WithIterations(500),
		style.WithProgress(func(p style.Progress) error {
			if p.Iteration%50 == 0 {
				fmt.Printf("iteration %d: loss %.4g (content %.3g, style %.3g, tv %.3g)\n",
					p.Iteration, p.Loss, p.Content, p.Style, p.TV)
			}
			return nil
		}),
	)
	if err != nil {
		log.Fatal(err)
	}
	if err := imageio.Save("photo_starry.png", res.Image, imageio.EncodeOptions{}); err != nil {
		log.Fatal(err)
	}
}

// A Transferer keeps its TensorFlow graph between transfers of the same size.
// This example runs on the tiny random network the tests use, so its output
// is not a real stylization; with vgg.Load("imagenet-vgg-verydeep-19.mat")
// it is.
func ExampleTransferer() {
	model, err := vgg.Load("../vgg/testdata/vgg19_new.mat")
	if err != nil {
		log.Fatal(err)
	}
	t, err := style.NewTransferer(style.WithModel(model), style.WithMaxSize(48), style.WithIterations(10))
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()

	painting := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for i := range painting.Pix {
		painting.Pix[i] = uint8(i * 7)
	}
	for _, shade := range []uint8{60, 180} {
		photo := image.NewUniform(color.RGBA{shade, 120, 200 - shade, 255})
		res, err := t.Transfer(context.Background(), &boundedImage{photo, image.Rect(0, 0, 64, 48)}, painting)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%v image after %d iterations, loss lower: %v\n",
			res.Image.Bounds().Size(), res.Iterations, res.Loss < res.History[0].Loss)
	}
	// Output:
	// (48,36) image after 10 iterations, loss lower: true
	// (48,36) image after 10 iterations, loss lower: true
}

// Loss scores an image by a transfer's own measure, for example a result
// against the photograph it started from, or a mixed-precision result
// evaluated in float32. This example runs on the tiny random network the
// tests use.
func ExampleTransferer_Loss() {
	model, err := vgg.Load("../vgg/testdata/vgg19_new.mat")
	if err != nil {
		log.Fatal(err)
	}
	t, err := style.NewTransferer(style.WithModel(model), style.WithMaxSize(48), style.WithIterations(20))
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()
	painting := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for i := range painting.Pix {
		painting.Pix[i] = uint8(i * 7)
	}
	photo := image.NewRGBA(image.Rect(0, 0, 48, 36))
	for i := range photo.Pix {
		photo.Pix[i] = uint8(i * 3)
	}
	res, err := t.Transfer(context.Background(), photo, painting)
	if err != nil {
		log.Fatal(err)
	}
	before, err := t.Loss(context.Background(), photo, painting, photo)
	if err != nil {
		log.Fatal(err)
	}
	after, err := t.Loss(context.Background(), photo, painting, res.Image)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("the result scores lower than the photograph: %v\n", after.Total < before.Total)
	fmt.Printf("the photograph has no content loss: %v\n", before.Content == 0)
	// Output:
	// the result scores lower than the photograph: true
	// the photograph has no content loss: true
}

// boundedImage gives an image.Uniform finite bounds.
type boundedImage struct {
	image.Image
	r image.Rectangle
}

func (b *boundedImage) Bounds() image.Rectangle { return b.r }

// Mixed bfloat16 precision halves the time of an iteration on CPUs with
// bfloat16 instructions, with Adam; it runs on GPUs too. Options are
// checked before any work, so where the device cannot run it the refusal
// costs nothing and the program can fall back to float32.
func ExampleWithPrecision() {
	model, err := vgg.Load("imagenet-vgg-verydeep-19.mat")
	if err != nil {
		log.Fatal(err)
	}
	photo, err := imageio.Load("photo.jpg", imageio.DecodeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	painting, err := imageio.Load("starry_night.jpg", imageio.DecodeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	opts := []style.Option{style.WithModel(model), style.WithOptimizer(style.Adam(1)), style.WithIterations(500)}
	res, err := style.Transfer(context.Background(), photo, painting, append(opts, style.WithPrecision(style.BFloat16))...)
	if errors.Is(err, style.ErrInvalidOption) {
		log.Printf("%v; using float32", err)
		res, err = style.Transfer(context.Background(), photo, painting, opts...)
	}
	if err != nil {
		log.Fatal(err)
	}
	if err := imageio.Save("photo_starry.png", res.Image, imageio.EncodeOptions{}); err != nil {
		log.Fatal(err)
	}
}

// The Fast preset: L-BFGS coarse to fine from 256 px, the quickest route
// measured to the tutorial recipe's result. This example runs on the tiny
// random network the tests use; with the ImageNet weights (the default
// when no model is given) it is a real stylization, about a minute at 512 px
// on two CPU cores.
func ExampleFast() {
	model, err := vgg.Load("../vgg/testdata/vgg19_new.mat")
	if err != nil {
		log.Fatal(err)
	}
	painting := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := range painting.Pix {
		painting.Pix[i] = uint8(i * 13)
	}
	photo := &boundedImage{image.NewUniform(color.RGBA{90, 140, 60, 255}), image.Rect(0, 0, 640, 480)}
	scales := map[string]int{}
	res, err := style.Transfer(context.Background(), photo, painting, style.WithModel(model), style.Fast(),
		style.WithProgress(func(p style.Progress) error {
			scales[fmt.Sprintf("%d×%d", p.Width, p.Height)]++
			return nil
		}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%v image; iterations per scale: %v\n", res.Image.Bounds().Size(), scales)
	// Output:
	// (512,384) image; iterations per scale: map[256×192:30 512×384:30]
}

// A run ends when its picture stops changing (WithConvergence, on by
// default with DefaultConvergence); WithIterations stays the cap and
// Convergence{} turns the rule off so that exactly that many iterations
// run. This example runs on the tiny random network the tests use.
func ExampleWithConvergence() {
	model, err := vgg.Load("../vgg/testdata/vgg19_new.mat")
	if err != nil {
		log.Fatal(err)
	}
	painting := image.NewRGBA(image.Rect(0, 0, 48, 48))
	for i := range painting.Pix {
		painting.Pix[i] = uint8(i * 13)
	}
	photo := &boundedImage{image.NewUniform(color.RGBA{90, 140, 60, 255}), image.Rect(0, 0, 64, 48)}
	for _, rule := range []style.Convergence{{Window: 20, MaxChange: 3}, {}} {
		res, err := style.Transfer(context.Background(), photo, painting, style.WithModel(model),
			style.WithMaxSize(64), style.WithIterations(300), style.WithConvergence(rule))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s before the cap: %v\n", res.Stop, res.Iterations < 300)
	}
	// Output:
	// converged before the cap: true
	// iteration limit before the cap: false
}
