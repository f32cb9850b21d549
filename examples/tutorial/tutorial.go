package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	tf "github.com/wamuir/graft/tensorflow"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/internal/tfutil"
	"github.com/neuralstyle/neuralstyle/optim"
	"github.com/neuralstyle/neuralstyle/tfruntime"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// getWeights says where weights come from, for a missing file.
const getWeights = "run `make weights` to install the default ImageNet VGG16, or download imagenet-vgg-verydeep-19.mat (534 MB) from " +
	"https://www.vlfeat.org/matconvnet/models/imagenet-vgg-verydeep-19.mat and pass -weights or set " + weightsEnv

// tutorial runs the tutorial's steps with the settings o, printing each to w.
func tutorial(ctx context.Context, o options, load loadFunc, w io.Writer) error {
	// What is cheap and can fail is checked before the weights are loaded.
	contentImg, err := loadImage("-content", o.content)
	if err != nil {
		return err
	}
	styleImg, err := loadImage("-style", o.style)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(o.out); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("-out %q: not a regular file", o.out)
	}
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return fmt.Errorf("-out: %w", err)
	}

	// 1. Versions and the weights.
	heading(w, 1, "versions and the weights")
	fmt.Fprintf(w, "Go %s (%s/%s), TensorFlow %s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, tf.Version())
	weights, origin, err := vgg.FindWeights(o.weights)
	if err != nil {
		return fmt.Errorf("-weights: %w", err)
	}
	start := time.Now()
	model, err := load(weights)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("-weights: %w; %s", err, getWeights)
		}
		return fmt.Errorf("-weights: %w", err)
	}
	size := ""
	if fi, err := os.Stat(weights); err == nil {
		size = fmt.Sprintf(" (%.1f MB)", float64(fi.Size())/1e6)
	}
	mean := model.MeanPixel()
	fmt.Fprintf(w, "weights: %s%s (%s), loaded in %.1f s\n", weights, size, origin, time.Since(start).Seconds())
	fmt.Fprintf(w, "architecture: %v, %d convolutions, %d feature layers (conv1_1 … pool5)\n",
		model.Arch(), len(model.Convs()), len(model.LayerNames()))
	fmt.Fprintf(w, "mean pixel (R, G, B): [%.3f, %.3f, %.3f]\n", mean[0], mean[1], mean[2])
	for _, name := range append([]string{contentLayer, printedLayer}, styleLayers...) {
		if !model.HasLayer(name) {
			return fmt.Errorf("-weights: the model has no layer %q", name)
		}
	}

	// 2. The images as tensors.
	heading(w, 2, "the images")
	styleData, err := prepare(w, "style", o.style, styleImg, o.width, o.height, mean)
	if err != nil {
		return err
	}
	contentData, err := prepare(w, "content", o.content, contentImg, o.width, o.height, mean)
	if err != nil {
		return err
	}
	dims := []int64{1, int64(o.height), int64(o.width), 3}
	fmt.Fprintf(w, "style image tensor shape: %s\n", tuple(dims))
	fmt.Fprintf(w, "style image, channel 0 (R), the first values [0, :10, :10, 0]:\n")
	printBlock(w, styleData, dims, 0)

	// 3. The network.
	g, err := buildGraph(model, o.height, o.width)
	if err != nil {
		return err
	}
	heading(w, 3, fmt.Sprintf("the network (%v, average pooling): layer → shape", model.Arch()))
	fmt.Fprintf(w, "%-8s %s\n", "input", tuple(dims))
	for _, name := range g.net.Names() {
		out, _ := g.net.Layer(name)
		shape, err := checkedShape(model, out, name, o.height, o.width)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-8s %s\n", name, tuple(shape))
	}

	// 4 to 6 run in one session; the result is saved once it is closed.
	x, err := optimize(ctx, w, g, o, styleData, contentData)
	if err != nil {
		return err
	}

	// 7. The output.
	heading(w, 7, "the output")
	img, err := imageio.FromTensor(x, o.height, o.width, mean)
	if err != nil {
		return err
	}
	if err := imageio.Save(o.out, img, imageio.EncodeOptions{}); err != nil {
		return err
	}
	fmt.Fprintf(w, "saved %s (%d×%d)\n", o.out, o.width, o.height)
	return nil
}

// optimize runs steps 4 to 6 in a session of its own and returns the
// optimized image as a mean-subtracted NHWC tensor.
func optimize(ctx context.Context, w io.Writer, g *graph, o options, styleData, contentData []float32) (x []float32, err error) {
	if d, err := tfruntime.Default(); err == nil { // TensorFlow places the graph there
		fmt.Fprintf(w, "running on %s (TensorFlow %s)\n", d, tf.Version())
	}
	sess, err := tf.NewSession(g.graph, nil)
	if err != nil {
		return nil, fmt.Errorf("starting a TensorFlow session: %w", err)
	}
	defer func() {
		if cerr := sess.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("closing the TensorFlow session: %w", cerr)
		}
	}()
	if err := g.net.Init(sess); err != nil { // the weights are variables
		return nil, fmt.Errorf("loading the weights into the session: %w", err)
	}
	dims := []int64{1, int64(o.height), int64(o.width), 3}
	styleIn, err := tfutil.Float32Tensor(styleData, dims...)
	if err != nil {
		return nil, err
	}
	contentIn, err := tfutil.Float32Tensor(contentData, dims...)
	if err != nil {
		return nil, err
	}

	// 4. The style image through the network: conv4_1, and the style targets.
	heading(w, 4, "the style image through the network")
	start := time.Now()
	c41, _ := g.net.Layer(printedLayer)
	out, err := sess.Run(map[tf.Output]*tf.Tensor{g.input: styleIn}, append([]tf.Output{c41}, g.styleTargets...), nil)
	if err != nil {
		return nil, fmt.Errorf("running the network on the style image: %w", err)
	}
	values, err := tfutil.Float32s(nil, out[0])
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "%s shape: %s (%.1f s)\n", printedLayer, tuple(out[0].Shape()), time.Since(start).Seconds())
	fmt.Fprintf(w, "%s, channel 0, the first values [0, :10, :10, 0]:\n", printedLayer)
	printBlock(w, values, out[0].Shape(), 0)
	t := targets{style: out[1:]}
	for i, name := range styleLayers {
		fmt.Fprintf(w, "style target %s: mean Gram matrix FᵀF/M, shape %s\n", name, tuple(t.style[i].Shape()))
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("stopped before the optimization: %w", err)
	}

	// 5. The losses, and their value at the content image. One run of the
	// network on the content image gives both the content target and the
	// style loss there; the content loss there is exactly 0, the content
	// image being its own target (F − P = 0 in every element).
	heading(w, 5, "the losses")
	fc, _ := g.net.Layer(contentLayer)
	feeds := g.feeds(contentIn, t)
	delete(feeds, g.contentFeed) // not needed: no content loss is fetched
	out, err = sess.Run(feeds, append([]tf.Output{fc, g.terms.Style}, g.styleLayerLoss...), nil)
	if err != nil {
		return nil, fmt.Errorf("running the network on the content image: %w", err)
	}
	t.content = out[0]
	v := make([]float64, len(out)-1)
	for i, o := range out[1:] {
		if v[i], err = tfutil.Scalar(o); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(w, "content target %s: the content image's features, shape %s\n", contentLayer, tuple(t.content.Shape()))
	fmt.Fprintf(w, "style loss:   mean over %s of Σ(G−A)²/(4·N²·M²)   (loss.StyleLayer, GramTutorial)\n", strings.Join(styleLayers, ", "))
	fmt.Fprintf(w, "content loss: %s, Σ(F−P)²/(2·√N·√M)   (loss.ContentLayer, ContentTutorial)\n", contentLayer)
	fmt.Fprintf(w, "total loss:   %g·style + %g·content   (loss.Weighted)\n", float64(styleWeight), float64(contentWeight))
	fmt.Fprintf(w, "loss before the first step (the content image): %.6g = %.6g (style) + 0 (content)\n", v[0], v[0])
	for i, name := range styleLayers {
		fmt.Fprintf(w, "  style loss %s: %.6g\n", name, v[1+i])
	}

	// 6. Adam from the content image.
	heading(w, 6, fmt.Sprintf("Adam, learning rate %.1f, %d iterations, from the content image", learningRate, o.iterations))
	if o.iterations == 0 {
		fmt.Fprintf(w, "skipped (-iterations 0): the output is the content image\n")
		return contentData, nil
	}
	obj := optim.ObjectiveFunc(func(_ context.Context, x, grad []float32) (float64, error) {
		in, err := tfutil.Float32Tensor(x, dims...)
		if err != nil {
			return 0, err
		}
		out, err := sess.Run(g.feeds(in, t), []tf.Output{g.terms.Total, g.grad}, nil)
		if err != nil {
			return 0, fmt.Errorf("evaluating the loss: %w", err)
		}
		// The input and the gradient hold C memory the collector cannot see.
		defer tfutil.Released(2 * 4 * int64(len(x)))
		if _, err := tfutil.Float32s(grad, out[1]); err != nil {
			return 0, err
		}
		return tfutil.Scalar(out[0])
	})
	start = time.Now()
	settings := optim.Settings{
		Iterations: o.iterations,
		Progress: func(p optim.Progress) error {
			if p.Iteration%printEvery == 0 || p.Iteration == o.iterations {
				fmt.Fprintf(w, "iter=%d, loss=%.6g\n", p.Iteration, p.Value)
			}
			return nil
		},
	}
	res, err := optim.Minimize(ctx, obj, contentData, settings, &optim.Adam{LearningRate: learningRate})
	if err != nil {
		n := 0
		if res != nil {
			n = res.Iterations
		}
		return nil, fmt.Errorf("stopped after %d of %d iterations, no output written: %w", n, o.iterations, err)
	}
	d := time.Since(start)
	fmt.Fprintf(w, "%d iterations in %.1f s (%.3f s each); lowest loss %.6g, the image kept\n",
		res.Iterations, d.Seconds(), d.Seconds()/float64(res.Iterations), res.Value)
	return res.X, nil
}

// loadImage decodes an image file; flag names the flag that gave path.
func loadImage(flag, path string) (image.Image, error) {
	img, err := imageio.Load(path, imageio.DecodeOptions{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return img, nil
}

// prepare resizes img to w × h and returns it as a [1, h, w, 3] RGB tensor
// minus the mean pixel. (Go's decoders give RGB, so the tutorial's OpenCV
// BGR→RGB swap has no counterpart here.)
func prepare(out io.Writer, what, path string, img image.Image, w, h int, mean [3]float32) ([]float32, error) {
	b := img.Bounds()
	resized, err := imageio.ResizeTo(img, w, h)
	if err != nil {
		return nil, fmt.Errorf("-%s: %w", what, err)
	}
	data, _, _ := imageio.ToTensor(resized, imageio.Mean(mean))
	fmt.Fprintf(out, "%s image: %s, %d×%d, resized to %d×%d, mean pixel subtracted\n", what, path, b.Dx(), b.Dy(), w, h)
	return data, nil
}

// checkedShape returns the static shape of a layer's output in the graph and
// checks it against what the model says it should be.
func checkedShape(m *vgg.Model, out tf.Output, name string, h, w int) ([]int64, error) {
	shape, err := out.Shape().ToSlice()
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", name, err)
	}
	lh, lw, lc, err := m.LayerShape(name, h, w)
	if err != nil {
		return nil, err
	}
	if want := []int64{1, int64(lh), int64(lw), int64(lc)}; fmt.Sprint(shape) != fmt.Sprint(want) {
		return nil, fmt.Errorf("layer %s: the graph says shape %v, the model %v", name, shape, want)
	}
	return shape, nil
}

func heading(w io.Writer, n int, title string) {
	fmt.Fprintf(w, "\n%d. %s\n", n, strings.ToUpper(title[:1])+title[1:])
}

// tuple formats a shape as Python prints a tuple: (1, 480, 640, 3).
func tuple(shape []int64) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// printBlock prints data[0, :10, :10, ch] of an NHWC tensor of the given
// shape, in rows, as numpy prints a matrix.
func printBlock(w io.Writer, data []float32, shape []int64, ch int) {
	h, wd, c := int(shape[1]), int(shape[2]), int(shape[3])
	rows, cols := min(h, 10), min(wd, 10)
	for y := 0; y < rows; y++ {
		open, end := " [", "]"
		if y == 0 {
			open = "[["
		}
		if y == rows-1 {
			end = "]]"
		}
		var b strings.Builder
		b.WriteString(open)
		for x := 0; x < cols; x++ {
			fmt.Fprintf(&b, "%9.3f", data[(y*wd+x)*c+ch])
		}
		b.WriteString(end)
		fmt.Fprintln(w, b.String())
	}
}
