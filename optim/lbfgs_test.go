package optim_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/optimize"

	"github.com/neuralstyle/neuralstyle/optim"
)

// pathRecorder is a gonum Recorder that keeps the major iterations.
type pathRecorder struct {
	xs [][]float64
	fs []float64
}

func (r *pathRecorder) Init() error { return nil }

func (r *pathRecorder) Record(loc *optimize.Location, op optimize.Operation, _ *optimize.Stats) error {
	if op == optimize.MajorIteration {
		r.xs = append(r.xs, append([]float64(nil), loc.X...))
		r.fs = append(r.fs, loc.F)
	}
	return nil
}

// gonumPath runs gonum's LBFGS directly on prob from x0 and returns the
// iterates and values of iterations 1, 2, … (not the starting point), and
// the result.
func gonumPath(t *testing.T, prob optimize.Problem, x0 []float32, store, iters int, ls optim.LineSearch) ([][]float64, []float64, *optimize.Result) {
	t.Helper()
	x := make([]float64, len(x0))
	for i, v := range x0 {
		x[i] = float64(v)
	}
	rec := &pathRecorder{}
	settings := &optimize.Settings{
		MajorIterations: iters + 1, // gonum counts the starting point
		Converger:       &optimize.FunctionConverge{Iterations: 100},
		Recorder:        rec,
	}
	method := &optimize.LBFGS{Store: store}
	if ls == optim.MoreThuenteSearch {
		method.Linesearcher = &optimize.MoreThuente{}
	}
	res, err := optimize.Minimize(prob, x, settings, method)
	if err != nil {
		// The line search gives up at the precision limit.
		if !errors.Is(err, optimize.ErrLinesearcherFailure) {
			require.ErrorIs(t, err, optimize.ErrNoProgress)
		}
	}
	xs, fs := rec.xs[1:], rec.fs[1:]
	// gonum does not record the iteration that ends the run.
	if res.MajorIterations-1 > len(xs) {
		xs = append(xs, res.X)
		fs = append(fs, res.F)
	}
	return xs, fs, res
}

// rounded returns the gonum Problem x ↦ f(float32(x)): the function that
// Minimize presents to gonum for a float32 objective.
func rounded(p problem) optimize.Problem {
	eval := func(x []float64, grad []float64) float64 {
		x32 := make([]float32, len(x))
		for i, v := range x {
			x32[i] = float32(v)
		}
		g32 := make([]float32, len(x))
		f := p.f32(x32, g32)
		for i := range grad {
			grad[i] = float64(g32[i])
		}
		return f
	}
	return optimize.Problem{
		Func: func(x []float64) float64 { return eval(x, nil) },
		Grad: func(grad, x []float64) { eval(x, grad) },
	}
}

// TestLBFGSSamePathAsGonum checks that Minimize takes exactly gonum's path
// when gonum minimizes the same function directly: the float32 objective
// seen through rounding of x. Every iterate and value is identical, and the
// objective is called once per point where gonum calls Func (its Grad calls
// at the same point are served from the cache).
func TestLBFGSSamePathAsGonum(t *testing.T) {
	for _, tc := range []struct {
		p     problem
		store int
		iters int
		ls    optim.LineSearch
	}{
		{rosenbrockProblem(2), 0, 1000, optim.BisectionSearch},
		{rosenbrockProblem(100), 0, 1000, optim.BisectionSearch},
		{rosenbrockProblem(100), 5, 40, optim.BisectionSearch},
		{quadraticProblem(20, 100), 3, 1000, optim.BisectionSearch},
		{rosenbrockProblem(2), 0, 1000, optim.MoreThuenteSearch},
		{rosenbrockProblem(100), 0, 1000, optim.MoreThuenteSearch},
		{quadraticProblem(20, 100), 3, 1000, optim.MoreThuenteSearch},
	} {
		t.Run(fmt.Sprintf("%s/store%d/ls%d", tc.p.name, tc.store, tc.ls), func(t *testing.T) {
			wantX, wantF, gres := gonumPath(t, rounded(tc.p), tc.p.x0, tc.store, tc.iters, tc.ls)
			require.NotEmpty(t, wantX)

			var xs [][]float32
			var fs []float64
			res, err := optim.Minimize(context.Background(), tc.p.objective(), tc.p.x0,
				recordIterates(optim.Settings{Iterations: tc.iters}, &xs, &fs), &optim.LBFGS{Store: tc.store, LineSearch: tc.ls})
			require.NoError(t, err)
			require.Len(t, xs, len(wantX))
			for k := range wantX {
				require.Equal(t, wantF[k], fs[k], "value at iteration %d", k+1)
				for i := range wantX[k] {
					require.Equal(t, float32(wantX[k][i]), xs[k][i], "x[%d] at iteration %d", i, k+1)
				}
			}
			assert.Equal(t, gres.MajorIterations-1, res.Iterations)
			if res.Status != optim.Stalled {
				assert.Equal(t, gres.FuncEvaluations, res.Evaluations)
				assert.Equal(t, gres.F, res.Value)
				for i := range res.X {
					assert.Equal(t, float32(gres.X[i]), res.X[i])
				}
			} else {
				// In the last, failing line search gonum tries steps so
				// small that several round to the same float32 point:
				// the objective is called once for them. Result.X is the
				// lowest point seen, possibly one of those trial points.
				assert.LessOrEqual(t, res.Evaluations, gres.FuncEvaluations)
				assert.LessOrEqual(t, res.Value, gres.F)
			}
			if tc.iters == 40 {
				assert.Equal(t, optim.IterationLimit, res.Status)
			}
			t.Logf("%d iterations, %d evaluations (gonum: %d Func, %d Grad calls), status %v",
				res.Iterations, res.Evaluations, gres.FuncEvaluations, gres.GradEvaluations, res.Status)
		})
	}
}

// TestLBFGSFollowsFloat64Gonum compares Minimize with gonum on the float64
// function itself. The float32 rounding of x and of the gradient perturbs
// each step by about 1e-7 relative; the perturbations grow from iteration to
// iteration (and a line search decision can flip), so the paths agree to
// 1e-5 over the first iterations only: 5 on the curved 2-D Rosenbrock
// valley, 14 and 10 on the others. TestLBFGSSamePathAsGonum checks whole
// paths.
func TestLBFGSFollowsFloat64Gonum(t *testing.T) {
	for _, tc := range []struct {
		p     problem
		iters int     // iterations compared
		tol   float64 // relative tolerance on values and iterates
	}{
		{rosenbrockProblem(2), 5, 1e-5},
		{rosenbrockProblem(100), 14, 1e-5},
		{quadraticProblem(20, 100), 10, 1e-5},
	} {
		t.Run(tc.p.name, func(t *testing.T) {
			prob := optimize.Problem{
				Func: func(x []float64) float64 { return tc.p.f64(x, nil) },
				Grad: func(grad, x []float64) { tc.p.f64(x, grad) },
			}
			wantX, wantF, _ := gonumPath(t, prob, tc.p.x0, 0, tc.iters, optim.BisectionSearch)
			var xs [][]float32
			var fs []float64
			_, err := optim.Minimize(context.Background(), tc.p.objective(), tc.p.x0,
				recordIterates(optim.Settings{Iterations: tc.iters}, &xs, &fs), &optim.LBFGS{})
			require.NoError(t, err)
			require.Len(t, xs, tc.iters)
			require.Len(t, wantX, tc.iters)
			var worstF, worstX float64
			for k := range wantX {
				worstF = math.Max(worstF, math.Abs(fs[k]-wantF[k])/math.Abs(wantF[k]))
				var dmax, xmax float64
				for i, w := range wantX[k] {
					dmax = math.Max(dmax, math.Abs(float64(xs[k][i])-w))
					xmax = math.Max(xmax, math.Abs(w))
				}
				worstX = math.Max(worstX, dmax/xmax)
			}
			t.Logf("first %d iterations: worst relative error of f %.3g, of x (max norm) %.3g", tc.iters, worstF, worstX)
			assert.Less(t, worstF, tc.tol)
			assert.Less(t, worstX, tc.tol)
		})
	}
}

// sphere is f(x) = ½·λ·‖x − c‖², with c = (shift, …, shift): every step s
// changes the gradient by y = λ·s, so γ = sᵀy / yᵀy = 1/λ exactly, and the
// Newton step from anywhere is −∇f/λ.
func sphere(n int, lambda, shift float64) problem {
	f := func(x []float64, grad []float64) float64 {
		var v float64
		for i, xi := range x {
			d := xi - shift
			v += d * d
			if grad != nil {
				grad[i] = lambda * d
			}
		}
		return lambda * v / 2
	}
	c := make([]float64, n)
	for i := range c {
		c[i] = shift
	}
	return problem{
		name: fmt.Sprintf("sphere%d", n),
		x0:   make([]float32, n),
		xmin: c,
		f64:  f,
		f32: func(x, grad []float32) float64 {
			x64, g64 := make([]float64, len(x)), make([]float64, len(x))
			for i, v := range x {
				x64[i] = float64(v)
			}
			v := f(x64, g64)
			for i := range grad {
				grad[i] = float32(g64[i])
			}
			return v
		},
	}
}

// TestLBFGSInitialScale checks LBFGS.InitialScale and
// Result.InverseHessianScale on problems whose answers are known.
func TestLBFGSInitialScale(t *testing.T) {
	t.Run("first trial is x0 − γ∇f(x0)", func(t *testing.T) {
		p := quadraticProblem(20, 100)
		const gamma = 0.0123
		var points [][]float32
		obj := optim.ObjectiveFunc(func(_ context.Context, x, grad []float32) (float64, error) {
			points = append(points, append([]float32(nil), x...))
			return p.f32(x, grad), nil
		})
		for _, ls := range []optim.LineSearch{optim.BisectionSearch, optim.MoreThuenteSearch} {
			points = nil
			_, err := optim.Minimize(context.Background(), obj, p.x0, optim.Settings{Iterations: 1},
				&optim.LBFGS{InitialScale: gamma, LineSearch: ls})
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(points), 2)
			assert.Equal(t, p.x0, points[0], "the first evaluation is at x0")
			g0 := make([]float64, len(p.x0))
			x0 := make([]float64, len(p.x0))
			for i, v := range p.x0 {
				x0[i] = float64(v)
			}
			p.f64(x0, g0)
			for i, got := range points[1] {
				want := x0[i] - gamma*float64(float32(g0[i]))
				assert.InDelta(t, want, float64(got), 1e-6*(1+math.Abs(want)), "line search %d: x[%d] of the first trial", ls, i)
			}
		}
	})

	t.Run("InitialStep sets the first trial's RMS length", func(t *testing.T) {
		p := quadraticProblem(20, 100)
		for _, step := range []float64{0.01, 1, 7.5} {
			var points [][]float32
			obj := optim.ObjectiveFunc(func(_ context.Context, x, grad []float32) (float64, error) {
				points = append(points, append([]float32(nil), x...))
				return p.f32(x, grad), nil
			})
			_, err := optim.Minimize(context.Background(), obj, p.x0, optim.Settings{Iterations: 1},
				&optim.LBFGS{InitialStep: step, LineSearch: optim.MoreThuenteSearch})
			require.NoError(t, err)
			require.GreaterOrEqual(t, len(points), 2)
			var ss float64
			for i, v := range points[1] {
				d := float64(v) - float64(p.x0[i])
				ss += d * d
			}
			assert.InEpsilon(t, step, math.Sqrt(ss/float64(len(p.x0))), 1e-4, "RMS of the first trial step")
		}
		// InitialScale, when given, wins.
		var points [][]float32
		obj := optim.ObjectiveFunc(func(_ context.Context, x, grad []float32) (float64, error) {
			points = append(points, append([]float32(nil), x...))
			return p.f32(x, grad), nil
		})
		g0 := make([]float32, len(p.x0))
		p.f32(p.x0, g0)
		_, err := optim.Minimize(context.Background(), obj, p.x0, optim.Settings{Iterations: 1},
			&optim.LBFGS{InitialScale: 0.0123, InitialStep: 5, LineSearch: optim.MoreThuenteSearch})
		require.NoError(t, err)
		assert.InDelta(t, float64(p.x0[0])-0.0123*float64(g0[0]), float64(points[1][0]), 1e-5)
	})

	t.Run("gamma of the sphere is 1/λ", func(t *testing.T) {
		for _, lambda := range []float64{1e-3, 1, 250} {
			p := sphere(30, lambda, 3)
			res, err := optim.Minimize(context.Background(), p.objective(), p.x0, optim.Settings{Iterations: 1},
				&optim.LBFGS{LineSearch: optim.MoreThuenteSearch})
			require.NoError(t, err)
			assert.InEpsilon(t, 1/lambda, res.InverseHessianScale, 1e-5, "λ = %g", lambda)
		}
	})

	t.Run("the right scale saves the first line search", func(t *testing.T) {
		// Natural steps are long here (‖x* − x0‖ ≈ 5500): from gonum's
		// first trial of length 1 the line search needs several
		// evaluations to grow the step; with γ = 1/λ the first trial is
		// the minimum itself.
		p := sphere(30, 1e-3, 1000)
		firstIteration := func(m *optim.LBFGS) (evals int, res *optim.Result) {
			s := optim.Settings{Iterations: 20, Progress: func(pr optim.Progress) error {
				if pr.Iteration == 1 {
					evals = pr.Evaluations
				}
				return nil
			}}
			res, err := optim.Minimize(context.Background(), p.objective(), p.x0, s, m)
			require.NoError(t, err)
			return evals, res
		}
		for _, ls := range []optim.LineSearch{optim.BisectionSearch, optim.MoreThuenteSearch} {
			plain, resPlain := firstIteration(&optim.LBFGS{LineSearch: ls})
			scaled, resScaled := firstIteration(&optim.LBFGS{LineSearch: ls, InitialScale: 1e3})
			t.Logf("line search %d: evaluations to finish iteration 1: %d with gonum's first step, %d with γ = 1/λ", ls, plain, scaled)
			assert.GreaterOrEqual(t, plain, 4)
			assert.Equal(t, 2, scaled, "x0 and the minimum")
			for i, v := range resScaled.X {
				assert.InDelta(t, 1000, v, 1e-2, "x[%d]", i)
			}
			assert.Less(t, resScaled.Value, 1e-3)
			assert.Less(t, resPlain.Value, 1e-3)
		}
	})

	t.Run("zero for Adam", func(t *testing.T) {
		p := sphere(5, 1, 1)
		res, err := optim.Minimize(context.Background(), p.objective(), p.x0, optim.Settings{Iterations: 3}, &optim.Adam{})
		require.NoError(t, err)
		assert.Zero(t, res.InverseHessianScale)
	})
}
