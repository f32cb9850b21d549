package optim

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

var _ Method = (*LBFGS)(nil)

// Defaults of the LBFGS fields, used where a field is zero.
const (
	// DefaultStore is gonum's default history size.
	DefaultStore = 15
	// DefaultGradientTolerance is gonum's default gradient threshold.
	DefaultGradientTolerance = 1e-12
	// DefaultFunctionIterations is gonum's default window of the function
	// convergence test.
	DefaultFunctionIterations = 100
)

// LBFGS is the limited-memory BFGS method of gonum.org/v1/gonum/optimize
// (optimize.LBFGS with its default line search, optimize.Bisection, which
// finds steps satisfying the strong Wolfe conditions). Minimize adapts the
// float32 Objective to gonum's float64 Problem:
//
//   - gonum asks for the value and the gradient in separate calls, often at
//     the same point; the objective is evaluated once per distinct point
//     (after rounding to float32), and the gradient comes from that
//     evaluation. Result.Evaluations counts objective calls, not gonum's
//     Func and Grad calls.
//   - Points are rounded to float32 when passed to the objective, and the
//     value and gradient are widened to float64 for gonum; nothing else is
//     converted. The path is exactly gonum's on the function
//     x ↦ f(float32(x)).
//   - Cancellation, evaluation limits and errors stop gonum through
//     Problem.Status, checked after every evaluation.
//
// An iteration is one completed line search. Reaching Settings.Iterations is
// a normal finish. Without averaging, Result.X is the point with the lowest
// value, which is the last iterate unless the run stopped in a line search
// that had found a lower value.
//
// InitialScale sets the length of the first step; the later ones are
// L-BFGS's own (the method is invariant to the scaling this uses, below).
//
// Memory: gonum keeps 2·Store+6 float64 vectors of len(x0), and the adapter
// a few float32 ones: about 8·(2·Store+12)·n bytes in all (270 MB for a
// 512×512×3 image, n = 786432, with Store 15). Iterations allocate nothing.
type LBFGS struct {
	// Store is the number of (step, gradient change) pairs kept, ≥ 1. Zero
	// means DefaultStore (15).
	Store int

	// GradientTolerance ends the run with GradientConverged when the largest
	// absolute element of the gradient is below it (gonum's
	// GradStopThreshold). Zero means DefaultGradientTolerance (1e-12); a
	// negative value turns the test off.
	GradientTolerance float64

	// FunctionTolerance and FunctionIterations end the run with
	// FunctionConverged when the best value has not decreased by more than
	// FunctionTolerance·max(|f|, |f_best|) for FunctionIterations
	// consecutive iterations (gonum's FunctionConverge with that Relative
	// tolerance). FunctionTolerance must be ≥ 0; zero counts any decrease.
	// FunctionIterations zero means DefaultFunctionIterations (100); a
	// negative value turns the test off.
	FunctionTolerance  float64
	FunctionIterations int

	// LineSearch selects gonum's line search. The zero value is
	// BisectionSearch, gonum's default for L-BFGS.
	LineSearch LineSearch

	// InitialScale, when positive, is the inverse-Hessian scale γ of the
	// first iteration: its line search starts by trying x₀ − γ·∇f(x₀). Zero
	// keeps gonum's first trial, a step of length 1 (γ = 1/‖∇f(x₀)‖₂), which
	// the line search then has to grow when the problem's natural steps are
	// long: on style transfer it spends about 6 evaluations on it. The
	// previous run's Result.InverseHessianScale is a good value when
	// continuing on a related problem. Implementation: gonum minimizes
	// z ↦ f(c·z) from x₀/c with c = γ·‖∇f(x₀)‖₂; L-BFGS takes the same
	// steps in x on the scaled problem after the first, and with c = 1 the
	// path is exactly the unscaled one.
	InitialScale float64

	// InitialStep, when positive and InitialScale is zero, sets the first
	// trial step by its root-mean-square length per element instead: the
	// line search starts by trying x₀ − γ·∇f(x₀) with
	// γ = InitialStep·√n / ‖∇f(x₀)‖₂, which moves the point by InitialStep
	// on average. It is a scale-free guess for a first run, where no
	// previous γ is known: an image in grey levels takes steps of a few
	// levels (see package style). Zero: gonum's first trial.
	InitialStep float64
}

// LineSearch selects the line search of LBFGS. Both find steps satisfying
// the strong Wolfe conditions.
type LineSearch int

const (
	// BisectionSearch is optimize.Bisection, gonum's default for L-BFGS.
	BisectionSearch LineSearch = iota
	// MoreThuenteSearch is optimize.MoreThuente, the Moré–Thuente search that
	// SciPy's L-BFGS-B uses (dcsrch). It extrapolates faster from a small
	// first step: on style transfer, where L-BFGS's first step (1/‖g‖₂) moves
	// the image by a fraction of a grey level, it spends fewer evaluations
	// per iteration (docs/performance.md).
	MoreThuenteSearch
)

func (*LBFGS) name() string { return "lbfgs" }

// Validate reports whether the fields are in range; Minimize returns the
// same error.
func (l *LBFGS) Validate() error { return l.check() }

func (l *LBFGS) check() error {
	if l.LineSearch != BisectionSearch && l.LineSearch != MoreThuenteSearch {
		return fmt.Errorf("optim: lbfgs: unknown line search %d", int(l.LineSearch))
	}
	switch {
	case l.Store < 0:
		return fmt.Errorf("optim: lbfgs: store %d: must not be negative", l.Store)
	case math.IsNaN(l.GradientTolerance):
		return errors.New("optim: lbfgs: gradient tolerance is NaN")
	case !(l.FunctionTolerance >= 0) || math.IsInf(l.FunctionTolerance, 0):
		return fmt.Errorf("optim: lbfgs: function tolerance %v: must be non-negative and finite", l.FunctionTolerance)
	case !(l.InitialScale >= 0) || math.IsInf(l.InitialScale, 0):
		return fmt.Errorf("optim: lbfgs: initial scale %v: must be non-negative and finite", l.InitialScale)
	case !(l.InitialStep >= 0) || math.IsInf(l.InitialStep, 0):
		return fmt.Errorf("optim: lbfgs: initial step %v: must be non-negative and finite", l.InitialStep)
	}
	return nil
}

// gonum returns the gonum method and settings equivalent to l, for a run of
// at most maxIter iterations.
func (l *LBFGS) gonum(maxIter int) (*optimize.LBFGS, *optimize.Settings) {
	m := &optimize.LBFGS{Store: l.Store, GradStopThreshold: l.GradientTolerance}
	if l.LineSearch == MoreThuenteSearch {
		m.Linesearcher = &optimize.MoreThuente{}
	}
	if m.Store == 0 {
		m.Store = DefaultStore
	}
	if m.GradStopThreshold == 0 {
		m.GradStopThreshold = DefaultGradientTolerance
	} else if m.GradStopThreshold < 0 {
		m.GradStopThreshold = math.NaN() // gonum: NaN disables the test
	}
	var conv optimize.Converger = optimize.NeverTerminate{}
	if l.FunctionIterations >= 0 {
		it := l.FunctionIterations
		if it == 0 {
			it = DefaultFunctionIterations
		}
		conv = &optimize.FunctionConverge{Relative: l.FunctionTolerance, Iterations: it}
	}
	// gonum counts the starting point as a major iteration.
	return m, &optimize.Settings{MajorIterations: maxIter + 1, Converger: conv}
}

func (l *LBFGS) minimize(r *runner) error {
	n := len(r.best)
	w := &lbfgsRun{
		r:       r,
		x32:     make([]float32, n),
		scratch: make([]float32, n),
		c:       1,
	}
	x0 := make([]float64, n)
	for i, v := range r.best {
		x0[i] = float64(v)
	}
	// Evaluate x₀ before gonum does (its first request then hits the cache):
	// the gradient there sets the scaling and starts the bookkeeping of γ.
	if !w.load(x0) {
		return w.err
	}
	w.prevX, w.prevG = slices.Clone(w.x32), slices.Clone(r.grad)
	gamma, g0 := l.InitialScale, norm(r.grad)
	if gamma == 0 && l.InitialStep > 0 && g0 > 0 {
		gamma = l.InitialStep * math.Sqrt(float64(n)) / g0
	}
	if c := gamma * g0; gamma > 0 && c > 0 && !math.IsInf(c, 0) {
		w.c = c
		for i := range x0 {
			x0[i] /= c
		}
	}
	method, settings := l.gonum(r.maxIter)
	method.GradStopThreshold *= w.c // gonum sees the gradient c·∇f
	settings.Recorder = w
	p := optimize.Problem{Func: w.fn, Grad: w.gradient, Status: w.status}

	res, err := optimize.Minimize(p, x0, settings, method)

	// gonum does not pass the major iteration that ends a run (by a limit or
	// a convergence test) to the Recorder.
	if w.err == nil && res != nil && res.MajorIterations-1 > r.iter {
		w.err = w.iteration(&res.Location, res.MajorIterations-1)
	}
	r.hessianScale = w.gamma
	switch {
	case w.err != nil:
		return w.err
	case err != nil:
		if errors.Is(err, optimize.ErrNoProgress) || errors.Is(err, optimize.ErrLinesearcherFailure) ||
			errors.Is(err, optimize.ErrNonDescentDirection) {
			r.status = Stalled
			return nil
		}
		return r.stop(Failed, fmt.Errorf("optim: lbfgs: iteration %d: %w", w.major, err))
	}
	switch res.Status {
	case optimize.IterationLimit:
		r.status = IterationLimit
	case optimize.FunctionEvaluationLimit:
		r.status = EvaluationLimit
	case optimize.GradientThreshold:
		r.status = GradientConverged
	case optimize.FunctionConvergence:
		r.status = FunctionConverged
	default:
		return r.stop(Failed, fmt.Errorf("optim: lbfgs: iteration %d: unexpected gonum status %v", w.major, res.Status))
	}
	return nil
}

// lbfgsRun adapts the Objective to gonum. gonum calls fn and gradient on a
// worker goroutine and status and Record on the caller's; its channels order
// all these calls, so the fields need no locking.
//
// gonum works on z = x/c (c = 1 unless LBFGS.InitialScale is set): it sees
// the value f(c·z) and the gradient c·∇f(c·z).
type lbfgsRun struct {
	r *runner
	c float64 // the scaling x = c·z

	x32     []float32 // the point of the cached evaluation
	scratch []float32 // conversion buffer for the requested point
	f       float64   // cached value at x32; the gradient is in r.grad
	valid   bool      // whether the cache holds an evaluation

	prevX, prevG []float32 // the last iterate (also Progress.X) and its gradient
	gamma        float64   // sᵀy / yᵀy of the last iteration with sᵀy > 0
	major        int       // gonum's count of major iterations (including x0)
	err          error     // first error; ends the run
}

// load makes sure the cache holds the evaluation at x = c·z, and reports
// whether it does.
func (w *lbfgsRun) load(z []float64) bool {
	if w.err != nil {
		return false
	}
	for i, v := range z {
		w.scratch[i] = float32(w.c * v)
	}
	if w.valid && slices.Equal(w.scratch, w.x32) {
		return true
	}
	w.valid = false
	f, _, err := w.r.evaluate(w.scratch, w.major)
	if err != nil {
		w.err = err
		return false
	}
	w.x32, w.scratch = w.scratch, w.x32
	w.f, w.valid = f, true
	if w.r.better(f) {
		copy(w.r.best, w.x32)
		w.r.bestF = f
	}
	return true
}

func (w *lbfgsRun) fn(x []float64) float64 {
	if !w.load(x) {
		return math.NaN() // never used: status stops the run first
	}
	return w.f
}

func (w *lbfgsRun) gradient(grad, x []float64) {
	if !w.load(x) {
		for i := range grad {
			grad[i] = math.NaN()
		}
		return
	}
	for i, v := range w.r.grad {
		grad[i] = w.c * float64(v)
	}
}

// status is gonum's Problem.Status, called after every evaluation.
func (w *lbfgsRun) status() (optimize.Status, error) {
	if w.err != nil {
		return optimize.Failure, w.err
	}
	r := w.r
	if err := r.ctx.Err(); err != nil {
		w.err = r.stop(Canceled, fmt.Errorf("optim: lbfgs: %s: %w", where(w.major), err))
		return optimize.Failure, w.err
	}
	if r.maxEvals > 0 && r.evals >= r.maxEvals {
		return optimize.FunctionEvaluationLimit, nil
	}
	return optimize.NotTerminated, nil
}

// Init implements optimize.Recorder.
func (w *lbfgsRun) Init() error { return nil }

// Record implements optimize.Recorder: it handles the major iterations.
func (w *lbfgsRun) Record(loc *optimize.Location, op optimize.Operation, stats *optimize.Stats) error {
	if op != optimize.MajorIteration {
		return nil
	}
	w.major = stats.MajorIterations
	if w.major <= 1 {
		return nil // the starting point
	}
	if err := w.iteration(loc, w.major-1); err != nil {
		w.err = err
		return err
	}
	return nil
}

// iteration records completed iteration k at loc (in z).
func (w *lbfgsRun) iteration(loc *optimize.Location, k int) error {
	r := w.r
	w.major = k + 1
	r.iter = k
	var sy, yy float64
	for i, z := range loc.X {
		x, g := float32(w.c*z), float32(loc.Gradient[i]/w.c)
		s, y := float64(x)-float64(w.prevX[i]), float64(g)-float64(w.prevG[i])
		sy += s * y
		yy += y * y
		w.prevX[i], w.prevG[i] = x, g
	}
	if sy > 0 && yy > 0 {
		w.gamma = sy / yy
	}
	if r.avg != nil {
		r.avg.update(w.prevX)
	}
	if r.progress == nil {
		return nil
	}
	return r.report(Progress{
		Iteration:   k,
		Value:       loc.F,
		GradNorm:    floats.Norm(loc.Gradient, 2) / w.c,
		Evaluations: r.evals,
		X:           w.prevX,
	})
}
