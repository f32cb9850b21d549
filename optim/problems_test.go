package optim_test

import (
	"context"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/neuralstyle/neuralstyle/optim"
)

// The test problems are written once, generically, so that the float32
// objective given to Minimize and the float64 function given to gonum are
// the same function: values and gradients are computed in float64 from the
// (rounded) point, and the float32 gradient is the float64 one rounded.

// rosenbrock is the chained Rosenbrock function
//
//	f(x) = Σᵢ 100·(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²,  i = 0 … n−2,
//
// with its minimum 0 at (1, …, 1). grad may be nil.
func rosenbrock[T float32 | float64](x, grad []T) float64 {
	n := len(x)
	var f float64
	for i := 0; i < n-1; i++ {
		a, b := float64(x[i]), float64(x[i+1])
		d, e := b-a*a, 1-a
		f += 100*d*d + e*e
	}
	if grad == nil {
		return f
	}
	for i := range n {
		a := float64(x[i])
		var g float64
		if i < n-1 {
			b := float64(x[i+1])
			g = -400*a*(b-a*a) - 2*(1-a)
		}
		if i > 0 {
			p := float64(x[i-1])
			g += 200 * (a - p*p)
		}
		grad[i] = T(g)
	}
	return f
}

// quadratic is f(x) = ½ (x−c)ᵀ A (x−c) with A symmetric positive definite;
// its minimum is 0 at c.
type quadratic struct {
	a []float64 // n×n, row-major
	c []float64
}

// newQuadratic returns a random quadratic of dimension n whose Hessian has
// eigenvalues spread geometrically over [1, cond] and random eigenvectors.
func newQuadratic(n int, cond float64, seed uint64) *quadratic {
	rnd := rand.New(rand.NewPCG(seed, 1))
	g := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			g.Set(i, j, rnd.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	d := mat.NewDiagDense(n, nil)
	for i := range n {
		d.SetDiag(i, math.Pow(cond, float64(i)/float64(n-1)))
	}
	var qd, a mat.Dense
	qd.Mul(&q, d)
	a.Mul(&qd, q.T())
	p := &quadratic{a: make([]float64, n*n), c: make([]float64, n)}
	for i := range n {
		for j := range n {
			// Symmetrize exactly.
			p.a[i*n+j] = (a.At(i, j) + a.At(j, i)) / 2
		}
		p.c[i] = 2*rnd.Float64() - 1
	}
	return p
}

func quadEval[T float32 | float64](p *quadratic, x, grad []T) float64 {
	n := len(x)
	var f float64
	for i := range n {
		var ad float64
		row := p.a[i*n : (i+1)*n]
		for j, aij := range row {
			ad += aij * (float64(x[j]) - p.c[j])
		}
		f += (float64(x[i]) - p.c[i]) * ad
		if grad != nil {
			grad[i] = T(ad)
		}
	}
	return f / 2
}

// problem is a test problem in both precisions.
type problem struct {
	name string
	x0   []float32
	xmin []float64
	f64  func(x, grad []float64) float64
	f32  func(x, grad []float32) float64
}

func (p problem) objective() optim.Objective {
	return optim.ObjectiveFunc(func(_ context.Context, x, grad []float32) (float64, error) {
		return p.f32(x, grad), nil
	})
}

func ones(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 1
	}
	return x
}

func rosenbrockProblem(n int) problem {
	// The classic start (−1.2, 1, −1.2, 1, …). In 100-D it leads to the
	// global minimum, not to the local one near x₀ = −1 that the chained
	// function has for n ≥ 4.
	x0 := make([]float32, n)
	for i := range x0 {
		x0[i] = 1
		if i%2 == 0 {
			x0[i] = -1.2
		}
	}
	return problem{
		name: "rosenbrock" + strconv.Itoa(n),
		x0:   x0,
		xmin: ones(n),
		f64:  rosenbrock[float64],
		f32:  rosenbrock[float32],
	}
}

func quadraticProblem(n int, cond float64) problem {
	q := newQuadratic(n, cond, 42)
	return problem{
		name: "quadratic" + strconv.Itoa(n),
		x0:   make([]float32, n),
		xmin: q.c,
		f64:  func(x, g []float64) float64 { return quadEval(q, x, g) },
		f32:  func(x, g []float32) float64 { return quadEval(q, x, g) },
	}
}

// TestProblemGradients checks the test problems' gradients against central
// finite differences.
func TestProblemGradients(t *testing.T) {
	for _, p := range []problem{rosenbrockProblem(2), rosenbrockProblem(7), quadraticProblem(6, 100)} {
		t.Run(p.name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(7, 7))
			n := len(p.x0)
			x := make([]float64, n)
			for i := range x {
				x[i] = 2*rnd.Float64() - 1
			}
			grad := make([]float64, n)
			p.f64(x, grad)
			const h = 1e-6
			for i := range x {
				xi := x[i]
				x[i] = xi + h
				fp := p.f64(x, nil)
				x[i] = xi - h
				fm := p.f64(x, nil)
				x[i] = xi
				fd := (fp - fm) / (2 * h)
				assert.InDelta(t, fd, grad[i], 1e-6*math.Max(1, math.Abs(fd)), "element %d", i)
			}
			// The float32 version is the float64 one at the rounded point.
			x32 := make([]float32, n)
			x64 := make([]float64, n)
			for i := range x {
				x32[i] = float32(x[i])
				x64[i] = float64(x32[i])
			}
			g32 := make([]float32, n)
			require.Equal(t, p.f64(x64, grad), p.f32(x32, g32))
			for i := range grad {
				assert.Equal(t, float32(grad[i]), g32[i])
			}
			// The minimum is a stationary point with value 0.
			assert.InDelta(t, 0, p.f64(p.xmin, grad), 1e-15)
			for i := range grad {
				assert.InDelta(t, 0, grad[i], 1e-12)
			}
		})
	}
}
