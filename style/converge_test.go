package style

import (
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stopAt runs the convergence rule over a synthetic sequence of images
// and losses (image(k) and loss(k) after iteration k, k from 1 to limit),
// measuring the change on the host as the host path does, and returns the
// iteration it stops at (limit if it does not) and the last change it
// measured.
func stopAt(t *testing.T, rule Convergence, limit int, image func(k int) []float32, loss func(k int) float64) (int, float64) {
	t.Helper()
	c := newConvergenceCheck(rule)
	var snapshot []float32
	for k := 1; k <= limit; k++ {
		x := image(k)
		stop, err := c.after(k, limit, loss(k), func() (float64, error) {
			if snapshot == nil {
				snapshot = append([]float32(nil), x...)
				return math.NaN(), nil
			}
			return rmsChange(x, snapshot), nil
		})
		require.NoError(t, err)
		if stop {
			return k, c.last
		}
	}
	return limit, c.last
}

// constant is an image of n channels all equal to v.
func constant(n int, v float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(v)
	}
	return x
}

// The rule on synthetic sequences whose change per window is known in
// closed form: every channel moves by the same amount, so the RMS change
// is that amount.
func TestConvergenceRuleSynthetic(t *testing.T) {
	rule := Convergence{Window: 50, MaxChange: 2}
	const n, limit = 300, 1000
	// The exponential approach x(k) = A·e^(−k/τ): the change over the
	// window ending at k is A·(e^(−(k−W)/τ) − e^(−k/τ)); the rule stops at
	// the first multiple of W from 2W on where it is below MaxChange.
	const A, tau = 255.0, 120.0
	want := 0
	for k := 2 * rule.Window; k < limit; k += rule.Window {
		if A*(math.Exp(-float64(k-rule.Window)/tau)-math.Exp(-float64(k)/tau)) < rule.MaxChange {
			want = k
			break
		}
	}
	require.NotZero(t, want)
	rng := rand.New(rand.NewPCG(1, 2))
	noisy := func(sigma float64) func(int) []float32 {
		return func(int) []float32 {
			x := make([]float32, 20000)
			for i := range x {
				x[i] = float32(100 + sigma*rng.NormFloat64())
			}
			return x
		}
	}
	// A loss that falls 10.5 % per window for ever, and one that levels
	// off, 1 + 9·e^(−k/60): its decrease over the window ending at k is
	// below 5 % from the first multiple of W where (L(k−W) − L(k))/L(k) is.
	const steep = 0.998
	settling := func(k int) float64 { return 1 + 9*math.Exp(-float64(k)/60) }
	wantSettled := 0
	for k := 2 * rule.Window; k < limit; k += rule.Window {
		if (settling(k-rule.Window)-settling(k))/settling(k) < 0.05 {
			wantSettled = k
			break
		}
	}
	require.Greater(t, wantSettled, 2*rule.Window)
	flat := func(int) float64 { return 1e9 }
	still := func(int) []float32 { return constant(n, 7) }
	withLoss := Convergence{Window: 50, MaxChange: 2, MaxLossDecrease: 0.05}
	cases := []struct {
		name string
		rule Convergence
		seq  func(k int) []float32
		loss func(k int) float64
		want int
	}{
		{"flat: stops at the first comparison", rule, still, flat, 2 * rule.Window},
		{"slow drift below the threshold", rule, func(k int) []float32 { return constant(n, 0.03*float64(k)) }, flat, 2 * rule.Window},
		{"steady drift above the threshold", rule, func(k int) []float32 { return constant(n, 0.05*float64(k)) }, flat, limit},
		{"exponential descent", rule, func(k int) []float32 { return constant(n, A*math.Exp(-float64(k)/tau)) }, flat, want},
		// Independent noise of σ per channel changes a snapshot by σ√2 RMS.
		{"noise of 2.8 levels RMS per window", rule, noisy(2), flat, limit},
		{"noise of 0.7 levels RMS per window", rule, noisy(0.5), flat, 2 * rule.Window},
		{"off", Convergence{}, still, flat, limit},
		{"a window of 1", Convergence{Window: 1, MaxChange: 2}, func(k int) []float32 { return constant(n, 10*float64(min(k, 7))) }, flat, 8},
		// The loss condition: a still picture whose loss keeps falling
		// does not stop; one whose loss levels off stops when it has.
		{"still picture, falling loss, loss ignored", rule, still, func(k int) float64 { return 1e9 * math.Pow(steep, float64(k)) }, 2 * rule.Window},
		{"still picture, falling loss", withLoss, still, func(k int) float64 { return 1e9 * math.Pow(steep, float64(k)) }, limit},
		{"still picture, loss levelling off", withLoss, still, settling, wantSettled},
		{"still picture, flat loss", withLoss, still, flat, 2 * rule.Window},
		{"loss rising", withLoss, still, func(k int) float64 { return float64(k) }, 2 * rule.Window},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, last := stopAt(t, tc.rule, limit, tc.seq, tc.loss)
			assert.Equal(t, tc.want, got)
			if got < limit {
				assert.Less(t, last, tc.rule.MaxChange)
			}
		})
	}
	t.Logf("exponential descent A=%g τ=%g stops at %d; the settling loss at %d", A, tau, want, wantSettled)
}

// No comparison is made at the cap itself, and an error of the measure
// ends the check.
func TestConvergenceRuleEdges(t *testing.T) {
	c := newConvergenceCheck(Convergence{Window: 10, MaxChange: 1})
	calls := 0
	change := func() (float64, error) { calls++; return 0, nil }
	for k := 1; k <= 20; k++ {
		stop, err := c.after(k, 20, 1, change)
		require.NoError(t, err)
		assert.False(t, stop, "iteration %d", k)
	}
	assert.Equal(t, 1, calls, "only iteration 10 measures; 20 is the cap")
	assert.True(t, math.IsNaN(c.last))

	boom := errors.New("session closed")
	_, err := newConvergenceCheck(Convergence{Window: 1, MaxChange: 1}).after(1, 5, 1, func() (float64, error) { return 0, boom })
	assert.ErrorIs(t, err, boom)
}

func TestWithConvergenceValidation(t *testing.T) {
	for _, c := range []Convergence{{Window: 0, MaxChange: 1}, {Window: -5, MaxChange: 1}, {Window: 10},
		{Window: 10, MaxChange: -1}, {Window: 10, MaxChange: math.NaN()}, {Window: 10, MaxChange: math.Inf(1)},
		{Window: 10, MaxChange: 1, MaxLossDecrease: -0.1}, {Window: 10, MaxChange: 1, MaxLossDecrease: math.NaN()}} {
		_, err := transfer(t, WithConvergence(c))
		assert.ErrorIs(t, err, ErrInvalidOption, "%+v", c)
		assert.ErrorContains(t, err, "WithConvergence")
	}
	assert.Equal(t, "converged", StopConverged.String())
	assert.Equal(t, "StopReason(9)", StopReason(9).String())
}

// rmsLevels is the RMS difference of two images' RGB channels in grey
// levels.
func rmsLevels(a, b *image.RGBA) float64 {
	var sum float64
	n := 0
	for i := range a.Pix {
		if i%4 == 3 {
			continue
		}
		d := float64(a.Pix[i]) - float64(b.Pix[i])
		sum += d * d
		n++
	}
	return math.Sqrt(sum / float64(n))
}

// On the fixture network a run with a rule stops before the cap, says so,
// and stops where the picture, read independently through checkpoints,
// stopped changing: less than MaxChange over the last window (up to the
// rounding to 8 bits) and more over the window before; on the device path
// (the measure in the graph) and the host path (in Go), for L-BFGS, Adam
// and each scale of a multi-scale run.
func TestConvergenceStopsTheRun(t *testing.T) {
	const window = 10
	cases := []struct {
		name     string
		opts     []Option
		maxDelta float64
	}{
		{"lbfgs", []Option{WithOptimizer(LBFGS())}, 1},
		{"adam", []Option{WithOptimizer(Adam(2))}, 2},
		{"lbfgs multi-scale", []Option{WithOptimizer(LBFGS()), WithMultiScale(16)}, 1},
	}
	for _, tc := range cases {
		for _, path := range []string{"device", "host"} {
			t.Run(tc.name+" "+path, func(t *testing.T) {
				rule := Convergence{Window: window, MaxChange: tc.maxDelta}
				shots := map[string]*image.RGBA{}
				scale := 1
				opts := append([]Option{WithIterations(1000), WithConvergence(rule),
					WithProgress(func(p Progress) error { scale = p.Scale; return nil }),
					WithCheckpoint(window, func(c Checkpoint) error {
						shots[fmt.Sprintf("%d/%d", scale, c.Iteration)] = c.Image.(*image.RGBA)
						return nil
					})}, tc.opts...)
				if path == "host" {
					opts = append(opts, onHost())
				}
				res, err := transfer(t, opts...)
				require.NoError(t, err)
				n := res.Iterations
				t.Logf("stopped at iteration %d of the last scale (%s), change %.3f levels, loss %.4g", n, res.Stop, res.Change, res.Loss)
				assert.Equal(t, StopConverged, res.Stop)
				assert.Less(t, n, 1000)
				assert.Zero(t, n%window)
				assert.Less(t, res.Change, tc.maxDelta)
				last := shots[fmt.Sprintf("%d/%d", scale, n-window)]
				require.NotNil(t, last, "checkpoint at %d", n-window)
				// Adam's result is its best iterate, which may lag the
				// last one: compare with the checkpoint of the last iterate.
				assert.Less(t, rmsLevels(res.Image, last), tc.maxDelta+1, "the last window, measured on the images")
				if before := shots[fmt.Sprintf("%d/%d", scale, n-2*window)]; n >= 3*window && before != nil {
					assert.Greater(t, rmsLevels(last, before), tc.maxDelta-0.6, "the window before did not converge")
				}
				if tc.name == "lbfgs multi-scale" {
					var ends []int
					for i, p := range res.History {
						if i+1 == len(res.History) || res.History[i+1].Scale != p.Scale {
							ends = append(ends, p.Iteration)
						}
					}
					require.Len(t, ends, 2)
					assert.Less(t, ends[0], 1000, "the coarse scale converged too")
					assert.Zero(t, ends[0]%window)
				}
			})
		}
	}
}

// A rule the run cannot meet ends at the cap, and the rule off runs
// exactly the iterations asked for.
func TestConvergenceCapAndOff(t *testing.T) {
	cases := []struct {
		name string
		rule Convergence
		iter int
	}{
		{"unmet rule: the cap", Convergence{Window: 10, MaxChange: 1e-9}, 45},
		{"off: exactly N", Convergence{}, 120},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := transfer(t, WithOptimizer(Adam(2)), WithIterations(tc.iter), WithConvergence(tc.rule))
			require.NoError(t, err)
			assert.Equal(t, StopLimit, res.Stop)
			assert.Equal(t, tc.iter, res.Iterations)
			assert.Len(t, res.History, tc.iter)
		})
	}
	// The rule is on by default: an unconfigured run measures its
	// picture (on the fixture network the loss still falls by more than
	// the default's 3 % per window at 400 iterations, so both run on).
	on, err := transfer(t, WithOptimizer(Adam(2)), WithIterations(400))
	require.NoError(t, err)
	off, err := transfer(t, WithOptimizer(Adam(2)), WithIterations(400), WithConvergence(Convergence{}))
	require.NoError(t, err)
	t.Logf("default rule: %d iterations (%s, change %.3f, loss decrease %.3g); off: %d", on.Iterations, on.Stop, on.Change, on.LossDecrease, off.Iterations)
	assert.False(t, math.IsNaN(on.Change), "the default rule compared the pictures")
	assert.Greater(t, on.LossDecrease, DefaultConvergence.MaxLossDecrease)
	assert.Equal(t, 400, off.Iterations)
	assert.True(t, math.IsNaN(off.Change))
}

// The loss condition on the fixture network: Adam's picture settles
// before its loss does, so the rule with MaxLossDecrease stops later than
// without, and where it stops the loss fell by less than that fraction
// over the last window (read from Result.History).
func TestConvergenceWaitsForTheLoss(t *testing.T) {
	const window = 10
	pictureOnly, err := transfer(t, WithOptimizer(Adam(2)), WithIterations(1000), WithConvergence(Convergence{Window: window, MaxChange: 2}))
	require.NoError(t, err)
	both, err := transfer(t, WithOptimizer(Adam(2)), WithIterations(1000), WithConvergence(Convergence{Window: window, MaxChange: 2, MaxLossDecrease: 0.01}))
	require.NoError(t, err)
	t.Logf("picture only: %d iterations (loss decrease %.3g); with the loss: %d (%s, %.3g)", pictureOnly.Iterations, pictureOnly.LossDecrease,
		both.Iterations, both.Stop, both.LossDecrease)
	require.Equal(t, StopConverged, pictureOnly.Stop)
	assert.Greater(t, pictureOnly.LossDecrease, 0.01, "the loss was still falling where the picture settled")
	assert.Greater(t, both.Iterations, pictureOnly.Iterations)
	if both.Stop == StopConverged {
		n := both.Iterations
		then, now := both.History[n-window-1].Loss, both.History[n-1].Loss
		assert.Less(t, (then-now)/now, 0.01)
		assert.InDelta(t, (then-now)/now, both.LossDecrease, 1e-9)
	}
}
