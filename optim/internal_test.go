package optim

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEMAHandComputed checks the bias-corrected average against values
// worked out by hand for decay 0.5 and iterates 1, 2, 4, −8:
//
//	a₀ = 0.5·1           = 0.5     x̄₀ = 0.5/(1−0.5)      = 1
//	a₁ = 0.25 + 0.5·2    = 1.25    x̄₁ = 1.25/(1−0.25)    = 5/3
//	a₂ = 0.625 + 0.5·4   = 2.625   x̄₂ = 2.625/(1−0.125)  = 3
//	a₃ = 1.3125 − 0.5·8  = −2.6875 x̄₃ = −2.6875/(1−0.0625) = −43/15
func TestEMAHandComputed(t *testing.T) {
	want := []float64{1, 5.0 / 3, 3, -43.0 / 15}
	xs := []float32{1, 2, 4, -8}
	e := newEMA(0.5, []float32{xs[0], 10 * xs[0]})
	got := make([]float32, 2)
	for k, w := range want {
		if k > 0 {
			e.update([]float32{xs[k], 10 * xs[k]})
		}
		e.read(got)
		assert.InDelta(t, w, got[0], 1e-6, "k=%d", k)
		assert.InDelta(t, 10*w, got[1], 1e-5, "k=%d", k)
	}
}

// TestAdamStepNoAllocs checks that an Adam iteration — the update and the
// evaluation with its checks — allocates nothing.
func TestAdamStepNoAllocs(t *testing.T) {
	const n = 1000
	obj := ObjectiveFunc(func(_ context.Context, x, grad []float32) (float64, error) {
		var f float64
		for i, v := range x {
			grad[i] = v
			f += float64(v) * float64(v) / 2
		}
		return f, nil
	})
	x0 := make([]float32, n)
	for i := range x0 {
		x0[i] = float32(i%7) - 3
	}
	a := &Adam{LearningRate: 0.01}
	r, err := newRunner(context.Background(), obj, x0, Settings{Average: &Averaging{}}, a)
	require.NoError(t, err)
	s := newAdamState(a, n)
	x := r.best
	step := 0
	allocs := testing.AllocsPerRun(100, func() {
		step++
		s.step(step, x, x, r.grad)
		r.avg.update(x)
		if _, _, err := r.evaluate(x, step); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}

// TestAdamRate checks lr_t against the closed form.
func TestAdamRate(t *testing.T) {
	s := newAdamState(&Adam{LearningRate: 0.1}, 1)
	for _, tt := range []int{1, 2, 10, 1000, 100000} {
		want := 0.1 * math.Sqrt(1-math.Pow(0.999, float64(tt))) / (1 - math.Pow(0.9, float64(tt)))
		assert.Equal(t, float32(want), s.rate(tt), "t=%d", tt)
	}
	assert.Equal(t, float32(0.1*math.Sqrt(0.001)/0.1), s.rate(1))
	assert.Equal(t, float32(1)-float32(0.9), s.c1)
	assert.Equal(t, float32(1)-float32(0.999), s.c2)
}
