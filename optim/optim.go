package optim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
)

// DefaultIterations is the iteration limit used when Settings.Iterations is
// zero.
const DefaultIterations = 1000

// ErrNonFinite is wrapped by the error Minimize returns when the objective
// value or an element of the gradient is NaN or ±Inf. The message names the
// iteration at which it happened.
var ErrNonFinite = errors.New("optim: non-finite objective value or gradient")

// Objective is a differentiable function of a flat float32 vector.
type Objective interface {
	// Evaluate returns f(x) and writes the gradient ∇f(x) into grad, which
	// has len(x) elements and belongs to the caller: the minimizer reuses the
	// same slice for every call, so Evaluate need not allocate. Evaluate must
	// not modify x, and must not keep x or grad after it returns.
	//
	// Evaluate should return promptly once ctx is done, with ctx.Err() or an
	// error wrapping it. Minimize never calls Evaluate concurrently with
	// itself, but it may call it from a goroutine other than its caller's
	// (the L-BFGS method does).
	Evaluate(ctx context.Context, x, grad []float32) (float64, error)
}

// ObjectiveFunc adapts an ordinary function to the Objective interface.
type ObjectiveFunc func(ctx context.Context, x, grad []float32) (float64, error)

// Evaluate calls f(ctx, x, grad).
func (f ObjectiveFunc) Evaluate(ctx context.Context, x, grad []float32) (float64, error) {
	return f(ctx, x, grad)
}

// Progress describes the state of a run after one iteration. It is passed to
// Settings.Progress.
type Progress struct {
	// Iteration is the number of completed iterations, starting at 1.
	Iteration int
	// Value is the objective value at X.
	Value float64
	// GradNorm is the Euclidean norm of the gradient at X.
	GradNorm float64
	// Evaluations is the number of objective evaluations so far, including
	// the one at the starting point.
	Evaluations int
	// X is the current iterate (the raw iterate, also when averaging is on).
	// It is only valid during the callback and must not be modified; copy it
	// to keep it, for example to write a checkpoint.
	X []float32
}

// Settings holds the limits and hooks of a run, independent of the method.
// The zero value is usable: 1000 iterations, no evaluation limit, no
// progress callback, no averaging.
type Settings struct {
	// Iterations is the maximum number of iterations. An Adam iteration is
	// one update of x followed by one evaluation; an L-BFGS iteration is one
	// completed line search, which may take several evaluations. Reaching the
	// limit is a normal finish (Status IterationLimit, nil error). Zero means
	// DefaultIterations; a negative value is an error.
	Iterations int

	// MaxEvaluations is the maximum number of objective evaluations,
	// counting the one at the starting point. Reaching it is a normal finish
	// (Status EvaluationLimit, nil error). Zero means no limit; a negative
	// value is an error. The single evaluation of the averaged iterate at the
	// end of a run with Average set is not subject to this limit.
	MaxEvaluations int

	// Progress, if not nil, is called after every iteration, synchronously,
	// on the goroutine that called Minimize. If it returns an error the run
	// stops: Minimize returns the result so far (Status Stopped) and an error
	// wrapping the one Progress returned.
	Progress func(Progress) error

	// Average, if not nil, turns on iterate averaging: Minimize returns an
	// exponential moving average of the iterates instead of the best raw
	// iterate. See Averaging.
	Average *Averaging
}

// Averaging configures iterate averaging (Polyak averaging with an
// exponential window, as in Katherine Crowson's style-transfer-pytorch): the
// average is updated with the starting point and after every iteration,
//
//	a₀ = (1−d)·x₀,  aₖ = d·aₖ₋₁ + (1−d)·xₖ,  x̄ₖ = aₖ / (1−dᵏ⁺¹),
//
// where the division removes the bias towards zero of the first iterations,
// as Adam does for its moments (x̄₀ = x₀). The average is kept in float64.
// Averaging smooths out the oscillation of a stochastic or
// constant-step-size method such as Adam around the minimum.
//
// When averaging is on, Result.X is x̄ of the last iteration and, if the run
// finished without error, Result.Value is the objective evaluated once more
// at x̄ (that evaluation is counted in Result.Evaluations but not in
// Result.Iterations).
type Averaging struct {
	// Decay is the per-iteration decay d of the moving average, in (0, 1);
	// the window is about 1/(1−d) iterations. Zero means DefaultDecay.
	Decay float64
}

// DefaultDecay is the averaging decay used when Averaging.Decay is zero. It is
// style-transfer-pytorch's default: a window of about 100 iterations, short
// enough to follow a run of a few hundred iterations.
const DefaultDecay = 0.99

// Method is a minimization algorithm: *Adam or *LBFGS. A Method's exported
// fields configure it and Minimize never modifies them, so one Method value
// may be used by any number of concurrent Minimize calls. The interface is
// sealed: other packages cannot implement it.
type Method interface {
	// name returns the lower-case name used in error messages.
	name() string
	// check validates the configuration, with defaults applied.
	check() error
	// minimize runs the method from r.best (a copy of x0).
	minimize(r *runner) error
}

// Status says why a run ended.
type Status int

// The statuses. The first five are normal finishes (Minimize returns a nil
// error); the others come with a non-nil error.
const (
	// IterationLimit: Settings.Iterations iterations were completed.
	IterationLimit Status = iota + 1
	// EvaluationLimit: Settings.MaxEvaluations evaluations were made.
	EvaluationLimit
	// GradientConverged: the L-BFGS gradient tolerance was met.
	GradientConverged
	// FunctionConverged: the L-BFGS value stopped decreasing (see
	// LBFGS.FunctionTolerance).
	FunctionConverged
	// Stalled: the L-BFGS line search could not make further progress,
	// usually because the objective's float32 precision has been reached
	// near a minimum (gonum's ErrNoProgress, ErrLinesearcherFailure or
	// ErrNonDescentDirection). It can also mean that the gradient does not
	// match the value.
	Stalled
	// Stopped: Settings.Progress returned an error.
	Stopped
	// Canceled: the context was canceled or its deadline passed.
	Canceled
	// Failed: the objective returned an error or a non-finite value.
	Failed
)

var statusNames = [...]string{
	IterationLimit:    "iteration limit",
	EvaluationLimit:   "evaluation limit",
	GradientConverged: "gradient converged",
	FunctionConverged: "function converged",
	Stalled:           "stalled",
	Stopped:           "stopped",
	Canceled:          "canceled",
	Failed:            "failed",
}

// String returns a short lower-case description such as "iteration limit".
func (s Status) String() string {
	if s > 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Result is the outcome of a run.
type Result struct {
	// X is the answer: the averaged iterate when Settings.Average is set,
	// otherwise the evaluated point with the lowest objective value (on
	// ties, the later one). It is a new slice owned by the caller. If the
	// run stopped before any evaluation, X is a copy of x0.
	X []float32
	// Value is the objective value at X, or NaN if X was not evaluated (the
	// run stopped before the first evaluation, or averaging is on and the run
	// ended with an error).
	Value float64
	// Iterations is the number of completed iterations.
	Iterations int
	// Evaluations is the number of objective evaluations.
	Evaluations int
	// Status says why the run ended.
	Status Status
	// InverseHessianScale is, for LBFGS, γ = sᵀy / yᵀy of the last
	// iteration (s the step, y the change of the gradient): the scale of the
	// initial inverse Hessian that a further iteration would start from.
	// Passed as LBFGS.InitialScale, it gives a run on a related problem,
	// such as the next scale of a coarse-to-fine schedule, a first step of
	// the right length. Zero for Adam and for a run without an iteration
	// that met the curvature condition (sᵀy > 0).
	InverseHessianScale float64
}

// Minimize minimizes obj with method, starting at x0, within the limits of
// settings. x0 is not modified. A nil method means &LBFGS{}.
//
// A run that ends by a limit or by convergence returns a nil error. A run
// that is stopped returns both a Result holding the best point so far (see
// Result.X) and an error:
//   - ctx done, checked before every evaluation, or an objective error
//     wrapping the context's error: errors.Is(err, context.Canceled) (or
//     context.DeadlineExceeded) holds, Status Canceled;
//   - Settings.Progress returned an error: it is wrapped, Status Stopped;
//   - the objective returned another error: it is wrapped, Status Failed;
//   - a NaN or infinite value or gradient: ErrNonFinite, Status Failed.
//
// Invalid arguments (nil context or objective, empty x0, negative limits,
// out-of-range method parameters) return a nil Result and an error.
// Minimize is safe for concurrent use with distinct objectives.
func Minimize(ctx context.Context, obj Objective, x0 []float32, settings Settings, method Method) (*Result, error) {
	if method == nil {
		method = &LBFGS{}
	}
	r, err := newRunner(ctx, obj, x0, settings, method)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		err = r.stop(Canceled, fmt.Errorf("optim: %s: iteration 0: %w", r.method, err))
		return r.result(err)
	}
	err = method.minimize(r)
	return r.result(err)
}

// runner holds what both methods share: the objective, the limits, the
// bookkeeping of evaluations, the best point and the average.
type runner struct {
	ctx      context.Context
	obj      Objective
	method   string
	maxIter  int
	maxEvals int
	progress func(Progress) error
	avg      *ema

	grad []float32 // gradient buffer passed to the objective

	// best is the evaluated point with the lowest value; before the first
	// evaluation it holds x0 and bestF is NaN. Methods may replace the slice.
	best  []float32
	bestF float64

	evals  int
	iter   int
	status Status

	hessianScale float64 // LBFGS: Result.InverseHessianScale
}

func newRunner(ctx context.Context, obj Objective, x0 []float32, s Settings, m Method) (*runner, error) {
	if ctx == nil {
		return nil, errors.New("optim: nil context")
	}
	if obj == nil {
		return nil, errors.New("optim: nil objective")
	}
	if len(x0) == 0 {
		return nil, errors.New("optim: empty starting point")
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	if s.Iterations < 0 {
		return nil, fmt.Errorf("optim: iterations %d: must not be negative", s.Iterations)
	}
	if s.MaxEvaluations < 0 {
		return nil, fmt.Errorf("optim: max evaluations %d: must not be negative", s.MaxEvaluations)
	}
	r := &runner{
		ctx:      ctx,
		obj:      obj,
		method:   m.name(),
		maxIter:  s.Iterations,
		maxEvals: s.MaxEvaluations,
		progress: s.Progress,
		grad:     make([]float32, len(x0)),
		best:     slices.Clone(x0),
		bestF:    math.NaN(),
	}
	if r.maxIter == 0 {
		r.maxIter = DefaultIterations
	}
	if s.Average != nil {
		d := s.Average.Decay
		if d == 0 {
			d = DefaultDecay
		}
		if !(d > 0 && d < 1) {
			return nil, fmt.Errorf("optim: averaging decay %v: must be in (0, 1)", s.Average.Decay)
		}
		r.avg = newEMA(d, x0)
	}
	return r, nil
}

// where names an evaluation in error messages.
func where(iter int) string {
	if iter < 0 {
		return "averaged iterate"
	}
	return fmt.Sprintf("iteration %d", iter)
}

// stop records why the run ended and returns err.
func (r *runner) stop(s Status, err error) error {
	r.status = s
	return err
}

// evaluate calls the objective at x after checking the context, counts the
// evaluation and checks the result. iter labels errors (-1: the average).
func (r *runner) evaluate(x []float32, iter int) (f, gnorm float64, err error) {
	if err := r.ctx.Err(); err != nil {
		return 0, 0, r.stop(Canceled, fmt.Errorf("optim: %s: %s: %w", r.method, where(iter), err))
	}
	f, err = r.obj.Evaluate(r.ctx, x, r.grad)
	r.evals++
	if err != nil {
		s := Failed
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			s = Canceled
		}
		return 0, 0, r.stop(s, fmt.Errorf("optim: %s: %s: objective: %w", r.method, where(iter), err))
	}
	gnorm = norm(r.grad)
	if math.IsNaN(f) || math.IsInf(f, 0) || math.IsNaN(gnorm) || math.IsInf(gnorm, 0) {
		return 0, 0, r.stop(Failed, fmt.Errorf("optim: %s: %s: value %g, gradient norm %g: %w",
			r.method, where(iter), f, gnorm, ErrNonFinite))
	}
	return f, gnorm, nil
}

// better reports whether f improves on the best value so far.
func (r *runner) better(f float64) bool {
	return f <= r.bestF || math.IsNaN(r.bestF)
}

// report calls the progress callback, if any.
func (r *runner) report(p Progress) error {
	if r.progress == nil {
		return nil
	}
	if err := r.progress(p); err != nil {
		return r.stop(Stopped, fmt.Errorf("optim: %s: iteration %d: progress: %w", r.method, p.Iteration, err))
	}
	return nil
}

// result assembles the Result after the method returned err.
func (r *runner) result(err error) (*Result, error) {
	res := &Result{Iterations: r.iter, Status: r.status, InverseHessianScale: r.hessianScale}
	if r.avg == nil {
		res.X = slices.Clone(r.best)
		res.Value = r.bestF
	} else {
		res.X = make([]float32, len(r.best))
		r.avg.read(res.X)
		res.Value = math.NaN()
		if err == nil {
			var f float64
			if f, _, err = r.evaluate(res.X, -1); err == nil {
				res.Value = f
			}
			res.Status = r.status
		}
	}
	res.Evaluations = r.evals
	return res, err
}

// norm returns the Euclidean norm of x, accumulated in float64 (which cannot
// overflow for finite float32 elements). It is NaN or +Inf if an element is.
func norm(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}
