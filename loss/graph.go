package loss

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
)

func sqrt(x float64) float64 { return math.Sqrt(x) }

// builder adds ops of one element type under one scope. Every op goes through
// tfutil.Fresh, since graft's op.Scope does not make op names unique.
type builder struct {
	s  *op.Scope
	dt tf.DataType
}

// start checks the scope and opens a sub-scope named name for one builder call.
func start(fn string, s *op.Scope, name string) (*op.Scope, error) {
	if s == nil {
		return nil, fmt.Errorf("loss: %s: %w: nil scope", fn, ErrInvalid)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("loss: %s: scope already failed: %w", fn, err)
	}
	return s.SubScope(name), nil
}

// finish returns the output, or the scope's error if adding an op failed.
func finish(fn string, s *op.Scope, out tf.Output) (tf.Output, error) {
	if err := s.Err(); err != nil {
		return tf.Output{}, fmt.Errorf("loss: %s: %w", fn, err)
	}
	return out, nil
}

func (b builder) f() *op.Scope { return tfutil.Fresh(b.s) }

// scalar is the constant v in the builder's element type.
func (b builder) scalar(v float64) tf.Output {
	if b.dt == tf.Double {
		return op.Const(b.f(), v)
	}
	return op.Const(b.f(), float32(v))
}

// matrix is the constant m (rows × cols, row-major) in the builder's type.
// The tensor is made directly from the bytes (tf.NewTensor is slow on big
// slices); a failure, which a correct caller cannot cause, sets the scope's
// error.
func (b builder) matrix(m []float64, rows, cols int64) tf.Output {
	var t *tf.Tensor
	var err error
	if b.dt == tf.Double {
		var buf bytes.Buffer
		if err = binary.Write(&buf, binary.NativeEndian, m); err == nil {
			t, err = tf.ReadTensor(tf.Double, []int64{rows, cols}, &buf)
		}
	} else {
		m32 := make([]float32, len(m))
		for i, v := range m {
			m32[i] = float32(v)
		}
		t, err = tfutil.Float32Tensor(m32, rows, cols)
	}
	if err != nil {
		b.s.UpdateErr("Const", err)
		return tf.Output{}
	}
	return op.Const(b.f(), t)
}

// sum adds up every element of x (of static rank r) into a scalar.
func (b builder) sum(x tf.Output, r int) tf.Output {
	axes := make([]int32, r)
	for i := range axes {
		axes[i] = int32(i)
	}
	return op.Sum(b.f(), x, op.Const(b.f(), axes))
}

// scale returns c·x.
func (b builder) scale(x tf.Output, c float64) tf.Output {
	return op.Mul(b.f(), x, b.scalar(c))
}

// reshape returns x with the given static shape.
func (b builder) reshape(x tf.Output, shape ...int64) tf.Output {
	return op.Reshape(b.f(), x, op.Const(b.f(), shape))
}

// isFloat reports whether dt is an element type the builders accept.
func isFloat(dt tf.DataType) bool { return dt == tf.Float || dt == tf.Double }

// dims is the static shape of a feature map [1, H, W, N].
type dims struct{ h, w, n int64 }

func (d dims) area() int64 { return d.h * d.w }

// checkFeatures checks that x is a float32 or float64 [1, H, W, N] tensor with
// every size known and non-zero, and returns its sizes. what names x in the
// error.
func checkFeatures(fn, what string, x tf.Output) (dims, error) {
	if x.Op == nil {
		return dims{}, fmt.Errorf("loss: %s: %s: %w: the zero tf.Output", fn, what, ErrShape)
	}
	if dt := x.DataType(); !isFloat(dt) {
		return dims{}, fmt.Errorf("loss: %s: %s: %w: %s, want float32 or float64", fn, what, ErrDType, tfutil.TypeName(dt))
	}
	sh := x.Shape()
	d, err := sh.ToSlice()
	if err != nil || len(d) != 4 || d[0] != 1 || d[1] <= 0 || d[2] <= 0 || d[3] <= 0 {
		return dims{}, fmt.Errorf("loss: %s: %s: %w: %v, want [1, H, W, N] with every size known and positive "+
			"(build the graph for a fixed image size)", fn, what, ErrShape, sh)
	}
	return dims{h: d[1], w: d[2], n: d[3]}, nil
}

// sameType checks that y has x's element type.
func sameType(fn, what string, x, y tf.Output) error {
	if y.DataType() != x.DataType() {
		return fmt.Errorf("loss: %s: %s: %w: %s, want %s like the features", fn, what, ErrDType,
			tfutil.TypeName(y.DataType()), tfutil.TypeName(x.DataType()))
	}
	return nil
}

// normalizeWeights returns w / Σw. nil w means n equal weights. If allZeroOK,
// an all-zero w also means equal weights; otherwise it is an error.
func normalizeWeights(fn, what string, w []float64, n int, allZeroOK bool) ([]float64, error) {
	out := make([]float64, n)
	if w == nil {
		for i := range out {
			out[i] = 1 / float64(n)
		}
		return out, nil
	}
	if len(w) != n {
		return nil, fmt.Errorf("loss: %s: %s: %w: %d weights for %d terms", fn, what, ErrWeights, len(w), n)
	}
	var sum float64
	for i, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return nil, fmt.Errorf("loss: %s: %s[%d]: %w: %v, want a finite value ≥ 0", fn, what, i, ErrWeights, v)
		}
		sum += v
	}
	if sum == 0 {
		if !allZeroOK {
			return nil, fmt.Errorf("loss: %s: %s: %w: they sum to 0", fn, what, ErrWeights)
		}
		return normalizeWeights(fn, what, nil, n, false)
	}
	if math.IsInf(sum, 0) {
		return nil, fmt.Errorf("loss: %s: %s: %w: their sum overflows", fn, what, ErrWeights)
	}
	for i, v := range w {
		out[i] = v / sum
	}
	return out, nil
}
