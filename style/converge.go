package style

import (
	"errors"
	"fmt"
	"math"
)

// Convergence is the rule that ends a run when the picture stops
// changing: every Window iterations the image is compared with the one
// Window iterations before, and the run ends once the root-mean-square
// change per pixel channel is below MaxChange grey levels (of the 0–255
// scale) and the loss fell by less than MaxLossDecrease (relative) over
// the same iterations. The first comparison is made after 2·Window
// iterations, at every scale of a WithMultiScale run, for every optimizer.
//
// The loss condition is for optimizers whose steps are bounded: Adam at a
// learning rate of 1 moves a pixel by about a grey level per iteration at
// most, so its picture can change slowly while its loss still falls fast.
//
// WithIterations stays the cap. The zero Convergence is no rule: exactly
// that many iterations run (neural-style-tf's behaviour). See
// DefaultConvergence and docs/convergence.md for the measurement behind
// the defaults.
type Convergence struct {
	// Window is the number of iterations between two comparisons, ≥ 1.
	Window int
	// MaxChange is the RMS change per pixel channel over Window
	// iterations, in grey levels, below which the picture counts as
	// finished; > 0.
	MaxChange float64
	// MaxLossDecrease is the relative decrease of the loss over Window
	// iterations, (L(k−Window) − L(k)) / L(k), below which the loss counts
	// as settled; 0 leaves the loss out of the rule.
	MaxLossDecrease float64
}

// DefaultConvergence is the rule of every run that sets none: the picture
// counts as finished when, over 50 iterations, it changes by less than 5
// grey levels RMS and the loss falls by less than 3 %. docs/convergence.md
// has the measurement behind the values.
var DefaultConvergence = Convergence{Window: 50, MaxChange: 5, MaxLossDecrease: 0.03}

// Off reports whether c is the zero Convergence, no rule.
func (c Convergence) Off() bool { return c == Convergence{} }

func (c Convergence) validate() error {
	if c.Off() {
		return nil
	}
	if c.Window < 1 {
		return invalid("WithConvergence", c, "want a Window of at least 1 iteration")
	}
	if math.IsNaN(c.MaxChange) || math.IsInf(c.MaxChange, 0) || c.MaxChange <= 0 {
		return invalid("WithConvergence", c, "want a finite MaxChange > 0 grey levels")
	}
	if math.IsNaN(c.MaxLossDecrease) || math.IsInf(c.MaxLossDecrease, 0) || c.MaxLossDecrease < 0 {
		return invalid("WithConvergence", c, "want a finite MaxLossDecrease ≥ 0 (0: the loss is not looked at)")
	}
	return nil
}

// WithConvergence sets the rule that ends a run whose picture has stopped
// changing; Convergence{} turns it off so that exactly WithIterations
// iterations run. Default DefaultConvergence. Result.Stop says whether a
// run converged or reached the cap.
func WithConvergence(c Convergence) Option {
	return optionFunc(func(cfg *config) error {
		if err := c.validate(); err != nil {
			return err
		}
		cfg.convergence = c
		return nil
	})
}

// StopReason says why a transfer (its last scale) ended.
type StopReason int

// The reasons.
const (
	// StopLimit: the WithIterations cap was reached.
	StopLimit StopReason = iota
	// StopConverged: the picture stopped changing (WithConvergence).
	StopConverged
	// StopEarly: the loss stopped changing (WithEarlyStop).
	StopEarly
	// StopOptimizer: the optimizer could not improve further (L-BFGS's
	// gradient or value tolerance, or a line search that cannot settle).
	StopOptimizer
	// StopCanceled: the context was canceled or a callback returned an
	// error; Transfer returns the image so far with that error.
	StopCanceled
)

var stopNames = [...]string{
	StopLimit:     "iteration limit",
	StopConverged: "converged",
	StopEarly:     "early stop",
	StopOptimizer: "optimizer finished",
	StopCanceled:  "canceled",
}

// String returns "iteration limit", "converged", "early stop",
// "optimizer finished" or "canceled".
func (r StopReason) String() string {
	if r >= 0 && int(r) < len(stopNames) {
		return stopNames[r]
	}
	return fmt.Sprintf("StopReason(%d)", int(r))
}

// errConverged ends a run whose picture stopped changing.
var errConverged = errors.New("converged")

// convergenceCheck applies a Convergence to one scale's iterations.
type convergenceCheck struct {
	rule Convergence
	// compared is true once the first snapshot is taken: the change
	// measured at the next due iteration is a real one.
	compared bool
	// last is the latest change measured, in grey levels, and
	// lastDecrease the loss's relative decrease over the same window; NaN
	// before.
	last, lastDecrease float64
	// lossThen is the loss at the previous snapshot.
	lossThen float64
}

func newConvergenceCheck(rule Convergence) *convergenceCheck {
	return &convergenceCheck{rule: rule, last: math.NaN(), lastDecrease: math.NaN()}
}

// after is called after iteration iter (from 1) of a run capped at limit
// iterations, whose loss is then loss. At every Window-th iteration before
// the cap it calls change, which returns the RMS change of the image in
// grey levels since its previous call and takes a snapshot; the first
// call's answer is not a change and is ignored. after reports whether the
// picture has converged.
func (c *convergenceCheck) after(iter, limit int, loss float64, change func() (float64, error)) (bool, error) {
	if c.rule.Off() || iter%c.rule.Window != 0 || iter >= limit {
		return false, nil
	}
	d, err := change()
	if err != nil {
		return false, err
	}
	then := c.lossThen
	c.lossThen = loss
	if !c.compared {
		c.compared = true
		return false, nil
	}
	c.last = d
	c.lastDecrease = (then - loss) / math.Abs(loss)
	settled := c.rule.MaxLossDecrease == 0 || c.lastDecrease < c.rule.MaxLossDecrease
	return d < c.rule.MaxChange && settled, nil
}

// rmsChange returns the root-mean-square difference of a and b (of equal
// length) in their own units, and copies a into b.
func rmsChange(a, b []float32) float64 {
	var sum float64
	for i, v := range a {
		d := float64(v - b[i])
		sum += d * d
		b[i] = v
	}
	if len(a) == 0 {
		return 0
	}
	return math.Sqrt(sum / float64(len(a)))
}
