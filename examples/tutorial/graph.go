package main

import (
	"fmt"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/loss"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// The tutorial's choices.
var styleLayers = []string{"relu2_1", "relu3_1"}

const (
	contentLayer  = "conv4_2"
	printedLayer  = "conv4_1" // the layer whose values step 4 prints
	styleWeight   = 1e4       // β
	contentWeight = 5         // α
	learningRate  = 1.0       // Adam's step size, on the 0–255 pixel scale
	printEvery    = 50        // iterations between two "iter=" lines
)

// graph is the tutorial's TensorFlow graph: one copy of the network on an
// image placeholder of the working size, which serves three purposes. Fed
// the style image it gives conv4_1 and the style targets (the mean Gram
// matrices of relu2_1 and relu3_1); fed the content image it gives the
// content target (conv4_2); fed the image being optimized, together with the
// targets, it gives the loss and its gradient with respect to the image.
//
// The targets are computed once, held as tensors in Go (in TensorFlow's
// memory, not copied into Go slices) and fed back through placeholders at
// every evaluation; feeding a held tensor costs no copy.
type graph struct {
	graph *tf.Graph
	net   *vgg.Net
	input tf.Output // [1, H, W, 3] mean-subtracted RGB

	styleTargets []tf.Output // per style layer: mean Gram of the input's features, [N, N]
	styleFeeds   []tf.Output // per style layer: placeholder for the style image's mean Gram
	contentFeed  tf.Output   // placeholder for the content image's conv4_2, [1, h, w, N]

	styleLayerLoss []tf.Output // per style layer: E_l (loss.StyleLayer, GramTutorial)
	terms          loss.Terms  // α·content, β·style and their sum
	grad           tf.Output   // ∂ total / ∂ input, [1, H, W, 3]
}

// buildGraph builds the network for h × w images and the tutorial's loss on it.
func buildGraph(m *vgg.Model, h, w int) (*graph, error) {
	g := &graph{graph: tf.NewGraph()}
	s := op.NewScopeWithGraph(g.graph)

	// A static shape, so that every layer's shape is known when the loss is
	// built (the loss builders compute their normalizations from it).
	g.input = op.Placeholder(s.SubScope("input"), tf.Float, op.PlaceholderShape(tf.MakeShape(1, int64(h), int64(w), 3)))
	net, err := m.Build(s.SubScope("vgg"), g.input, vgg.BuildOptions{Pooling: vgg.AvgPool}) // every layer, up to pool5
	if err != nil {
		return nil, fmt.Errorf("building the network: %w", err)
	}
	g.net = net

	// The style targets, the style image's mean Gram matrices Ĝ = FᵀF/M.
	// With images of one size the tutorial's Σ(G_x − G_s)²/(4·N²·M²) is
	// exactly loss.StyleLayer's Σ(Ĝ_x − Ĝ_s)²/(4·N²) (GramTutorial).
	ls := s.SubScope("loss")
	for _, name := range styleLayers {
		f, err := net.Layer(name)
		if err != nil {
			return nil, err
		}
		target, err := loss.StyleTarget(s.SubScope("style_target_"+name), f)
		if err != nil {
			return nil, fmt.Errorf("style target %s: %w", name, err)
		}
		n := int64(f.Shape().Size(3))
		feed := op.Placeholder(s.SubScope("style_feed_"+name), tf.Float, op.PlaceholderShape(tf.MakeShape(n, n)))
		e, err := loss.StyleLayer(ls, f, feed, loss.GramTutorial)
		if err != nil {
			return nil, fmt.Errorf("style loss %s: %w", name, err)
		}
		g.styleTargets = append(g.styleTargets, target)
		g.styleFeeds = append(g.styleFeeds, feed)
		g.styleLayerLoss = append(g.styleLayerLoss, e)
	}
	// The tutorial averages the layers' losses. (loss.Style would give a
	// quarter of the sum instead of a half: like neural-style-tf it both
	// normalizes the layer weights to sum 1 and divides by the number of
	// layers.)
	sum := op.AddN(ls.SubScope("style_sum"), g.styleLayerLoss)
	styleLoss := op.Mul(ls.SubScope("style_mean"), sum,
		op.Const(ls.SubScope("style_mean_factor"), float32(1)/float32(len(styleLayers))))

	fc, err := net.Layer(contentLayer)
	if err != nil {
		return nil, err
	}
	shape, err := fc.Shape().ToSlice()
	if err != nil {
		return nil, fmt.Errorf("content layer %s: %w", contentLayer, err)
	}
	g.contentFeed = op.Placeholder(s.SubScope("content_feed"), tf.Float, op.PlaceholderShape(tf.MakeShape(shape...)))
	contentLoss, err := loss.ContentLayer(ls, fc, g.contentFeed, loss.ContentTutorial)
	if err != nil {
		return nil, fmt.Errorf("content loss %s: %w", contentLayer, err)
	}

	g.terms, err = loss.Weighted(ls, loss.Terms{Content: contentLoss, Style: styleLoss},
		loss.Weights{Content: contentWeight, Style: styleWeight})
	if err != nil {
		return nil, fmt.Errorf("total loss: %w", err)
	}
	// op.Gradients panics on a scope that has already failed.
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("building the loss: %w", err)
	}
	g.grad = op.Gradients(s.SubScope("gradients"), []tf.Output{g.terms.Total}, []tf.Output{g.input})[0]
	if _, err := s.Finalize(); err != nil {
		return nil, fmt.Errorf("building the gradient: %w", err)
	}
	return g, nil
}

// targets are the tensors fed to the loss: the style image's mean Grams and
// the content image's features.
type targets struct {
	style   []*tf.Tensor
	content *tf.Tensor
}

// feeds returns the feeds of one evaluation at image x.
func (g *graph) feeds(x *tf.Tensor, t targets) map[tf.Output]*tf.Tensor {
	f := map[tf.Output]*tf.Tensor{g.input: x, g.contentFeed: t.content}
	for i, feed := range g.styleFeeds {
		f[feed] = t.style[i]
	}
	return f
}
