// Package ingraph builds the optimizers of package optim into a TensorFlow
// graph, so that the point being optimized and the optimizer's state live
// on the device that evaluates the objective, and a step crosses between
// the host and TensorFlow as a handful of scalars rather than the point and
// its gradient.
//
// Package optim is the reference: Adam here is TensorFlow's ApplyAdam,
// which optim.Adam reproduces, and L-BFGS is gonum's two-loop recursion
// (optim.LBFGS) with the Moré–Thuente line search driven from Go on the
// scalars φ(α) = f(x + α·d) and φ′(α) = ∇f(x + α·d)ᵀd. The tests compare
// both against optim on the same objectives.
//
// A caller builds a method in three steps on one graph: NewAdam or NewLBFGS
// creates the variables and returns a Graph; Graph.Point is the point the
// caller's objective must read; Graph.Finish adds the update from the
// objective's value and gradient. Minimize then drives the graph through a
// Runner (a *tf.Session, or a wrapper that counts what crosses) with the
// limits and hooks of optim.Settings.
//
// Memory on the device, for a point of n float32 values: Adam keeps five
// vectors of n (the point, its two moments, the gradient, the best point),
// L-BFGS 4 + 2·Store (the point, the direction, two gradients and the
// history); averaging adds one.
//
// Package ingraph imports graft (TensorFlow); package optim does not.
package ingraph
