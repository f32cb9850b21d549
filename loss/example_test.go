package loss_test

import (
	"errors"
	"fmt"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
	"github.com/neuralstyle/neuralstyle/loss"
)

// eval runs the graph of s once and returns the fetched values (nil, after
// printing the error, if that fails).
func eval(s *op.Scope, fetches ...tf.Output) []any {
	g, err := s.Finalize()
	if err != nil {
		fmt.Println(err)
		return nil
	}
	sess, err := tf.NewSession(g, nil)
	if err != nil {
		fmt.Println(err)
		return nil
	}
	defer sess.Close()
	out, err := sess.Run(nil, fetches, nil)
	if err != nil {
		fmt.Println(err)
		return nil
	}
	vals := make([]any, len(out))
	for i, o := range out {
		vals[i] = o.Value()
	}
	return vals
}

// The Gram matrix of a 1×2×2×2 feature map: the four positions hold the
// feature vectors (1,2), (3,4), (5,6), (7,8).
func ExampleGramMatrix() {
	s := op.NewScope()
	features := op.Const(s, [][][][]float32{{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}})
	g, err := loss.GramMatrix(s, features)
	if err != nil {
		fmt.Println(err)
		return
	}
	mean, err := loss.MeanGram(s, features)
	if err != nil {
		fmt.Println(err)
		return
	}
	out := eval(s, g, mean)
	if out == nil {
		return
	}
	fmt.Println("G =", out[0])
	fmt.Println("Ĝ = G/4 =", out[1])
	// Output:
	// G = [[84 100] [100 120]]
	// Ĝ = G/4 = [[21 25] [25 30]]
}

// A style loss against a target computed once from a style image of another
// size (here a 1×1×1×2 map holding (1, 1), whose mean Gram is all ones).
func ExampleStyleLayer() {
	s := op.NewScope()
	generated := op.Const(tfutil.Fresh(s), [][][][]float32{{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}})
	styleImage := op.Const(tfutil.Fresh(s), [][][][]float32{{{{1, 1}}}})
	target, err := loss.StyleTarget(s, styleImage) // run once per transfer in practice
	if err != nil {
		fmt.Println(err)
		return
	}
	// Ĝ − target = [[20 24] [24 29]], whose squares sum to 2393
	tutorial, err1 := loss.StyleLayer(s, generated, target, loss.GramTutorial)
	mean, err2 := loss.StyleLayer(s, generated, target, loss.GramMean)
	same, err3 := loss.StyleLayer(s, styleImage, target, loss.GramTutorial)
	if err := errors.Join(err1, err2, err3); err != nil {
		fmt.Println(err)
		return
	}
	out := eval(s, tutorial, mean, same)
	if out == nil {
		return
	}
	fmt.Println("tutorial: 2393/(4·2²) =", out[0])
	fmt.Println("mean:     2393/2² =", out[1])
	fmt.Println("style image against itself:", out[2])
	// Output:
	// tutorial: 2393/(4·2²) = 149.5625
	// mean:     2393/2² = 598.25
	// style image against itself: 0
}

// Both total-variation forms on a 2×2 grey image [[1 2] [4 8]]: the vertical
// differences are 3 and 6, the horizontal ones 1 and 4.
func ExampleTotalVariation() {
	s := op.NewScope()
	img := op.Const(s, [][][][]float32{{{{1}, {2}}, {{4}, {8}}}})
	abs, err1 := loss.TotalVariation(s, img, loss.TVAbsolute)
	sq, err2 := loss.TotalVariation(s, img, loss.TVSquared)
	if err := errors.Join(err1, err2); err != nil {
		fmt.Println(err)
		return
	}
	out := eval(s, abs, sq)
	if out == nil {
		return
	}
	fmt.Println("abs:", out[0], "squared:", out[1])
	// Output:
	// abs: 14 squared: 62
}

// The total loss α·content + β·style + γ·tv with neural-style-tf's default
// weights, keeping each weighted term for reporting.
func ExampleWeighted() {
	s := op.NewScope()
	content := op.Const(tfutil.Fresh(s), float32(2))
	style := op.Const(tfutil.Fresh(s), float32(3e-4))
	tv := op.Const(tfutil.Fresh(s), float32(1000))
	terms, err := loss.Weighted(s, loss.Terms{Content: content, Style: style, TV: tv},
		loss.Weights{Content: 5, Style: 1e4, TV: 1e-3})
	if err != nil {
		fmt.Println(err)
		return
	}
	out := eval(s, terms.Content, terms.Style, terms.TV, terms.Total)
	if out == nil {
		return
	}
	fmt.Printf("content %.4g + style %.4g + tv %.4g = %.4g\n", out...)
	// Output:
	// content 10 + style 3 + tv 1 = 14
}

// The W2 style loss of features that differ from the style image's only by a
// shift of (1, 2) per channel: the covariances agree, so the distance is the
// means', 100·‖(1, 2)‖²/N with N = 2 channels.
func ExampleW2Layer() {
	s := op.NewScope()
	styleFeatures := op.Const(s.SubScope("style"), [][][][]float32{{{{1, 2}, {3, 1}}, {{5, 0}, {7, 4}}}})
	generated := op.Const(s.SubScope("generated"), [][][][]float32{{{{2, 4}, {4, 3}}, {{6, 2}, {8, 6}}}})
	target, err := loss.W2Target(s, styleFeatures)
	if err != nil {
		fmt.Println(err)
		return
	}
	e, err := loss.W2Layer(s, generated, target)
	if err != nil {
		fmt.Println(err)
		return
	}
	out := eval(s, e)
	if out == nil {
		return
	}
	fmt.Printf("E = %.4g\n", out[0])
	// Output: E = 250
}
