package vgg_test

import (
	"fmt"

	"github.com/neuralstyle/neuralstyle/vgg"
)

// FindWeights picks the weights file a program uses by default; an explicit
// name always wins. With "" it would return $NEURALSTYLE_WEIGHTS, else
// ./imagenet-vgg-verydeep-19.mat, else the VGG16 that `make weights` installs.
func ExampleFindWeights() {
	path, origin, err := vgg.FindWeights("my-vgg19.mat")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s (%s)\n", path, origin)
	// Output: my-vgg19.mat (given as an option)
}
