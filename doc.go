// Package neuralstyle is a Go library for neural style transfer: it renders a
// photograph in the style of a painting, with the optimization-based method
// of Gatys, Ecker and Bethge ("Image Style Transfer Using Convolutional
// Neural Networks", CVPR 2016), running on the TensorFlow C library through
// cgo.
//
// # The algorithm
//
// A VGG network pretrained on ImageNet (torchvision's VGG16, which `make
// weights` installs, or VGG19 from MatConvNet's
// imagenet-vgg-verydeep-19.mat; see docs/weights.md) is frozen. The content
// of an image is the activation of a high layer (conv4_2 by default); its
// style is the set of Gram matrices G = FᵀF of the activations F of several
// layers (relu1_1 … relu5_1), which keep which features occur together but
// not where. Starting from the content image, the pixels of the output are
// optimized (L-BFGS or Adam) to minimize
//
//	α·content loss + β·style loss + γ·total variation
//
// The network's weights never change; the image is the variable.
//
// # Packages
//
// The root package holds only this overview. The work is done by:
//
//	style               the entry point: style.Transfer and the reusable style.Transferer, with functional options,
//	                    the memory model and tiled evaluation
//	vgg                 finds and reads the MatConvNet weights (VGG16/VGG19, both file layouts) and builds the network
//	                    in a TensorFlow graph
//	loss                graph builders for the Gram, W2, content and total-variation terms and masks
//	optim               Adam and L-BFGS (gonum) over []float32, with progress, cancellation and iterate averaging
//	optim/ingraph       the same optimizers inside the TensorFlow graph, on the network's device (untiled runs)
//	imageio             decoding, resizing, image ⇄ tensor, colour spaces and histogram matching (pure Go)
//	tfruntime           the loaded TensorFlow: version, CPU-only or CUDA build, the devices it sees
//	tfruntime/quiet     keeps TensorFlow's C++ log lines off a program's stderr (imported by main packages)
//	video               video style transfer: optical flow, warping and a temporal loss (OpenCV via gocv)
//	preview             a live page of a running transfer
//	internal/matfile    a streaming reader and writer of MATLAB Level-5 MAT files
//	internal/tfutil     tensor conversions and session helpers; its tests are the runtime smoke test
//	internal/cli        what the commands share: Ctrl-C cancels the context, the exit status
//	internal/batch      stylize batch's manifest, shards and status files
//	internal/doccheck   the link check of README.md and docs/
//
// The commands are examples/stylize (the command-line tool), examples/video
// and examples/tutorial (a step-by-step port of the TensorFlow tutorial); the
// measurement programs are bench/gobench, bench/converge, bench/posters and
// bench/video (docs/performance.md, docs/convergence.md, docs/posters.md,
// docs/video.md).
//
// style depends on vgg, loss, optim, imageio and tfruntime; optim and imageio
// do not depend on TensorFlow and are usable on their own. video and preview
// build on style, which imports neither; only video needs OpenCV. The layers
// and their rules are in docs/design.md.
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
// it. docs/runtime.md says how to use it from another module or with an
// existing build, and docs/gpu.md how to use the CUDA build
// (TF_VARIANT=cuda).
package neuralstyle
