package optim

import (
	"fmt"
	"math"
)

var _ Method = (*Adam)(nil)

// Defaults of the Adam fields, used where a field is zero. They are
// TensorFlow's and Kingma & Ba's defaults.
const (
	DefaultLearningRate = 0.001
	DefaultBeta1        = 0.9
	DefaultBeta2        = 0.999
	DefaultEpsilon      = 1e-8
)

// Adam is the Adam method (Kingma & Ba, 2015) with exactly the update of
// TensorFlow's ApplyAdam kernel (used by tf.compat.v1.train.AdamOptimizer
// and the Keras Adam of TensorFlow 2), so that runs written for TensorFlow,
// such as the style-transfer tutorial's, are reproduced. At iteration
// t = 1, 2, …, with g the gradient at the current x:
//
//	lr_t = LearningRate · √(1−β₂ᵗ) / (1−β₁ᵗ)
//	m ← m + (g − m)·(1−β₁)       (= β₁·m + (1−β₁)·g)
//	v ← v + (g² − v)·(1−β₂)      (= β₂·v + (1−β₂)·g²)
//	x ← x − (m·lr_t) / (√v + ε̂)
//
// m and v start at zero. Like TensorFlow for a float32 variable, m, v, x,
// 1−β₁, 1−β₂ and ε̂ are float32 and every operation above is rounded to
// float32 (no fused multiply-add), in the order written. lr_t is computed in
// float64 and rounded once to float32; TensorFlow computes it in float32
// from float32 powers, which can differ in the last bits of lr_t only.
// Epsilon is the "epsilon hat" of the paper's section 2: it is added after
// the bias correction has been folded into lr_t.
//
// Each iteration makes exactly one evaluation, at the new x, so a run of N
// iterations makes N+1 evaluations; Progress.Value for iteration t is f(xₜ).
// Adam has no convergence test: it runs until a limit is reached. Without
// averaging, Result.X is the iterate with the lowest value, as in the
// TensorFlow tutorial's loop.
//
// An iteration allocates nothing. Memory: six float32 vectors of len(x0),
// the result included (19 MB for a 512×512×3 image), and one float64 vector
// more with averaging.
type Adam struct {
	// LearningRate is the step size, > 0. Zero means DefaultLearningRate
	// (0.001), which suits parameters of order one; style transfer on pixel
	// values usually wants a much larger one.
	LearningRate float64
	// Beta1 is the decay rate of the first-moment estimate m, in [0, 1).
	// Zero means DefaultBeta1 (0.9); a value such as 1e-300 behaves as 0,
	// since 1−β₁ rounds to 1 in float32.
	Beta1 float64
	// Beta2 is the decay rate of the second-moment estimate v, in [0, 1).
	// Zero means DefaultBeta2 (0.999).
	Beta2 float64
	// Epsilon is ε̂, > 0. Zero means DefaultEpsilon (1e-8).
	Epsilon float64
}

func (*Adam) name() string { return "adam" }

// Params returns the parameters with the defaults applied to zero fields:
// the learning rate, β₁, β₂ and ε̂.
func (a *Adam) Params() (lr, b1, b2, eps float64) {
	lr, b1, b2, eps = a.LearningRate, a.Beta1, a.Beta2, a.Epsilon
	if lr == 0 {
		lr = DefaultLearningRate
	}
	if b1 == 0 {
		b1 = DefaultBeta1
	}
	if b2 == 0 {
		b2 = DefaultBeta2
	}
	if eps == 0 {
		eps = DefaultEpsilon
	}
	return lr, b1, b2, eps
}

// Validate reports whether the parameters, with defaults applied, are in
// range; Minimize returns the same error.
func (a *Adam) Validate() error { return a.check() }

func (a *Adam) check() error {
	lr, b1, b2, eps := a.Params()
	switch {
	case !(lr > 0) || math.IsInf(lr, 0):
		return fmt.Errorf("optim: adam: learning rate %v: must be positive and finite", a.LearningRate)
	case !(b1 >= 0 && b1 < 1):
		return fmt.Errorf("optim: adam: beta1 %v: must be in [0, 1)", a.Beta1)
	case !(b2 >= 0 && b2 < 1):
		return fmt.Errorf("optim: adam: beta2 %v: must be in [0, 1)", a.Beta2)
	case !(eps > 0) || math.IsInf(eps, 0):
		return fmt.Errorf("optim: adam: epsilon %v: must be positive and finite", a.Epsilon)
	}
	return nil
}

// adamState is the per-run state of Adam.
type adamState struct {
	m, v   []float32
	c1, c2 float32 // 1−β₁, 1−β₂ in float32, as TensorFlow computes them
	eps    float32
	lr     float64
	b1, b2 float64
}

func newAdamState(a *Adam, n int) *adamState {
	lr, b1, b2, eps := a.Params()
	return &adamState{
		m:   make([]float32, n),
		v:   make([]float32, n),
		c1:  1 - float32(b1),
		c2:  1 - float32(b2),
		eps: float32(eps),
		lr:  lr,
		b1:  b1,
		b2:  b2,
	}
}

// rate returns lr_t for iteration t ≥ 1.
func (s *adamState) rate(t int) float32 {
	ft := float64(t)
	return float32(s.lr * math.Sqrt(1-math.Pow(s.b2, ft)) / (1 - math.Pow(s.b1, ft)))
}

// step performs iteration t: it updates m and v with gradient g and writes
// the new point into dst, reading the current point from x. dst may be x.
func (s *adamState) step(t int, dst, x, g []float32) {
	alpha := s.rate(t)
	c1, c2, eps := s.c1, s.c2, s.eps
	m, v := s.m[:len(g)], s.v[:len(g)]
	dst, x = dst[:len(g)], x[:len(g)]
	for i, gi := range g {
		// The float32 conversions round each product, so that the compiler
		// does not fuse it with the following addition.
		mi := m[i] + float32((gi-m[i])*c1)
		vi := v[i] + float32((float32(gi*gi)-v[i])*c2)
		m[i], v[i] = mi, vi
		dst[i] = x[i] - float32(mi*alpha)/(float32(math.Sqrt(float64(vi)))+eps)
	}
}

func (a *Adam) minimize(r *runner) error {
	n := len(r.best)
	s := newAdamState(a, n)
	// Two point buffers: cur is the current iterate, best the best one. When
	// they coincide, the next iterate goes into the other buffer, so the best
	// point is kept without copying.
	cur, spare := r.best, make([]float32, n)

	f, gnorm, err := r.evaluate(cur, 0)
	if err != nil {
		return err
	}
	r.bestF = f
	for t := 1; ; t++ {
		if t > r.maxIter {
			r.status = IterationLimit
			return nil
		}
		if r.maxEvals > 0 && r.evals >= r.maxEvals {
			r.status = EvaluationLimit
			return nil
		}
		dst := cur
		if &cur[0] == &r.best[0] {
			dst = spare
			spare = cur
		}
		s.step(t, dst, cur, r.grad)
		cur = dst
		if r.avg != nil {
			r.avg.update(cur)
		}
		if f, gnorm, err = r.evaluate(cur, t); err != nil {
			return err
		}
		if r.better(f) {
			r.best, r.bestF = cur, f
		}
		r.iter = t
		if err := r.report(Progress{Iteration: t, Value: f, GradNorm: gnorm, Evaluations: r.evals, X: cur}); err != nil {
			return err
		}
	}
}
