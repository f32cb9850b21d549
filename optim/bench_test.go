package optim_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/neuralstyle/neuralstyle/optim"
)

// benchSize is the number of parameters of a 512×512 RGB image.
const benchSize = 512 * 512 * 3

// timedDiagonal is the cheap objective f(x) = ½·Σ dᵢ·(xᵢ − ½)², with dᵢ
// spread over [1, 1e4] so that L-BFGS keeps iterating. It measures the time
// spent in it, so that a benchmark can subtract it.
type timedDiagonal struct {
	d       []float32
	elapsed time.Duration
}

func newTimedDiagonal(n int) *timedDiagonal {
	d := make([]float32, n)
	for i := range d {
		d[i] = float32(math.Pow(1e4, float64(i%1000)/999))
	}
	return &timedDiagonal{d: d}
}

func (o *timedDiagonal) Evaluate(_ context.Context, x, grad []float32) (float64, error) {
	start := time.Now()
	var f float64
	for i, xi := range x {
		e := xi - 0.5
		g := o.d[i] * e
		grad[i] = g
		f += float64(g * e)
	}
	o.elapsed += time.Since(start)
	return f / 2, nil
}

// benchmarkIterations runs one Minimize on a 512×512×3 problem and times b.N
// iterations after the first one, so that neither the setup (allocating the
// buffers) nor the first iteration (a longer L-BFGS line search) is counted:
// ns/op and allocs/op are per iteration. It also reports the time per
// iteration without the objective's own time (the optimizer's overhead), the
// evaluations per iteration, and the process CPU time per iteration (which a
// busy machine disturbs less than wall-clock time; it includes the
// objective).
func benchmarkIterations(b *testing.B, m optim.Method, s optim.Settings) {
	obj := newTimedDiagonal(benchSize)
	x0 := make([]float32, benchSize)
	s.Iterations = b.N + 1
	progress := s.Progress
	var evals0, evals1 int
	var objElapsed, cpu0, cpu1 time.Duration
	s.Progress = func(p optim.Progress) error {
		var err error
		if progress != nil {
			err = progress(p)
		}
		switch p.Iteration {
		case 1:
			evals0 = p.Evaluations
			obj.elapsed = 0
			cpu0, _ = processCPU()
			b.ResetTimer()
		case b.N + 1:
			b.StopTimer()
			evals1, objElapsed = p.Evaluations, obj.elapsed
			cpu1, _ = processCPU()
		}
		return err
	}
	b.ReportAllocs()
	res, err := optim.Minimize(context.Background(), obj, x0, s, m)
	if err != nil {
		b.Fatal(err)
	}
	if res.Iterations != b.N+1 {
		b.Fatalf("%d iterations, want %d: %v", res.Iterations, b.N+1, res.Status)
	}
	n := float64(b.N)
	b.ReportMetric(float64((b.Elapsed()-objElapsed).Nanoseconds())/n, "overhead-ns/iter")
	b.ReportMetric(float64(evals1-evals0)/n, "evals/iter")
	if _, ok := processCPU(); ok {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/n, "cpu-ns/iter")
	}
}

func BenchmarkAdam(b *testing.B) {
	benchmarkIterations(b, &optim.Adam{LearningRate: 0.01}, optim.Settings{})
}

func BenchmarkAdamAveraging(b *testing.B) {
	benchmarkIterations(b, &optim.Adam{LearningRate: 0.01}, optim.Settings{Average: &optim.Averaging{}})
}

func BenchmarkLBFGS(b *testing.B) {
	benchmarkIterations(b, &optim.LBFGS{}, optim.Settings{})
}

func BenchmarkLBFGSStore5(b *testing.B) {
	benchmarkIterations(b, &optim.LBFGS{Store: 5}, optim.Settings{})
}

// BenchmarkObjective is the cost of one evaluation of the trivial objective,
// for comparison.
func BenchmarkObjective(b *testing.B) {
	obj := newTimedDiagonal(benchSize)
	x := make([]float32, benchSize)
	grad := make([]float32, benchSize)
	b.ReportAllocs()
	cpu0, ok := processCPU()
	for b.Loop() {
		if _, err := obj.Evaluate(context.Background(), x, grad); err != nil {
			b.Fatal(err)
		}
	}
	if cpu1, _ := processCPU(); ok {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
