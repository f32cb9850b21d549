package style_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"log"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/style"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// An extra loss term built on the image tensor with data of its own: here
// the mean squared distance to a grey target, which the optimizer then
// reaches when it is the only term. Package video's temporal loss is built
// the same way.
func ExampleWithTerms() {
	model, err := vgg.Load("../vgg/testdata/vgg19_new.mat")
	if err != nil {
		log.Fatal(err)
	}
	mean := model.MeanPixel()
	target := make([]float32, 24*32*3) // [1, 24, 32, 3], mean-subtracted: grey 128
	for i := range target {
		target[i] = 128 - mean[i%3]
	}
	in, err := tf.NewTensor(target)
	if err != nil {
		log.Fatal(err)
	}
	if err := in.Reshape([]int64{1, 24, 32, 3}); err != nil {
		log.Fatal(err)
	}
	pull := style.Term{
		Name: "pull", Weight: 1, Inputs: []*tf.Tensor{in},
		Build: func(s *op.Scope, img tf.Output, inputs []tf.Output) (tf.Output, error) {
			return op.Mean(s, op.SquaredDifference(s, img, inputs[0]), op.Const(s.SubScope("axes"), []int32{0, 1, 2, 3})), nil
		},
	}
	photo := image.NewRGBA(image.Rect(0, 0, 32, 24))
	draw.Draw(photo, photo.Bounds(), image.NewUniform(color.RGBA{200, 30, 60, 255}), image.Point{}, draw.Src)
	res, err := style.Transfer(context.Background(), photo, photo, style.WithModel(model), style.WithMaxSize(32),
		style.WithContentWeight(0), style.WithStyleWeight(0), style.WithTVWeight(0), style.WithIterations(20),
		style.WithTerms(pull), style.WithInitImage(photo))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Image.RGBAAt(16, 12))
	// Output:
	// {128 128 128 255}
}
