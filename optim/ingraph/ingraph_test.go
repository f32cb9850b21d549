package ingraph_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/optim"
	"github.com/neuralstyle/neuralstyle/optim/ingraph"
)

// problem is a nonconvex objective of n values built on an in-graph
// method's point, with a placeholder in front of it so that the host path
// (package optim) can evaluate the same graph by feeding the point:
//
//	f(x) = Σ wᵢ(xᵢ − cᵢ)² + λ Σ log(1 + xᵢ²)
type problem struct {
	n     int
	sess  *tf.Session
	g     *ingraph.Graph
	in    tf.Output
	loss  tf.Output
	grad  tf.Output
	start []float32
}

func newProblem(t *testing.T, n int, method string, decay float64, cfg any) *problem {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	w, c := make([]float32, n), make([]float32, n)
	p := &problem{n: n, start: make([]float32, n)}
	for i := range w {
		w[i] = float32(0.5 + 20*rng.Float64()) // condition number about 40
		c[i] = float32(10 * rng.NormFloat64())
		p.start[i] = float32(5 * rng.NormFloat64())
	}
	s := op.NewScope()
	shape := []int64{int64(n)}
	var err error
	if method == "adam" {
		p.g, err = ingraph.NewAdam(s.SubScope("opt"), shape, cfg.(optim.Adam))
	} else {
		p.g, err = ingraph.NewLBFGS(s.SubScope("opt"), shape, cfg.(optim.LBFGS))
	}
	require.NoError(t, err)
	p.in = op.PlaceholderWithDefault(s.SubScope("in"), p.g.Point(), tf.MakeShape(shape...))
	d := op.Sub(s, p.in, op.Const(s.SubScope("c"), c))
	quad := op.Sum(s.SubScope("quad"), op.Mul(s, op.Const(s.SubScope("w"), w), op.Square(s, d)), op.Const(s.SubScope("ax"), []int32{0}))
	reg := op.Sum(s.SubScope("reg"), op.Log1p(s, op.Square(s.SubScope("sq"), p.in)), op.Const(s.SubScope("ax2"), []int32{0}))
	reg = op.Mul(s.SubScope("lambda"), reg, op.Const(s.SubScope("l"), float32(30)))
	p.loss = op.AddV2(s.SubScope("loss"), quad, reg)
	p.grad = op.Gradients(s.SubScope("grad"), []tf.Output{p.loss}, []tf.Output{p.in})[0]
	require.NoError(t, p.g.Finish(s.SubScope("step"), p.loss, p.grad, op.Pack(s.SubScope("report"), []tf.Output{quad, reg}), decay))
	graph, err := s.Finalize()
	require.NoError(t, err)
	p.sess, err = tf.NewSession(graph, nil)
	require.NoError(t, err)
	t.Cleanup(func() { p.sess.Close() })
	return p
}

// Evaluate is the host path's objective: the same graph, fed the point.
func (p *problem) Evaluate(_ context.Context, x, grad []float32) (float64, error) {
	in, err := tf.NewTensor(x)
	if err != nil {
		return 0, err
	}
	out, err := p.sess.Run(map[tf.Output]*tf.Tensor{p.in: in}, []tf.Output{p.loss, p.grad}, nil)
	if err != nil {
		return 0, err
	}
	copy(grad, out[1].Value().([]float32))
	return float64(out[0].Value().(float32)), nil
}

func (p *problem) x0(t *testing.T) *tf.Tensor {
	x, err := tf.NewTensor(p.start)
	require.NoError(t, err)
	return x
}

// result reads the method's result point.
func (p *problem) result(t *testing.T) []float32 {
	out, err := p.sess.Run(nil, []tf.Output{p.g.Result()}, nil)
	require.NoError(t, err)
	return out[0].Value().([]float32)
}

func relDiff(a, b float64) float64 { return math.Abs(a-b) / math.Max(math.Abs(b), 1e-30) }

// Adam in the graph follows optim.Adam's path: the loss of every iteration
// agrees to float32 rounding, and so do the best point and its value.
func TestAdamMatchesOptim(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      optim.Adam
		decay    float64
		pointTol float64 // largest difference of the result points
	}{
		{"lr 0.5", optim.Adam{LearningRate: 0.5}, 0, 1e-2},
		// At this rate coordinates hop between the minima of the
		// log term, so rounding can send a few to another one.
		{"lr 2, betas", optim.Adam{LearningRate: 2, Beta1: 0.5, Beta2: 0.99}, 0, math.Inf(1)},
		{"averaging", optim.Adam{LearningRate: 0.5}, 0.9, 1e-2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProblem(t, 500, "adam", tc.decay, tc.cfg)
			const iters = 60
			var host, dev []float64
			hs := optim.Settings{Iterations: iters, Progress: func(pr optim.Progress) error { host = append(host, pr.Value); return nil }}
			ds := ingraph.Settings{Iterations: iters, Progress: func(pr ingraph.Progress) error {
				dev = append(dev, pr.Value)
				assert.InDelta(t, pr.Value, float64(pr.Report[0]+pr.Report[1]), 1e-3*pr.Value)
				return nil
			}}
			if tc.decay > 0 {
				hs.Average = &optim.Averaging{Decay: tc.decay}
				ds.Average = &optim.Averaging{Decay: tc.decay}
			}
			cfg := tc.cfg
			hr, err := optim.Minimize(context.Background(), p, p.start, hs, &cfg)
			require.NoError(t, err)
			dr, err := ingraph.Minimize(context.Background(), p.sess, p.g, p.x0(t), ds)
			require.NoError(t, err)
			require.Len(t, dev, iters)
			for i := range host {
				require.Less(t, relDiff(dev[i], host[i]), 1e-3, "iteration %d: %g against %g", i+1, dev[i], host[i])
			}
			assert.Less(t, relDiff(dr.Value, hr.Value), 1e-3)
			assert.Equal(t, hr.Iterations, dr.Iterations)
			assert.Equal(t, hr.Evaluations, dr.Evaluations)
			assert.Equal(t, optim.IterationLimit, dr.Status)
			x := p.result(t)
			var worst float64
			for i, v := range x {
				worst = math.Max(worst, math.Abs(float64(v-hr.X[i])))
			}
			assert.LessOrEqual(t, worst, tc.pointTol, "largest difference of the result points")
		})
	}
}

// L-BFGS in the graph ends within 2 % of optim.LBFGS's loss (the same
// method with Moré–Thuente; the history is float32 here) and takes no more
// evaluations per iteration.
func TestLBFGSMatchesOptim(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  optim.LBFGS
	}{
		{"defaults", optim.LBFGS{}},
		{"initial step, store 5", optim.LBFGS{Store: 5, InitialStep: 0.5}},
		{"initial scale, store 1", optim.LBFGS{Store: 1, InitialScale: 0.01}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProblem(t, 400, "lbfgs", 0, tc.cfg)
			const iters = 20 // short of float32's resolution at the minimum, where both stall
			host := tc.cfg
			host.LineSearch = optim.MoreThuenteSearch
			hr, err := optim.Minimize(context.Background(), p, p.start, optim.Settings{Iterations: iters}, &host)
			require.NoError(t, err)
			var curve []float64
			dr, err := ingraph.Minimize(context.Background(), p.sess, p.g, p.x0(t), ingraph.Settings{Iterations: iters,
				Progress: func(pr ingraph.Progress) error { curve = append(curve, pr.Value); return nil }})
			require.NoError(t, err)
			t.Logf("host %.6g in %d evaluations, device %.6g in %d (%v)", hr.Value, hr.Evaluations, dr.Value, dr.Evaluations, dr.Status)
			assert.Less(t, dr.Value, 1.02*hr.Value)
			assert.LessOrEqual(t, float64(dr.Evaluations)/float64(dr.Iterations), float64(hr.Evaluations)/float64(hr.Iterations)+0.25)
			for i := 1; i < len(curve); i++ {
				assert.LessOrEqual(t, curve[i], curve[i-1], "the line search only accepts decreases")
			}
			f, err := p.Evaluate(context.Background(), p.result(t), make([]float32, p.n))
			require.NoError(t, err)
			assert.Less(t, relDiff(f, dr.Value), 1e-5, "Value is the objective at the result")
			assert.Greater(t, dr.InverseHessianScale, 0.0)
		})
	}
}

func TestStopsAndErrors(t *testing.T) {
	for _, method := range []string{"adam", "lbfgs"} {
		var cfg any = optim.Adam{LearningRate: 0.5}
		if method == "lbfgs" {
			cfg = optim.LBFGS{}
		}
		t.Run(method+"/cancelled", func(t *testing.T) {
			p := newProblem(t, 50, method, 0, cfg)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			res, err := ingraph.Minimize(ctx, p.sess, p.g, p.x0(t), ingraph.Settings{Iterations: 100,
				Progress: func(pr ingraph.Progress) error {
					if pr.Iteration == 3 {
						cancel()
					}
					return nil
				}})
			require.ErrorIs(t, err, context.Canceled)
			assert.Equal(t, optim.Canceled, res.Status)
			assert.Equal(t, 3, res.Iterations)
			assert.False(t, math.IsNaN(res.Value))
		})
		t.Run(method+"/progress error", func(t *testing.T) {
			p := newProblem(t, 50, method, 0, cfg)
			boom := errors.New("boom")
			res, err := ingraph.Minimize(context.Background(), p.sess, p.g, p.x0(t), ingraph.Settings{Iterations: 100,
				Progress: func(pr ingraph.Progress) error {
					if pr.Iteration == 2 {
						return boom
					}
					return nil
				}})
			require.ErrorIs(t, err, boom)
			assert.Equal(t, optim.Stopped, res.Status)
			assert.Equal(t, 2, res.Iterations)
		})
		t.Run(method+"/bad start", func(t *testing.T) {
			p := newProblem(t, 50, method, 0, cfg)
			x, err := tf.NewTensor(make([]float32, 49))
			require.NoError(t, err)
			_, err = ingraph.Minimize(context.Background(), p.sess, p.g, x, ingraph.Settings{})
			require.ErrorContains(t, err, "shape")
		})
		t.Run(method+"/averaging mismatch", func(t *testing.T) {
			p := newProblem(t, 50, method, 0, cfg)
			_, err := ingraph.Minimize(context.Background(), p.sess, p.g, p.x0(t), ingraph.Settings{Average: &optim.Averaging{}})
			require.ErrorContains(t, err, "averaging")
		})
		t.Run(method+"/non-finite", func(t *testing.T) {
			p := newProblem(t, 50, method, 0, cfg)
			start := append([]float32(nil), p.start...)
			start[3] = float32(math.Inf(1))
			x, err := tf.NewTensor(start)
			require.NoError(t, err)
			res, err := ingraph.Minimize(context.Background(), p.sess, p.g, x, ingraph.Settings{Iterations: 5})
			require.ErrorIs(t, err, optim.ErrNonFinite)
			assert.Equal(t, optim.Failed, res.Status)
		})
	}
}

func TestUnfinishedAndBadConfig(t *testing.T) {
	s := op.NewScope()
	g, err := ingraph.NewAdam(s, []int64{4}, optim.Adam{})
	require.NoError(t, err)
	_, err = ingraph.Minimize(context.Background(), nil, g, nil, ingraph.Settings{})
	require.ErrorIs(t, err, ingraph.ErrNotFinished)
	_, err = ingraph.NewAdam(op.NewScope(), []int64{4}, optim.Adam{Beta1: 2})
	require.ErrorContains(t, err, "beta1")
	_, err = ingraph.NewLBFGS(op.NewScope(), []int64{4}, optim.LBFGS{Store: -1})
	require.ErrorContains(t, err, "store")
	_, err = ingraph.NewLBFGS(op.NewScope(), []int64{0, 3}, optim.LBFGS{})
	require.ErrorContains(t, err, "shape")
}

func TestStateVectors(t *testing.T) {
	for _, tc := range []struct {
		method string
		store  int
		avg    bool
		want   int
	}{{"adam", 0, false, 5}, {"adam", 0, true, 6}, {"lbfgs", 0, false, 34}, {"lbfgs", 5, true, 15}} {
		assert.Equal(t, tc.want, ingraph.StateVectors(tc.method, tc.store, tc.avg), "%+v", tc)
	}
}
