// Command tutorial is a step-by-step Go port of the classic TensorFlow 1.3
// (Python 2) neural style transfer tutorial, built directly on neuralstyle's
// lower-level packages instead of the style package, so that each building
// block shows:
//
//   - imageio: Load, ResizeTo (both images to 640×480), ToTensor with the
//     model's mean pixel subtracted, FromTensor and Save (atomic write);
//   - vgg: Load, Model.Build (the network on an image placeholder; every
//     layer by name through Net.Layer), Net.Init (the weights are graph
//     variables, loaded once per session) and Model.LayerShape;
//   - loss: StyleTarget and StyleLayer (GramTutorial) on relu2_1 and relu3_1,
//     averaged as the tutorial does; ContentLayer (ContentTutorial) on
//     conv4_2; Weighted with style weight 1e4 and content weight 5;
//   - optim: Minimize with Adam (learning rate 1.0, the update of
//     TensorFlow's AdamOptimizer), starting from the content image.
//
// It prints what the tutorial prints:
//
//  1. the Go and TensorFlow versions and a check of the weights file (path,
//     architecture, mean pixel);
//  2. the images and the style image tensor's shape, (1, 480, 640, 3), with
//     its first 10×10 values of channel 0;
//  3. the network as a dictionary, layer → shape, in network order (input,
//     conv1_1 (1, 480, 640, 64), …, conv4_1 (1, 60, 80, 512), …,
//     pool5 (1, 15, 20, 512));
//  4. conv4_1's shape and first values for the style image, and the style
//     targets (the mean Gram matrices of relu2_1 and relu3_1);
//  5. the losses and their value at the content image, before the first step;
//  6. "iter=N, loss=…" every 50 Adam iterations;
//  7. the path of the saved image.
//
// The style loss of a layer is Σ(G−A)²/(4·N²·M²) on the Gram matrices of the
// generated (G) and style (A) images, N channels and M = H·W positions; the
// style loss is the mean over the two layers. The content loss is
// Σ(F−P)²/(2·√N·√M). The loss package holds the style targets as mean Gram
// matrices A/M and computes Σ(G/M − A/M)²/(4·N²), which is the same value
// because both images have the same size. The targets are computed once, by
// running the network on the style and content images, and fed back at each
// evaluation; each Adam iteration runs the network forward and backward once.
//
// Differences from the Python tutorial: images decode to RGB directly (no
// BGR swap); the mean pixel is the one stored in the weights file
// ([123.68, 116.779, 103.939] in the real one); the image written is the one
// with the lowest loss seen, which after Adam's steady descent is normally
// the last one.
//
// Usage, from the repository root:
//
//	go run ./examples/tutorial [-weights imagenet-vgg-verydeep-19.mat]
//	    [-content examples/images/chelsea.jpg] [-style examples/images/starry_night.jpg]
//	    [-out out/tutorial.png] [-iterations 500] [-width 640] [-height 480]
//
// The weights default to $NEURALSTYLE_WEIGHTS, else
// ./imagenet-vgg-verydeep-19.mat (534 MB, from
// https://www.vlfeat.org/matconvnet/models/imagenet-vgg-verydeep-19.mat),
// else the ImageNet VGG16 that `make weights` installs (vgg.FindWeights); the
// first step prints which file it loaded and why. The tutorial's layers
// (relu2_1, relu3_1, conv4_2) exist in both networks.
// -iterations 0 prints steps 1 to 5 and writes the content image unchanged.
// On a CPU the full 640×480 run takes a while: each iteration is one forward
// and backward pass of VGG19 up to conv4_2 at that size.
//
// Exit status: 0 on success, 2 for a bad command line, 1 for any other
// failure, which prints one line "tutorial: <error>" to stderr and writes no
// output image.
package main
