package optim_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/neuralstyle/neuralstyle/optim"
)

// TestMain checks that no run leaves goroutines behind (gonum's L-BFGS runs
// on goroutines of its own).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// methods returns one configuration of each method that solves the test
// problems.
func methods() []optim.Method {
	return []optim.Method{&optim.Adam{LearningRate: 0.05}, &optim.LBFGS{}}
}

func methodName(m optim.Method) string {
	switch m.(type) {
	case *optim.Adam:
		return "adam"
	case *optim.LBFGS:
		return "lbfgs"
	}
	return "?"
}

// spy is an Objective that records every call and lets a test change the
// outcome of one.
type spy struct {
	p     problem
	calls int
	xs    [][]float32
	fs    []float64 // value returned by each call that did not fail
	// hook, if not nil, may change the value or fail; call counts from 1.
	hook func(ctx context.Context, call int, f float64, grad []float32) (float64, error)
}

func (s *spy) Evaluate(ctx context.Context, x, grad []float32) (float64, error) {
	s.calls++
	f := s.p.f32(x, grad)
	var err error
	if s.hook != nil {
		f, err = s.hook(ctx, s.calls, f, grad)
	}
	if err == nil {
		s.xs = append(s.xs, slices.Clone(x))
		s.fs = append(s.fs, f)
	}
	return f, err
}

// best returns the recorded point with the lowest value (the later one on
// ties) among the successful calls, ignoring non-finite values.
func (s *spy) best() ([]float32, float64) {
	bi, bf := -1, math.Inf(1)
	for i, f := range s.fs {
		if f <= bf {
			bi, bf = i, f
		}
	}
	if bi < 0 {
		return nil, math.NaN()
	}
	return s.xs[bi], bf
}

func TestMinimizeConverges(t *testing.T) {
	for _, tc := range []struct {
		method optim.Method
		p      problem
		iters  int
	}{
		{&optim.LBFGS{}, rosenbrockProblem(2), 1000},
		{&optim.LBFGS{}, rosenbrockProblem(100), 1000},
		{&optim.LBFGS{}, quadraticProblem(20, 100), 1000},
		{&optim.LBFGS{Store: 3}, quadraticProblem(20, 100), 1000},
		{&optim.LBFGS{LineSearch: optim.MoreThuenteSearch}, rosenbrockProblem(2), 1000},
		{&optim.LBFGS{LineSearch: optim.MoreThuenteSearch}, rosenbrockProblem(100), 1000},
		{&optim.LBFGS{LineSearch: optim.MoreThuenteSearch}, quadraticProblem(20, 100), 1000},
		{&optim.Adam{LearningRate: 0.05}, rosenbrockProblem(2), 5000},
		{&optim.Adam{LearningRate: 0.01}, rosenbrockProblem(100), 20000},
		{&optim.Adam{LearningRate: 0.05}, quadraticProblem(20, 100), 1000},
	} {
		t.Run(methodName(tc.method)+"/"+tc.p.name, func(t *testing.T) {
			res, err := optim.Minimize(context.Background(), tc.p.objective(), tc.p.x0,
				optim.Settings{Iterations: tc.iters}, tc.method)
			require.NoError(t, err)
			var xerr float64
			for i, want := range tc.p.xmin {
				xerr = math.Max(xerr, math.Abs(float64(res.X[i])-want))
			}
			t.Logf("status %v after %d iterations, %d evaluations: f = %.3g, max |x − x*| = %.3g",
				res.Status, res.Iterations, res.Evaluations, res.Value, xerr)
			assert.Less(t, xerr, 1e-5)
			assert.Less(t, res.Value, 1e-9)
			assert.Equal(t, tc.p.f32(res.X, make([]float32, len(res.X))), res.Value)
			switch tc.method.(type) {
			case *optim.Adam:
				assert.Equal(t, optim.IterationLimit, res.Status)
				assert.Equal(t, tc.iters, res.Iterations)
				assert.Equal(t, tc.iters+1, res.Evaluations)
			case *optim.LBFGS:
				assert.Contains(t, []optim.Status{optim.GradientConverged, optim.FunctionConverged, optim.Stalled}, res.Status)
			}
		})
	}
}

func TestNilMethodIsLBFGS(t *testing.T) {
	p := quadraticProblem(20, 100)
	want, err := optim.Minimize(context.Background(), p.objective(), p.x0, optim.Settings{}, &optim.LBFGS{})
	require.NoError(t, err)
	got, err := optim.Minimize(context.Background(), p.objective(), p.x0, optim.Settings{}, nil)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

func TestAdamDefaults(t *testing.T) {
	p := rosenbrockProblem(2)
	want, err := optim.Minimize(context.Background(), p.objective(), p.x0, optim.Settings{Iterations: 50},
		&optim.Adam{LearningRate: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8})
	require.NoError(t, err)
	got, err := optim.Minimize(context.Background(), p.objective(), p.x0, optim.Settings{}, &optim.Adam{})
	require.NoError(t, err)
	assert.Equal(t, optim.DefaultIterations, got.Iterations)
	got, err = optim.Minimize(context.Background(), p.objective(), p.x0, optim.Settings{Iterations: 50}, &optim.Adam{})
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

func TestLBFGSTolerances(t *testing.T) {
	p := quadraticProblem(20, 100)
	for _, tc := range []struct {
		name   string
		method *optim.LBFGS
		want   optim.Status
	}{
		{"gradient", &optim.LBFGS{GradientTolerance: 1e-2}, optim.GradientConverged},
		{"function", &optim.LBFGS{FunctionTolerance: 0.99, FunctionIterations: 2}, optim.FunctionConverged},
		{"tests off", &optim.LBFGS{GradientTolerance: -1, FunctionIterations: -1}, optim.Stalled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := optim.Minimize(context.Background(), p.objective(), p.x0, optim.Settings{}, tc.method)
			require.NoError(t, err)
			assert.Equal(t, tc.want, res.Status)
			if tc.want == optim.GradientConverged {
				g := make([]float32, len(res.X))
				p.f32(res.X, g)
				for _, v := range g {
					assert.Less(t, math.Abs(float64(v)), 1e-2)
				}
			}
		})
	}
}

// TestProgress checks that Progress sees every iteration, in order, with
// the value and gradient norm at the iterate it reports.
func TestProgress(t *testing.T) {
	for _, m := range methods() {
		t.Run(methodName(m), func(t *testing.T) {
			p := rosenbrockProblem(2)
			s := &spy{p: p}
			var got []optim.Progress
			var values []float64
			settings := optim.Settings{Iterations: 60, Progress: func(pr optim.Progress) error {
				g := make([]float32, len(pr.X))
				values = append(values, p.f32(pr.X, g))
				assert.InDelta(t, norm32(g), pr.GradNorm, 1e-12*math.Max(1, pr.GradNorm))
				assert.Equal(t, s.calls, pr.Evaluations)
				pr.X = slices.Clone(pr.X)
				got = append(got, pr)
				return nil
			}}
			res, err := optim.Minimize(context.Background(), s, p.x0, settings, m)
			require.NoError(t, err)
			require.Len(t, got, res.Iterations)
			for k, pr := range got {
				assert.Equal(t, k+1, pr.Iteration)
				assert.Equal(t, values[k], pr.Value)
				if k > 0 {
					assert.GreaterOrEqual(t, pr.Evaluations, got[k-1].Evaluations+1)
				}
			}
			last := got[len(got)-1]
			assert.Equal(t, res.Evaluations, last.Evaluations)
			_, bf := s.best()
			assert.Equal(t, bf, res.Value)
			if _, ok := m.(*optim.LBFGS); ok {
				// L-BFGS decreases monotonically: the last iterate is best.
				assert.Equal(t, last.X, res.X)
				assert.Equal(t, last.Value, res.Value)
			}
		})
	}
}

func norm32(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

var errStop = errors.New("enough")

// TestProgressStops checks that an error from Progress ends the run at once,
// with the best point so far and the error wrapped.
func TestProgressStops(t *testing.T) {
	for _, m := range methods() {
		// With 3 iterations, L-BFGS reports the last one after gonum has
		// finished: the stop must work there too.
		for _, iters := range []int{100, 3} {
			t.Run(methodName(m)+"/"+strconv.Itoa(iters), func(t *testing.T) {
				p := rosenbrockProblem(2)
				s := &spy{p: p}
				var evalsAtStop int
				settings := optim.Settings{Iterations: iters, Progress: func(pr optim.Progress) error {
					if pr.Iteration == 3 {
						evalsAtStop = s.calls
						return errStop
					}
					return nil
				}}
				res, err := optim.Minimize(context.Background(), s, p.x0, settings, m)
				require.ErrorIs(t, err, errStop)
				assert.Contains(t, err.Error(), "iteration 3")
				require.NotNil(t, res)
				assert.Equal(t, optim.Stopped, res.Status)
				assert.Equal(t, 3, res.Iterations)
				assert.Equal(t, evalsAtStop, s.calls, "no evaluation after the stop")
				assert.Equal(t, s.calls, res.Evaluations)
				bx, bf := s.best()
				assert.Equal(t, bx, res.X)
				assert.Equal(t, bf, res.Value)
			})
		}
	}
}

// TestCancel cancels the context during the k-th evaluation. The run must
// make no further evaluation and return the best point seen (here never the
// last one) with an error wrapping context.Canceled.
func TestCancel(t *testing.T) {
	const k = 5
	for _, m := range methods() {
		for _, mode := range []string{"objective returns ctx.Err", "objective ignores ctx"} {
			t.Run(methodName(m)+"/"+mode, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				p := rosenbrockProblem(2)
				s := &spy{p: p, hook: func(ctx context.Context, call int, f float64, _ []float32) (float64, error) {
					if call < k {
						return f, nil
					}
					cancel()
					if mode == "objective returns ctx.Err" {
						return 0, ctx.Err()
					}
					// A completed evaluation, worse than every other.
					return f + 1000, nil
				}}
				res, err := optim.Minimize(ctx, s, p.x0, optim.Settings{Iterations: 100}, m)
				require.ErrorIs(t, err, context.Canceled)
				require.NotNil(t, res)
				assert.Equal(t, optim.Canceled, res.Status)
				assert.Equal(t, k, s.calls, "stopped within one evaluation")
				assert.Equal(t, k, res.Evaluations)
				bx, bf := s.best()
				assert.Equal(t, bx, res.X)
				assert.Equal(t, bf, res.Value)
				if mode == "objective ignores ctx" {
					assert.NotEqual(t, s.xs[len(s.xs)-1], res.X, "not the last point")
				}
			})
		}
	}
}

func TestCanceledBeforeStart(t *testing.T) {
	for _, m := range methods() {
		t.Run(methodName(m), func(t *testing.T) {
			ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
			defer cancel()
			p := rosenbrockProblem(2)
			s := &spy{p: p}
			res, err := optim.Minimize(ctx, s, p.x0, optim.Settings{Average: &optim.Averaging{}}, m)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.NotNil(t, res)
			assert.Equal(t, optim.Canceled, res.Status)
			assert.Zero(t, s.calls)
			assert.Zero(t, res.Evaluations)
			assert.Equal(t, p.x0, res.X)
			assert.True(t, math.IsNaN(res.Value))
		})
	}
}

var errBoom = errors.New("boom")

// TestObjectiveFailures covers objective errors and non-finite values and
// gradients: the run stops at that evaluation, names the iteration, and
// returns the best finite point.
func TestObjectiveFailures(t *testing.T) {
	for _, m := range methods() {
		for _, tc := range []struct {
			name string
			hook func(f float64, grad []float32) (float64, error)
			want error
		}{
			{"error", func(float64, []float32) (float64, error) { return 0, errBoom }, errBoom},
			{"NaN value", func(float64, []float32) (float64, error) { return math.NaN(), nil }, optim.ErrNonFinite},
			{"+Inf value", func(float64, []float32) (float64, error) { return math.Inf(1), nil }, optim.ErrNonFinite},
			{"-Inf value", func(float64, []float32) (float64, error) { return math.Inf(-1), nil }, optim.ErrNonFinite},
			{"NaN gradient", func(f float64, g []float32) (float64, error) {
				g[len(g)-1] = float32(math.NaN())
				return f, nil
			}, optim.ErrNonFinite},
			{"Inf gradient", func(f float64, g []float32) (float64, error) {
				g[0] = float32(math.Inf(-1))
				return f, nil
			}, optim.ErrNonFinite},
		} {
			// k = 1 fails at the starting point, before gonum's first
			// major iteration.
			for _, k := range []int{1, 4} {
				t.Run(methodName(m)+"/"+tc.name+"/"+strconv.Itoa(k), func(t *testing.T) {
					p := rosenbrockProblem(2)
					var lastIteration int // the last one Progress saw
					s := &spy{p: p}
					s.hook = func(_ context.Context, call int, f float64, grad []float32) (float64, error) {
						if call != k {
							return f, nil
						}
						return tc.hook(f, grad)
					}
					settings := optim.Settings{Iterations: 100, Progress: func(pr optim.Progress) error {
						lastIteration = pr.Iteration
						return nil
					}}
					res, err := optim.Minimize(context.Background(), s, p.x0, settings, m)
					require.ErrorIs(t, err, tc.want)
					require.NotNil(t, res)
					// Evaluation k > 1 belongs to the iteration after the last
					// completed one; evaluation 1 to iteration 0.
					want := lastIteration + 1
					if k == 1 {
						want = 0
					}
					assert.Contains(t, err.Error(), "iteration "+strconv.Itoa(want)+":")
					assert.Equal(t, optim.Failed, res.Status)
					assert.Equal(t, k, s.calls)
					assert.Equal(t, k, res.Evaluations)
					bx, bf := s.best()
					if tc.name != "error" {
						// The spy recorded the non-finite call last.
						s.xs, s.fs = s.xs[:k-1], s.fs[:k-1]
						bx, bf = s.best()
					}
					if k == 1 {
						// Nothing was evaluated successfully: x0, no value.
						assert.Equal(t, p.x0, res.X)
						assert.True(t, math.IsNaN(res.Value))
						return
					}
					assert.Equal(t, bx, res.X)
					assert.Equal(t, bf, res.Value)
					assert.False(t, math.IsNaN(res.Value) || math.IsInf(res.Value, 0))
				})
			}
		}
	}
}

func TestLimits(t *testing.T) {
	for _, tc := range []struct {
		name      string
		method    optim.Method
		settings  optim.Settings
		status    optim.Status
		iters     int
		evals     int // 0: not checked
		maxEvalOK bool
	}{
		{"adam iterations", &optim.Adam{}, optim.Settings{Iterations: 7}, optim.IterationLimit, 7, 8, false},
		{"adam evaluations", &optim.Adam{}, optim.Settings{Iterations: 100, MaxEvaluations: 5}, optim.EvaluationLimit, 4, 5, false},
		{"adam one evaluation", &optim.Adam{}, optim.Settings{MaxEvaluations: 1}, optim.EvaluationLimit, 0, 1, false},
		{"lbfgs iterations", &optim.LBFGS{}, optim.Settings{Iterations: 5}, optim.IterationLimit, 5, 0, false},
		{"lbfgs evaluations", &optim.LBFGS{}, optim.Settings{MaxEvaluations: 7}, optim.EvaluationLimit, -1, 7, false},
		{"lbfgs one evaluation", &optim.LBFGS{}, optim.Settings{MaxEvaluations: 1}, optim.EvaluationLimit, 0, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := rosenbrockProblem(100)
			s := &spy{p: p}
			calls := 0
			tc.settings.Progress = func(optim.Progress) error { calls++; return nil }
			res, err := optim.Minimize(context.Background(), s, p.x0, tc.settings, tc.method)
			require.NoError(t, err)
			assert.Equal(t, tc.status, res.Status)
			if tc.iters >= 0 {
				assert.Equal(t, tc.iters, res.Iterations)
			}
			assert.Equal(t, res.Iterations, calls)
			if tc.evals > 0 {
				assert.Equal(t, tc.evals, res.Evaluations)
			}
			assert.Equal(t, s.calls, res.Evaluations)
			bx, bf := s.best()
			assert.Equal(t, bx, res.X)
			assert.Equal(t, bf, res.Value)
		})
	}
}

// TestAveraging checks the averaged iterate against the bias-corrected
// moving average computed from the iterates that Progress reports.
func TestAveraging(t *testing.T) {
	for _, tc := range []struct {
		method optim.Method
		decay  float64 // 0: default
		iters  int
	}{
		{&optim.Adam{LearningRate: 0.05}, 0.9, 30},
		{&optim.Adam{LearningRate: 0.05}, 0, 300},
		{&optim.LBFGS{}, 0.5, 10},
	} {
		t.Run(methodName(tc.method)+"/"+strconv.FormatFloat(tc.decay, 'g', -1, 64), func(t *testing.T) {
			p := rosenbrockProblem(2)
			d := tc.decay
			if d == 0 {
				d = optim.DefaultDecay
			}
			// x̄ₖ = Σⱼ (1−d)·dᵏ⁻ʲ·xⱼ / (1−dᵏ⁺¹), j = 0 … k, from x₀ = the start.
			iterates := [][]float32{p.x0}
			settings := optim.Settings{Iterations: tc.iters, Average: &optim.Averaging{Decay: tc.decay},
				Progress: func(pr optim.Progress) error {
					iterates = append(iterates, slices.Clone(pr.X))
					return nil
				}}
			s := &spy{p: p}
			res, err := optim.Minimize(context.Background(), s, p.x0, settings, tc.method)
			require.NoError(t, err)
			k := len(iterates) - 1
			require.Equal(t, res.Iterations, k)
			for i := range p.x0 {
				var sum float64
				for j, x := range iterates {
					sum += (1 - d) * math.Pow(d, float64(k-j)) * float64(x[i])
				}
				want := sum / (1 - math.Pow(d, float64(k+1)))
				assert.InDelta(t, want, res.X[i], 2*ulp(want), "x[%d]", i)
			}
			// The average is evaluated once at the end.
			assert.Equal(t, s.calls, res.Evaluations)
			assert.Equal(t, s.xs[len(s.xs)-1], res.X)
			assert.Equal(t, p.f32(res.X, make([]float32, len(res.X))), res.Value)
		})
	}
}

// TestAveragingStopped checks that a stopped run returns the average, not
// evaluated.
func TestAveragingStopped(t *testing.T) {
	p := rosenbrockProblem(2)
	var last []float32
	settings := optim.Settings{Iterations: 100, Average: &optim.Averaging{Decay: 0.5},
		Progress: func(pr optim.Progress) error {
			last = slices.Clone(pr.X)
			if pr.Iteration == 4 {
				return errStop
			}
			return nil
		}}
	s := &spy{p: p}
	res, err := optim.Minimize(context.Background(), s, p.x0, settings, &optim.Adam{LearningRate: 0.1})
	require.ErrorIs(t, err, errStop)
	assert.Equal(t, 5, s.calls)
	assert.True(t, math.IsNaN(res.Value))
	assert.NotEqual(t, last, res.X)
	assert.NotEqual(t, p.x0, res.X)
}

func TestStartUnchanged(t *testing.T) {
	for _, m := range methods() {
		t.Run(methodName(m), func(t *testing.T) {
			p := rosenbrockProblem(2)
			x0 := slices.Clone(p.x0)
			res, err := optim.Minimize(context.Background(), p.objective(), x0, optim.Settings{Iterations: 10}, m)
			require.NoError(t, err)
			assert.Equal(t, p.x0, x0)
			res.X[0] = 42
			assert.Equal(t, p.x0, x0)
		})
	}
}

func TestInvalidArguments(t *testing.T) {
	p := rosenbrockProblem(2)
	obj := p.objective()
	var nilCtx context.Context
	for _, tc := range []struct {
		name     string
		ctx      context.Context
		obj      optim.Objective
		x0       []float32
		settings optim.Settings
		method   optim.Method
	}{
		{"nil context", nilCtx, obj, p.x0, optim.Settings{}, nil},
		{"nil objective", context.Background(), nil, p.x0, optim.Settings{}, nil},
		{"empty start", context.Background(), obj, nil, optim.Settings{}, nil},
		{"negative iterations", context.Background(), obj, p.x0, optim.Settings{Iterations: -1}, nil},
		{"negative evaluations", context.Background(), obj, p.x0, optim.Settings{MaxEvaluations: -1}, nil},
		{"decay 1", context.Background(), obj, p.x0, optim.Settings{Average: &optim.Averaging{Decay: 1}}, nil},
		{"negative decay", context.Background(), obj, p.x0, optim.Settings{Average: &optim.Averaging{Decay: -0.5}}, nil},
		{"adam learning rate", context.Background(), obj, p.x0, optim.Settings{}, &optim.Adam{LearningRate: -1}},
		{"adam NaN learning rate", context.Background(), obj, p.x0, optim.Settings{}, &optim.Adam{LearningRate: math.NaN()}},
		{"adam beta1", context.Background(), obj, p.x0, optim.Settings{}, &optim.Adam{Beta1: 1}},
		{"adam beta2", context.Background(), obj, p.x0, optim.Settings{}, &optim.Adam{Beta2: -0.1}},
		{"adam epsilon", context.Background(), obj, p.x0, optim.Settings{}, &optim.Adam{Epsilon: math.Inf(1)}},
		{"lbfgs store", context.Background(), obj, p.x0, optim.Settings{}, &optim.LBFGS{Store: -1}},
		{"lbfgs gradient tolerance", context.Background(), obj, p.x0, optim.Settings{}, &optim.LBFGS{GradientTolerance: math.NaN()}},
		{"lbfgs function tolerance", context.Background(), obj, p.x0, optim.Settings{}, &optim.LBFGS{FunctionTolerance: -1}},
		{"lbfgs initial scale negative", context.Background(), obj, p.x0, optim.Settings{}, &optim.LBFGS{InitialScale: -1}},
		{"lbfgs initial scale NaN", context.Background(), obj, p.x0, optim.Settings{}, &optim.LBFGS{InitialScale: math.NaN()}},
		{"lbfgs initial scale Inf", context.Background(), obj, p.x0, optim.Settings{}, &optim.LBFGS{InitialScale: math.Inf(1)}},
		{"lbfgs initial step negative", context.Background(), obj, p.x0, optim.Settings{}, &optim.LBFGS{InitialStep: -1}},
		{"lbfgs initial step NaN", context.Background(), obj, p.x0, optim.Settings{}, &optim.LBFGS{InitialStep: math.NaN()}},
		{"lbfgs line search", context.Background(), obj, p.x0, optim.Settings{}, &optim.LBFGS{LineSearch: optim.LineSearch(9)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := optim.Minimize(tc.ctx, tc.obj, tc.x0, tc.settings, tc.method)
			require.Error(t, err)
			assert.Nil(t, res)
			assert.Regexp(t, `^optim: `, err.Error())
		})
	}
}

// TestConcurrentRuns shares Method values between concurrent runs; the race
// detector checks that Minimize only reads them.
func TestConcurrentRuns(t *testing.T) {
	ms := methods()
	p := quadraticProblem(20, 100)
	want := make([]*optim.Result, len(ms))
	for i, m := range ms {
		var err error
		want[i], err = optim.Minimize(context.Background(), p.objective(), p.x0, optim.Settings{Iterations: 200}, m)
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	for range 4 {
		for i, m := range ms {
			wg.Go(func() {
				got, err := optim.Minimize(context.Background(), p.objective(), p.x0, optim.Settings{Iterations: 200}, m)
				assert.NoError(t, err)
				assert.Equal(t, want[i], got)
			})
		}
	}
	wg.Wait()
}

// TestAdamNoAllocationsPerIteration checks that a whole run's allocations do
// not grow with the number of iterations, with progress and averaging on.
func TestAdamNoAllocationsPerIteration(t *testing.T) {
	p := quadraticProblem(20, 100)
	obj := p.objective()
	run := func(iters int) float64 {
		settings := optim.Settings{Iterations: iters, Average: &optim.Averaging{},
			Progress: func(optim.Progress) error { return nil }}
		return testing.AllocsPerRun(5, func() {
			if _, err := optim.Minimize(context.Background(), obj, p.x0, settings, &optim.Adam{}); err != nil {
				t.Fatal(err)
			}
		})
	}
	short, long := run(10), run(1000)
	t.Logf("allocations per run: %v (10 iterations), %v (1000 iterations)", short, long)
	assert.Equal(t, short, long)
}

// TestLBFGSAllocationsPerIteration checks that neither gonum nor the adapter
// allocates per L-BFGS iteration.
func TestLBFGSAllocationsPerIteration(t *testing.T) {
	run := func(n, iters int) float64 {
		p := rosenbrockProblem(n)
		obj := p.objective()
		settings := optim.Settings{Iterations: iters, Progress: func(optim.Progress) error { return nil }}
		return testing.AllocsPerRun(5, func() {
			res, err := optim.Minimize(context.Background(), obj, p.x0, settings, &optim.LBFGS{})
			if err != nil || res.Iterations != iters {
				t.Fatal(err, res.Iterations)
			}
		})
	}
	perIter := func(n int) float64 { return (run(n, 40) - run(n, 20)) / 20 }
	small, large := perIter(100), perIter(2000)
	t.Logf("allocations per L-BFGS iteration: %.2f (n=100), %.2f (n=2000)", small, large)
	assert.Zero(t, small)
	assert.Zero(t, large)
}
