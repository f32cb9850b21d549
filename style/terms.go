package style

import (
	"fmt"
	"image"
	"math"
	"strings"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"
)

// Term is a loss term that a caller adds to the objective, in the same
// TensorFlow graph as the content, style and total-variation terms, so that
// its gradient flows into the image with theirs. Package video's temporal
// loss is one. See WithTerms.
type Term struct {
	// Name identifies the term in errors and in the graph (its ops live
	// under the scope "term_<Name>"). It must be non-empty, unique among the
	// terms of a transfer, and made of letters, digits and underscores.
	//
	// A Transferer reuses the graph it built for a later transfer whose
	// terms have the same names, weights and input shapes, feeding it the
	// new Inputs: Build is called only when a graph is built, so two terms
	// of the same Name must build the same ops.
	Name string
	// Weight multiplies the term's value in the total loss. It must be
	// finite and ≥ 0.
	Weight float64
	// Inputs are the term's data for this transfer. They are copied once,
	// before the first iteration, into variables of the graph (one per
	// input, of the same data type and shape) that Build's inputs read: an
	// iteration feeds nothing. The caller keeps ownership.
	Inputs []*tf.Tensor
	// Build adds the term's ops to the graph under scope s and returns its
	// unweighted value, a float32 scalar. image is the image being
	// optimized as the other losses see it (clamped when WithClampPixels is
	// on): float32 of static shape [1, H, W, 3], RGB with the network's mean
	// pixel subtracted, on the 0–255 scale. inputs holds the values of
	// Inputs, in order (reads of the variables that hold them). Build must
	// not create variables.
	Build func(s *op.Scope, image tf.Output, inputs []tf.Output) (tf.Output, error)
}

// WithTerms adds loss terms to the objective: the total loss becomes
// content + style + TV + Σ Weight·term, and Progress.Terms reports the
// added part. A later WithTerms replaces the terms of an earlier one.
// Default none.
func WithTerms(terms ...Term) Option {
	return optionFunc(func(c *config) error {
		seen := map[string]bool{}
		for i, t := range terms {
			if !validTermName(t.Name) {
				return invalid("WithTerms", fmt.Sprintf("term %d name %q", i+1, t.Name), "want letters, digits and underscores")
			}
			if seen[t.Name] {
				return invalid("WithTerms", fmt.Sprintf("term %q", t.Name), "name used twice")
			}
			seen[t.Name] = true
			if math.IsNaN(t.Weight) || math.IsInf(t.Weight, 0) || t.Weight < 0 {
				return invalid("WithTerms", fmt.Sprintf("term %q weight %g", t.Name, t.Weight), "want a finite weight ≥ 0")
			}
			if t.Build == nil {
				return invalid("WithTerms", fmt.Sprintf("term %q", t.Name), "Build is nil")
			}
			for j, in := range t.Inputs {
				if in == nil {
					return invalid("WithTerms", fmt.Sprintf("term %q input %d", t.Name, j+1), "nil tensor")
				}
			}
		}
		c.terms = append([]Term(nil), terms...)
		return nil
	})
}

// WithInitImage starts the optimization from img, resized to the output
// size, instead of the image WithInit selects (package video starts each
// frame from the previous output, warped by the optical flow). A
// WithMultiScale run starts its first scale from it. Default none.
func WithInitImage(img image.Image) Option {
	return optionFunc(func(c *config) error {
		if img == nil || img.Bounds().Empty() {
			return invalid("WithInitImage", "an empty image", "want a non-empty image")
		}
		c.initImage = img
		return nil
	})
}

func validTermName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// termsKey is the part of the graph key that the terms decide: names,
// weights and the data types and shapes of their inputs.
func termsKey(terms []Term) string {
	var b strings.Builder
	for _, t := range terms {
		fmt.Fprintf(&b, "%s*%g(", t.Name, t.Weight)
		for _, in := range t.Inputs {
			fmt.Fprintf(&b, "%d%v,", in.DataType(), in.Shape())
		}
		b.WriteString(");")
	}
	return b.String()
}

// buildTerms adds terms to e's graph on image and returns the sum of their
// weighted values (a zero Output when there are none). Each input becomes
// a resource variable that targets stores once per transfer from a
// placeholder (e.termFeeds, e.setTerms); Build reads the variables, so an
// iteration feeds nothing.
func (e *engine) buildTerms(s *op.Scope, image tf.Output, terms []Term) (tf.Output, error) {
	var parts []tf.Output
	var sets []*tf.Operation
	for _, t := range terms {
		ts := s.SubScope("term_" + t.Name)
		var ins []tf.Output
		for j, in := range t.Inputs {
			is := ts.SubScope(fmt.Sprintf("input_%d", j))
			shape := in.Shape()
			feed := op.Placeholder(is, in.DataType(), op.PlaceholderShape(tf.MakeShape(shape...)))
			v := e.typedVariable(is, in.DataType(), shape...)
			sets = append(sets, op.AssignVariableOp(is, v, feed))
			e.termFeeds = append(e.termFeeds, feed)
			ins = append(ins, op.ReadVariableOp(is.SubScope("read"), v, in.DataType()))
		}
		v, err := t.Build(ts, image, ins)
		if err == nil {
			err = ts.Err()
		}
		if err != nil {
			return tf.Output{}, fmt.Errorf("style: term %q: %w", t.Name, err)
		}
		if v.DataType() != tf.Float || v.Shape().NumDimensions() != 0 {
			return tf.Output{}, fmt.Errorf("style: term %q: Build returned %v of shape %v, want a float32 scalar", t.Name, v.DataType(), v.Shape())
		}
		parts = append(parts, op.Mul(ts.SubScope("weighted"), v, op.Const(ts.SubScope("weight"), float32(t.Weight))))
	}
	if len(sets) > 0 {
		e.setTerms = group(s.SubScope("set_terms"), sets)
	}
	switch len(parts) {
	case 0:
		return tf.Output{}, nil
	case 1:
		return parts[0], nil
	}
	return op.AddN(s.SubScope("terms"), parts), nil
}

// termInputs returns the tensors of terms' inputs, in the order of the
// placeholders buildTerms made.
func termInputs(terms []Term) []*tf.Tensor {
	var out []*tf.Tensor
	for _, t := range terms {
		out = append(out, t.Inputs...)
	}
	return out
}
