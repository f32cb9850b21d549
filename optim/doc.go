// Package optim minimizes a differentiable function of a flat []float32,
// such as a style-transfer loss as a function of the pixels of an image.
//
// It is pure Go and does not depend on TensorFlow: the function is any
// Objective, which returns the value and writes the gradient into a buffer
// owned by the minimizer, in one call.
//
// Like gonum.org/v1/gonum/optimize, the package separates what is minimized
// (the Objective and the starting point), how (a Method: *Adam or *LBFGS) and
// for how long (Settings):
//
//	res, err := optim.Minimize(ctx, obj, x0, optim.Settings{Iterations: 500},
//		&optim.Adam{LearningRate: 0.02})
//
// Adam performs TensorFlow's Adam update operation for operation in float32
// arithmetic, so that TensorFlow trajectories are reproduced (see Adam).
// LBFGS is gonum's L-BFGS, adapted to a float32 objective that computes
// value and gradient together; it takes exactly gonum's path (see LBFGS).
//
// # Runs, results and errors
//
// Both methods start by evaluating x0, then iterate. Settings.Progress is
// called after every iteration with the iteration number, value, gradient
// norm, evaluation count and current point; returning an error from it stops
// the run. A limit or a convergence test ends a run normally, with a nil
// error and a Result whose Status says which. A run that is stopped — by the
// context (checked before every evaluation), by Progress, by an objective
// error or by a NaN or infinite value (ErrNonFinite) — returns a Result
// holding the best point found so far together with the error, which wraps
// the cause, so errors.Is(err, context.Canceled) works.
//
// The point returned is the evaluated point with the lowest value, or, when
// Settings.Average is set, a bias-corrected exponential moving average of
// the iterates (see Averaging).
//
// # Concurrency and memory
//
// Minimize may be called concurrently; Method and Settings values are only
// read. The objective is never called concurrently with itself within one
// run. Buffers are allocated once per run: an Adam iteration allocates
// nothing, so large parameter vectors (images) do not churn the garbage
// collector.
package optim
