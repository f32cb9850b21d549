package ingraph

import (
	"fmt"
	"math"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/optim"
)

// adamGraph is Adam's part of a Graph.
//
// One Session.Run is one iteration: TensorFlow's ResourceApplyAdam moves
// the iterate with the gradient stored by the previous run, the objective
// is evaluated at the new iterate (its read waits for the update), and the
// gradient is stored for the next run; the best iterate and the average
// are updated in the same run. The first run starts with a zero gradient
// and zero moments, for which ApplyAdam leaves the iterate exactly where it
// is, so that it evaluates the starting point.
type adamGraph struct {
	lr, b1, b2, eps float64

	m, v, grad  tf.Output // variables
	best, bestF tf.Output // variables: the best iterate and its value
	readBest    tf.Output
	b1p, b2p    tf.Output // placeholders: β₁ᵗ, β₂ᵗ
	apply       *tf.Operation

	fetch tf.Output       // [f, ‖g‖², report…]
	step  []*tf.Operation // targets of an iteration
}

// NewAdam adds the variables of Adam (optim.Adam's parameters, with its
// defaults for zero fields) for a point of the given shape under s.
func NewAdam(s *op.Scope, shape []int64, cfg optim.Adam) (*Graph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	lr, b1, b2, eps := cfg.Params()
	g, err := newGraph(s, "adam", shape)
	if err != nil {
		return nil, err
	}
	a := &adamGraph{lr: lr, b1: b1, b2: b2, eps: eps}
	g.adam = a
	a.m = g.variable(s, "m", shape...)
	a.v = g.variable(s, "v", shape...)
	a.grad = g.variable(s, "grad", shape...)
	a.best = g.variable(s, "best", shape...)
	a.readBest = read(s.SubScope("read_best_x"), a.best)
	a.bestF = g.filled(s, "best_value", float32(math.Inf(1)))
	a.b1p = op.Placeholder(s.SubScope("beta1_power"), tf.Float, op.PlaceholderShape(tf.ScalarShape()))
	a.b2p = op.Placeholder(s.SubScope("beta2_power"), tf.Float, op.PlaceholderShape(tf.ScalarShape()))
	as := s.SubScope("apply")
	a.apply = op.ResourceApplyAdam(as, g.x, a.m, a.v, a.b1p, a.b2p,
		scalar(as.SubScope("lr"), lr), scalar(as.SubScope("beta1"), b1), scalar(as.SubScope("beta2"), b2),
		scalar(as.SubScope("epsilon"), eps), read(as.SubScope("grad"), a.grad))
	g.point = read(s.SubScope("point").WithControlDependencies(a.apply), g.x)
	return g, s.Err()
}

// Finish adds the update of the method from the objective's value loss (a
// float32 scalar computed from Point), its gradient grad with respect to
// Point, and report, a float32 vector of values to report with each
// iteration (the terms of the loss; an empty Output for none). decay > 0
// turns on averaging with that decay (optim.Averaging).
func (g *Graph) Finish(s *op.Scope, loss, grad, report tf.Output, decay float64) error {
	if g.finished {
		return fmt.Errorf("ingraph: %s: Finish called twice", g.kind)
	}
	if report.Op == nil {
		report = op.Const(s.SubScope("no_report"), []float32{})
	}
	var err error
	if g.adam != nil {
		err = g.adam.finish(g, s.SubScope("adam_step"), loss, grad, report, decay)
	} else {
		err = g.lbfgs.finish(g, s.SubScope("lbfgs_step"), loss, grad, report, decay)
	}
	if err != nil {
		return err
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("ingraph: %s: %w", g.kind, err)
	}
	g.finished = true
	return nil
}

func (a *adamGraph) finish(g *Graph, s *op.Scope, loss, grad, report tf.Output, decay float64) error {
	x := g.point
	a.step = append(a.step, op.AssignVariableOp(s.SubScope("store_grad"), a.grad, grad))
	bestF := read(s.SubScope("read_best_value"), a.bestF)
	better := op.LessEqual(s.SubScope("better"), loss, bestF)
	a.step = append(a.step,
		op.AssignVariableOp(s.SubScope("store_best"), a.best, op.Select(s.SubScope("pick_best"), better, x, read(s.SubScope("read_best"), a.best))),
		op.AssignVariableOp(s.SubScope("store_best_value"), a.bestF, op.Select(s.SubScope("pick_value"), better, loss, bestF)))
	avg, err := g.finishAverage(s, decay, x)
	if err != nil {
		return err
	}
	if avg != nil {
		a.step = append(a.step, avg)
	}
	gg := dot(s.SubScope("grad_norm"), grad, grad)
	a.fetch = op.ConcatV2(s.SubScope("fetch"), []tf.Output{op.Pack(s.SubScope("scalars"), []tf.Output{loss, gg}), report},
		op.Const(s.SubScope("axis"), int32(0)))
	return nil
}

// iteration runs iteration t (0: the evaluation of the starting point) and
// returns the value, the squared gradient norm and the report there.
func (a *adamGraph) iteration(m *minimizer, t int) (float64, float64, []float32, error) {
	p := max(t, 1) // the first run's step is void; any valid powers do
	b1p, err := tf.NewTensor(float32(math.Pow(a.b1, float64(p))))
	if err != nil {
		return 0, 0, nil, err
	}
	b2p, err := tf.NewTensor(float32(math.Pow(a.b2, float64(p))))
	if err != nil {
		return 0, 0, nil, err
	}
	v, err := m.fetchVector("evaluation", map[tf.Output]*tf.Tensor{a.b1p: b1p, a.b2p: b2p}, a.fetch, a.step)
	if err != nil {
		return 0, 0, nil, err
	}
	return float64(v[0]), float64(v[1]), v[2:], nil
}

func (m *minimizer) adam() error {
	a := m.g.adam
	if err := m.checkCtx(); err != nil {
		return err
	}
	bestF, bestReport := math.NaN(), []float32(nil)
	for t := 0; ; t++ {
		if t > m.maxIter {
			m.res.Status = optim.IterationLimit
			return nil
		}
		if t > 0 {
			if err := m.checkCtx(); err != nil {
				return err
			}
		}
		f, gg, rep, err := a.iteration(m, t)
		if err != nil {
			return err
		}
		m.res.Evaluations++
		m.foldAverage()
		if err := m.nonFinite(f, gg); err != nil {
			return err
		}
		if f <= bestF || math.IsNaN(bestF) {
			bestF, bestReport = f, rep
			m.value, m.report = bestF, bestReport
		}
		if t == 0 {
			continue
		}
		m.res.Iterations = t
		if err := m.progress(Progress{Iteration: t, Value: f, Report: rep, GradNorm: math.Sqrt(gg), Evaluations: m.res.Evaluations}); err != nil {
			return err
		}
	}
}

// evaluateHere evaluates at the iterate: with zero moments and gradient
// the run's ApplyAdam leaves it in place.
func (a *adamGraph) evaluateHere(m *minimizer) (float64, []float32, error) {
	if _, err := m.run("resetting the moments", nil, nil, []*tf.Operation{m.g.zeroOf(a.m), m.g.zeroOf(a.v), m.g.zeroOf(a.grad)}); err != nil {
		return 0, nil, err
	}
	f, gg, rep, err := a.iteration(m, 0)
	if err != nil {
		return 0, nil, err
	}
	if err := m.nonFinite(f, gg); err != nil {
		return 0, nil, err
	}
	return f, rep, nil
}
