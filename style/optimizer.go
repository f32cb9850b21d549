package style

import (
	"errors"
	"fmt"
	"math"

	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/optim"
	"github.com/neuralstyle/neuralstyle/optim/ingraph"
)

// Optimizer is a minimization method for the pixels: Adam(learningRate) or
// LBFGS(); build one with those functions (a nil Optimizer is invalid).
//
// An Optimizer knows where it runs and what it keeps. Untiled runs keep it
// in the TensorFlow graph, on the network's device (package
// optim/ingraph): the image and the optimizer's state are variables of the
// session and an iteration moves only scalars between Go and TensorFlow
// (see Result.HostBytesPerIteration). Tiled runs use package optim on the
// host, which is also the reference the graph's version is tested against.
type Optimizer interface {
	// String returns "adam(lr)" or "lbfgs".
	String() string

	validate() error
	// exactGradient reports whether the method needs the exact loss and
	// gradient: L-BFGS's line search compares loss values, so SinglePass
	// tiling's predicted gradient and bfloat16's coarse loss are refused.
	exactGradient() bool
	// stores is the L-BFGS history lengths the memory planner may choose,
	// largest first, or {0} for a method without one.
	stores() []int
	// stateBytes is the optimizer's state for n float32 variables with
	// history store, on the device (float32 variables of the session) or on
	// the host (package optim).
	stateBytes(n int64, store int, averaging, onDevice bool) int64
	// inGraph builds the method into a graph, for a point of shape.
	inGraph(s *op.Scope, shape []int64, store int) (*ingraph.Graph, error)
	// onHost is the host path's method for a scale that starts from.
	onHost(store int, from scaleStart) optim.Method
	// firstStep is the L-BFGS first trial step of a scale that starts from
	// (ingraph.Settings.InitialScale and InitialStep); zero for Adam.
	firstStep(from scaleStart) (scale, rms float64)
}

// Adam returns the Adam optimizer with the given learning rate, in pixel
// units of the 0–255 scale (the tutorial uses 1), and TensorFlow's
// β1 = 0.9, β2 = 0.999, ε = 1e-8: TensorFlow's ApplyAdam, as package optim's
// Adam. The rate must be finite and > 0; unlike optim.Adam, whose zero
// LearningRate means TensorFlow's default of 0.001 (far too small for
// pixels), there is no zero default here.
func Adam(learningRate float64) Optimizer { return adam{learningRate: learningRate} }

// LBFGS returns the L-BFGS optimizer (gonum's method, with a history of 15
// corrections — cysmith/neural-style-tf uses SciPy's L-BFGS-B, whose default
// history is 10; more history costs memory of 2·15 images) and the
// Moré–Thuente line search. It is the default optimizer: it reaches a lower
// loss than Adam in fewer evaluations on this problem. The memory planner
// may shorten the history to fit (MemoryPlan.Store).
func LBFGS() Optimizer { return lbfgs{} }

// adam is Adam(learningRate).
type adam struct{ learningRate float64 }

func (a adam) String() string { return fmt.Sprintf("adam(%g)", a.learningRate) }

func (a adam) validate() error {
	if math.IsNaN(a.learningRate) || math.IsInf(a.learningRate, 0) || a.learningRate <= 0 {
		return errors.New("want a finite learning rate > 0 (the tutorial's is 1)")
	}
	return nil
}

func (adam) exactGradient() bool { return false }
func (adam) stores() []int       { return []int{0} }

// stateBytes: on the device the point and m, v, the stored gradient and
// the best point (ingraph.StateVectors); on the host optim.Adam's m and v
// and the adapter's point, gradient, best point and the Go-side copy; on
// both, the convergence rule's snapshot (engine.change, monitor.snapshot).
func (a adam) stateBytes(n int64, _ int, averaging, onDevice bool) int64 {
	v := int64(6)
	if onDevice {
		v = int64(ingraph.StateVectors("adam", 0, false))
	}
	if averaging {
		v++
	}
	b := 4*v*n + 4*n // + the convergence snapshot
	if onDevice {
		b += smallState
	}
	return b
}

// smallState bounds the graph's optimizer variables that are not
// point-sized: β powers, ρ, γ, counters and the report of the loss terms.
const smallState = 4 << 10

func (a adam) config() optim.Adam { return optim.Adam{LearningRate: a.learningRate} }

func (a adam) inGraph(s *op.Scope, shape []int64, _ int) (*ingraph.Graph, error) {
	return ingraph.NewAdam(s, shape, a.config())
}

func (a adam) onHost(int, scaleStart) optim.Method {
	c := a.config()
	return &c
}

func (adam) firstStep(scaleStart) (float64, float64) { return 0, 0 }

// lbfgs is LBFGS().
type lbfgs struct{}

func (lbfgs) String() string      { return "lbfgs" }
func (lbfgs) validate() error     { return nil }
func (lbfgs) exactGradient() bool { return true }

func (lbfgs) stores() []int {
	var out []int
	for st := optim.DefaultStore; st >= minStore; st-- {
		out = append(out, st)
	}
	return out
}

// stateBytes: on the host gonum keeps 2·store+6 float64 vectors and the
// adapter a few float32 ones (8·(2·store+12)·n); on the device the float32
// history s, y (a ring written in place) and the point, gradient, trial
// gradient and direction (ingraph.StateVectors); on both, the convergence
// rule's snapshot (engine.change, monitor.snapshot).
func (lbfgs) stateBytes(n int64, store int, averaging, onDevice bool) int64 {
	if onDevice {
		return 4*int64(ingraph.StateVectors("lbfgs", store, averaging)+1)*n + smallState // + the convergence snapshot
	}
	b := 8*int64(2*store+12)*n + 4*n // + the convergence snapshot
	if averaging {
		b += 8 * n
	}
	return b
}

func (lbfgs) inGraph(s *op.Scope, shape []int64, store int) (*ingraph.Graph, error) {
	return ingraph.NewLBFGS(s, shape, optim.LBFGS{Store: store})
}

// onHost: Moré–Thuente (SciPy's L-BFGS-B search) reaches a lower loss per
// evaluation here than gonum's default bisection: L-BFGS's first step
// moves the image by a fraction of a grey level, and Moré–Thuente
// extrapolates from it faster (HED VGG16, 256 px: 1.0e6 against 1.8e6
// after 37 evaluations).
func (l lbfgs) onHost(store int, from scaleStart) optim.Method {
	scale, rms := l.firstStep(from)
	return &optim.LBFGS{Store: store, LineSearch: optim.MoreThuenteSearch, InitialScale: scale, InitialStep: rms}
}

func (lbfgs) firstStep(from scaleStart) (float64, float64) {
	return carriedScale(from.gamma), firstStepRMS
}
