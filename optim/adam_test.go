package optim_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/neuralstyle/neuralstyle/optim"
)

// recordIterates returns Settings whose Progress copies every iterate and
// value into *xs and *fs.
func recordIterates(s optim.Settings, xs *[][]float32, fs *[]float64) optim.Settings {
	s.Progress = func(p optim.Progress) error {
		*xs = append(*xs, append([]float32(nil), p.X...))
		*fs = append(*fs, p.Value)
		return nil
	}
	return s
}

// TestAdamFirstStepsHandComputed follows two Adam steps on
// f(x) = ½·Σ aᵢxᵢ², a = (1, 10, 0.1), from x₀ = (1, −2, 0.5), with learning
// rate 0.1 and the default β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
//
// As TensorFlow does for a float32 variable, 1−β₁ and 1−β₂ are float32
// subtractions: c₁ = 1 − float32(0.9) = 0.10000002384185791 and
// c₂ = 1 − float32(0.999) = 0.0009999871253967285 (not 0.001: this alone
// moves x₁ by about 7e-7).
//
// Step 1, g₁ = a·x₀ = (1, −20, 0.05); with m₀ = v₀ = 0, m₁ = c₁·g₁ and
// v₁ = c₂·g₁², so the step is lr₁·c₁·g/(√c₂·|g| + ε) with
// lr₁ = 0.1·√(1−0.999)/(1−0.9) = √0.001 = 0.0316227766:
//
//	m₁ = (0.10000002, −2.0000005, 0.0050000012)
//	v₁ = (0.00099998713, 0.39999485, 2.4999678e-6)
//	x₁ = (0.89999936, −1.8999993, 0.39999996)
//
// Step 2, g₂ = a·x₁ = (0.89999936, −18.999993, 0.039999996),
// lr₂ = 0.1·√(1−0.999²)/(1−0.9²) = 0.0235316725:
//
//	m₂ = m₁ + (g₂−m₁)·c₁ = (0.17999998, −3.7000002, 0.0085000016)
//	v₂ = v₁ + (g₂²−v₁)·c₂ = (0.0018089756, 0.76058996, 4.097447e-6)
//	x₂ = x₁ − m₂·lr₂/(√v₂+ε) = (0.80041096, −1.8001652, 0.30118722)
func TestAdamFirstStepsHandComputed(t *testing.T) {
	a := []float64{1, 10, 0.1}
	obj := optim.ObjectiveFunc(func(_ context.Context, x, grad []float32) (float64, error) {
		var f float64
		for i := range x {
			g := a[i] * float64(x[i])
			grad[i] = float32(g)
			f += g * float64(x[i]) / 2
		}
		return f, nil
	})
	want := [][]float64{
		{0.8999993640447903, -1.8999993340027685, 0.3999999648814346},
		{0.8004109556540757, -1.8001651572763007, 0.30118721543995824},
	}
	var xs [][]float32
	var fs []float64
	res, err := optim.Minimize(context.Background(), obj, []float32{1, -2, 0.5},
		recordIterates(optim.Settings{Iterations: 2}, &xs, &fs), &optim.Adam{LearningRate: 0.1})
	require.NoError(t, err)
	assert.Equal(t, optim.IterationLimit, res.Status)
	assert.Equal(t, 2, res.Iterations)
	assert.Equal(t, 3, res.Evaluations)
	require.Len(t, xs, 2)
	for k := range want {
		for i := range want[k] {
			// A few float32 roundings separate the float64 hand computation
			// from the float32 run: allow 4 ulps.
			assert.InDelta(t, want[k][i], xs[k][i], 4*ulp(want[k][i]), "x%d[%d]", k+1, i)
		}
	}
	assert.Equal(t, xs[1], res.X, "the last iterate has the lowest value")
}

// ulp returns the spacing of float32 numbers at x.
func ulp(x float64) float64 {
	f := float32(math.Abs(x))
	return float64(math.Nextafter32(f, float32(math.Inf(1))) - f)
}

type adamReference struct {
	Cases []struct {
		Name    string `json:"name"`
		Problem struct {
			Kind string    `json:"kind"`
			A    []float64 `json:"a"`
			C    []float64 `json:"c"`
		} `json:"problem"`
		LearningRate float64     `json:"learning_rate"`
		Beta1        float64     `json:"beta1"`
		Beta2        float64     `json:"beta2"`
		Epsilon      float64     `json:"epsilon"`
		Steps        int         `json:"steps"`
		X            [][]float64 `json:"x"`
		F            []float64   `json:"f"`
	} `json:"cases"`
}

// diagQuadratic is f(x) = ½·Σ aᵢ(xᵢ−cᵢ)², as in the reference script.
func diagQuadratic(a, c []float64) func(x, grad []float32) float64 {
	return func(x, grad []float32) float64 {
		var f float64
		for i := range x {
			d := float64(x[i]) - c[i]
			f += a[i] * d * d
			grad[i] = float32(a[i] * d)
		}
		return f / 2
	}
}

// TestAdamNumpyReference compares Adam's trajectory with the independent
// numpy float32 implementation in testdata/adam_reference.py.
func TestAdamNumpyReference(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "adam_reference.json"))
	require.NoError(t, err)
	var ref adamReference
	require.NoError(t, json.Unmarshal(data, &ref))
	require.NotEmpty(t, ref.Cases)
	for _, c := range ref.Cases {
		t.Run(c.Name, func(t *testing.T) {
			var fn func(x, grad []float32) float64
			switch c.Problem.Kind {
			case "rosenbrock":
				fn = rosenbrock[float32]
			case "diagquad":
				fn = diagQuadratic(c.Problem.A, c.Problem.C)
			default:
				t.Fatalf("unknown problem %q", c.Problem.Kind)
			}
			obj := optim.ObjectiveFunc(func(_ context.Context, x, grad []float32) (float64, error) {
				return fn(x, grad), nil
			})
			require.Len(t, c.X, c.Steps+1)
			x0 := make([]float32, len(c.X[0]))
			for i, v := range c.X[0] {
				x0[i] = float32(v)
			}
			xs := [][]float32{x0}
			fs := []float64{fn(x0, make([]float32, len(x0)))}
			method := &optim.Adam{LearningRate: c.LearningRate, Beta1: c.Beta1, Beta2: c.Beta2, Epsilon: c.Epsilon}
			_, err := optim.Minimize(context.Background(), obj, x0,
				recordIterates(optim.Settings{Iterations: c.Steps}, &xs, &fs), method)
			require.NoError(t, err)
			require.Len(t, xs, len(c.X))

			// The reference computes m and v in the textbook form
			// β₁·m + (1−β₁)·g, TensorFlow's kernel (and Adam) as
			// m + (g−m)·(1−β₁): the float32 roundings differ, by an ulp
			// here and there, and the trajectories drift apart by a few
			// ulps of the iterates' magnitude.
			var worstX, worstNormX, worstAbsX, worstF float64
			for k := range c.X {
				var dmax, xmax float64
				for i, want := range c.X[k] {
					got := float64(xs[k][i])
					d := math.Abs(got - want)
					dmax, xmax = math.Max(dmax, d), math.Max(xmax, math.Abs(want))
					if math.Abs(want) >= 1e-3 {
						worstX = math.Max(worstX, d/math.Abs(want))
					}
					assert.InDelta(t, want, got, 4e-6*math.Max(math.Abs(want), 1), "x%d[%d]", k, i)
				}
				worstAbsX = math.Max(worstAbsX, dmax)
				worstNormX = math.Max(worstNormX, dmax/xmax)
				d := math.Abs(fs[k] - c.F[k])
				if c.F[k] != 0 {
					worstF = math.Max(worstF, d/math.Abs(c.F[k]))
				}
				assert.InDelta(t, c.F[k], fs[k], 1e-4*math.Abs(c.F[k])+1e-9, "f%d", k)
			}
			t.Logf("%s, %d steps: worst error of x: %.3g relative to max|x|, %.3g elementwise relative (|x| ≥ 1e-3), %.3g absolute; worst relative error of f: %.3g",
				c.Name, c.Steps, worstNormX, worstX, worstAbsX, worstF)
		})
	}
}
