package vgg_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/neuralstyle/neuralstyle/vgg"
)

// Load the real weights (download them first, see the package documentation)
// and look at what a 480×640 image becomes in the network. Not run: the file is
// not part of the module.
func ExampleLoad() {
	model, err := vgg.Load("imagenet-vgg-verydeep-19.mat")
	switch {
	case errors.Is(err, vgg.ErrTruncated):
		log.Fatalf("download the file again: %v", err)
	case errors.Is(err, vgg.ErrUnsupportedFormat):
		log.Fatalf("re-save the file: %v", err)
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println(model.Arch(), "mean pixel", model.MeanPixel())
	for _, layer := range []string{"conv4_2", "relu5_1", "pool5"} {
		h, w, c, err := model.LayerShape(layer, 480, 640)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d×%d×%d\n", layer, h, w, c)
	}
}
