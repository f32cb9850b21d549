// Package neuralstyle is a Go library for neural style transfer: it renders a
// photograph in the style of a painting, with the optimization-based method
// of Gatys, Ecker and Bethge ("Image Style Transfer Using Convolutional
// Neural Networks", CVPR 2016), running on the TensorFlow C library through
// cgo.
//
// # The algorithm
//
// A VGG network pretrained on ImageNet (VGG19 from MatConvNet's
// imagenet-vgg-verydeep-19.mat) is frozen. The content of an image is the
// activation of a high layer (conv4_2 by default); its style is the set of
// Gram matrices G = FᵀF of the activations F of several layers (relu1_1 …
// relu5_1), which keep which features occur together but not where. Starting
// from the content image, the pixels of the output are optimized (L-BFGS or
// Adam) to minimize
//
//	α·content loss + β·style loss + γ·total variation
//
// The network's weights never change; the image is the variable.
//
// # Packages
//
// The root package holds only this overview. The work is done by:
//
//	style             the entry point: style.Transfer and the reusable style.Transferer, with functional options
//	vgg               reads the MatConvNet weights (both file layouts) and builds the network in a TensorFlow graph
//	loss              graph builders for the Gram, style, content and total-variation terms
//	optim             Adam and L-BFGS (gonum) over []float32, with progress, cancellation and iterate averaging
//	imageio           decoding, resizing, image ⇄ tensor, colour spaces and histogram matching (pure Go)
//	internal/matfile  a streaming reader and writer of MATLAB Level-5 MAT files
//	internal/tfutil   tensor conversions and the runtime smoke test
//
// style depends on vgg, loss, optim and imageio; optim and imageio do not
// depend on TensorFlow and are usable on their own.
//
// # Quick start
//
//	model, err := vgg.Load("imagenet-vgg-verydeep-19.mat") // once; safe for concurrent use
//	if err != nil { … }
//	content, err := imageio.Load("photo.jpg", imageio.DecodeOptions{})
//	painting, err := imageio.Load("starry_night.jpg", imageio.DecodeOptions{})
//	res, err := style.Transfer(ctx, content, painting,
//		style.WithModel(model),
//		style.WithIterations(500),
//		style.WithMaxSize(512),
//		style.WithProgress(func(p style.Progress) error {
//			fmt.Printf("iteration %d: loss %.4g\n", p.Iteration, p.Loss)
//			return nil
//		}),
//	)
//	if err != nil { … }
//	err = imageio.Save("out.png", res.Image, imageio.EncodeOptions{})
//
// # The TensorFlow runtime
//
// The library links against libtensorflow 2.x. `make test` and `make demo`
// install it on first use from the official tensorflow-cpu wheel on PyPI;
// `make env` prints the CGO_CFLAGS and CGO_LDFLAGS that let `go build` find
// it. See the README for using an existing or CUDA build instead.
package neuralstyle
