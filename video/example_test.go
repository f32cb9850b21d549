package video_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"log"

	"github.com/neuralstyle/neuralstyle/style"
	"github.com/neuralstyle/neuralstyle/vgg"
	"github.com/neuralstyle/neuralstyle/video"
)

// clip returns frame i of a tiny clip: a gradient sliding right.
func clip(i int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(4 * ((x - 2*i) & 63)), uint8(5 * y), 120, 255})
		}
	}
	return img
}

// Stylize the frames of a clip in order: each starts from the previous
// output warped by the optical flow, held to it by the temporal loss.
func ExampleStylizer() {
	model, err := vgg.Load("../vgg/testdata/vgg19_new.mat") // the real VGG in practice
	if err != nil {
		log.Fatal(err)
	}
	tr, err := style.NewTransferer(style.WithModel(model))
	if err != nil {
		log.Fatal(err)
	}
	defer tr.Close()
	st, err := video.NewStylizer(tr, video.Config{
		Style: clip(40), MaxSize: 32, FirstFrameIterations: 20, Iterations: 10,
		Flow: video.DIS{Preset: video.DISMedium},
	})
	if err != nil {
		log.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		f, err := st.Next(context.Background(), clip(i))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("frame %d: %v, temporal loss on: %v\n", f.Index, f.Image.Bounds().Size(), f.Index > 1 && f.Result.History[0].Terms > 0)
	}
	// Output:
	// frame 1: (32,24), temporal loss on: false
	// frame 2: (32,24), temporal loss on: true
	// frame 3: (32,24), temporal loss on: true
}

// The consistency mask and the warp of the previous output, by hand.
func ExampleConsistency() {
	fwd, bwd := video.NewFlow(8, 8), video.NewFlow(8, 8)
	for i := 0; i < len(fwd.UV); i += 2 {
		fwd.UV[i], bwd.UV[i] = 1, -1 // everything moves one pixel right
	}
	mask, err := video.Consistency(fwd, bwd)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("first row:", mask[:8]) // x = 0 came from outside the frame
	// Output:
	// first row: [0 1 1 1 1 1 1 1]
}
