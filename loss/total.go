package loss

import (
	"fmt"
	"math"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
)

// Weights are the factors of the total loss α·content + β·style + γ·tv.
// neural-style-tf's defaults are Content 5, Style 1e4, TV 1e-3 (with
// TVAbsolute, ContentTutorial and GramTutorial, as this package's zero values
// are). The zero value weighs every term 0.
type Weights struct {
	Content float64 // α, ≥ 0
	Style   float64 // β, ≥ 0
	TV      float64 // γ, ≥ 0
}

// Terms holds the scalar terms of a total loss. A term whose Op is nil is
// absent.
type Terms struct {
	Content tf.Output
	Style   tf.Output
	TV      tf.Output
	Total   tf.Output
}

// Weighted adds the total loss of the given terms to the graph of s. in holds
// the unweighted Content, Style and TV scalars (any may be absent; in.Total is
// ignored); the result holds each present term times its weight (α·content,
// β·style, γ·tv, so the caller can report each contribution) and their sum
// in Total.
//
// The terms must be scalars of one element type (float32 or float64). A
// weight that is negative, NaN or infinite is an error matching ErrWeights; a
// non-zero weight for an absent term, or no term at all, is an error matching
// ErrInvalid. No op is added on error. Not safe for concurrent use on one
// scope.
func Weighted(s *op.Scope, in Terms, w Weights) (Terms, error) {
	const fn = "weighted"
	type term struct {
		name string
		x    tf.Output
		w    float64
		out  *tf.Output
	}
	var out Terms
	all := []term{
		{"content", in.Content, w.Content, &out.Content},
		{"style", in.Style, w.Style, &out.Style},
		{"tv", in.TV, w.TV, &out.TV},
	}
	var present []term
	for _, t := range all {
		if math.IsNaN(t.w) || math.IsInf(t.w, 0) || t.w < 0 {
			return Terms{}, fmt.Errorf("loss: %s: %s weight: %w: %v, want a finite value ≥ 0", fn, t.name, ErrWeights, t.w)
		}
		if t.x.Op == nil {
			if t.w != 0 {
				return Terms{}, fmt.Errorf("loss: %s: %w: %s weight %v but no %s term", fn, ErrInvalid, t.name, t.w, t.name)
			}
			continue
		}
		if dt := t.x.DataType(); !isFloat(dt) {
			return Terms{}, fmt.Errorf("loss: %s: %s: %w: %s, want float32 or float64", fn, t.name, ErrDType, tfutil.TypeName(dt))
		}
		if len(present) > 0 {
			if err := sameType(fn, t.name, present[0].x, t.x); err != nil {
				return Terms{}, err
			}
		}
		if sh := t.x.Shape(); sh.NumDimensions() != 0 {
			return Terms{}, fmt.Errorf("loss: %s: %s: %w: %v, want a scalar", fn, t.name, ErrShape, sh)
		}
		present = append(present, t)
	}
	if len(present) == 0 {
		return Terms{}, fmt.Errorf("loss: %s: %w: no terms", fn, ErrInvalid)
	}
	s, err := start(fn, s, "weighted")
	if err != nil {
		return Terms{}, err
	}
	b := builder{s: s, dt: present[0].x.DataType()}
	sum := make([]tf.Output, len(present))
	for i, t := range present {
		*t.out = b.scale(t.x, t.w)
		sum[i] = *t.out
	}
	out.Total = b.add(sum)
	if err := s.Err(); err != nil {
		return Terms{}, fmt.Errorf("loss: %s: %w", fn, err)
	}
	return out, nil
}
