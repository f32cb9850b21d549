package vgg_test

import (
	"fmt"
	"log"
	"strings"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/vgg"
)

// A tiny VGG16 (4 channels per layer instead of 64…512) whose kernels average
// their 3×3×Cin window, built up to relu3_1 and run on a flat grey image.
func ExampleModel_Build() {
	var convs []vgg.Conv
	cin := 3
	for _, name := range vgg.VGG16.LayerNames() {
		if !strings.HasPrefix(name, "conv") {
			continue
		}
		const cout = 4
		kernel := make([]float32, 3*3*cin*cout)
		for i := range kernel {
			kernel[i] = 1 / float32(9*cin)
		}
		convs = append(convs, vgg.Conv{
			Name: name, Kernel: kernel, KernelShape: [4]int{3, 3, cin, cout}, Bias: make([]float32, cout),
		})
		cin = cout
	}
	model, err := vgg.New(convs, [3]float32{123.68, 116.779, 103.939})
	if err != nil {
		log.Fatal(err)
	}

	s := op.NewScope()
	input := op.Placeholder(s, tf.Float, op.PlaceholderShape(tf.MakeShape(1, 64, 96, 3)))
	net, err := model.Build(s, input, vgg.BuildOptions{Pooling: vgg.AvgPool, Layers: []string{"relu3_1"}})
	if err != nil {
		log.Fatal(err)
	}
	relu31, err := net.Layer("relu3_1")
	if err != nil {
		log.Fatal(err)
	}
	graph, err := s.Finalize()
	if err != nil {
		log.Fatal(err)
	}
	sess, err := tf.NewSession(graph, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer sess.Close()
	if err := net.Init(sess); err != nil { // load the weights into this session
		log.Fatal(err)
	}

	// A grey image, mean-subtracted: 1 everywhere.
	pixels := make([]float32, 64*96*3)
	for i := range pixels {
		pixels[i] = 1
	}
	image, err := tf.NewTensor(pixels)
	if err != nil {
		log.Fatal(err)
	}
	if err := image.Reshape([]int64{1, 64, 96, 3}); err != nil {
		log.Fatal(err)
	}
	out, err := sess.Run(map[tf.Output]*tf.Tensor{input: image}, []tf.Output{relu31}, nil)
	if err != nil {
		log.Fatal(err)
	}
	h, w, c, err := model.LayerShape("relu3_1", 64, 96)
	if err != nil {
		log.Fatal(err)
	}
	act := out[0].Value().([][][][]float32)
	fmt.Println(model.Arch(), net.Names())
	fmt.Println("relu3_1:", out[0].Shape(), "LayerShape:", h, w, c)
	fmt.Printf("centre %.3f, corner %.3f (zero padding darkens the edges)\n", act[0][8][12][0], act[0][0][0][0])
	// Output:
	// VGG16 [conv1_1 relu1_1 conv1_2 relu1_2 pool1 conv2_1 relu2_1 conv2_2 relu2_2 pool2 conv3_1 relu3_1]
	// relu3_1: [1 16 24 4] LayerShape: 16 24 4
	// centre 1.000, corner 0.301 (zero padding darkens the edges)
}
