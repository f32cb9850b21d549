package loss

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"
	"gonum.org/v1/gonum/mat"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
)

// spd returns Q·diag(λ)·Qᵀ for a random orthogonal Q and λ spaced evenly in
// log scale from 1 down to 1/kappa, with its exact square root and inverse
// square root (same Q, λ^½ and λ^−½), row-major.
func spd(r *rand.Rand, n int, kappa float64) (a, root, inv []float64) {
	g := mat.NewDense(n, n, randn(r, n*n, 1))
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	build := func(f func(l float64) float64) []float64 {
		d := mat.NewDiagDense(n, nil)
		for i := range n {
			d.SetDiag(i, f(math.Pow(kappa, -float64(i)/float64(n-1))))
		}
		var qd, out mat.Dense
		qd.Mul(&q, d)
		out.Mul(&qd, q.T())
		return out.RawMatrix().Data
	}
	return build(func(l float64) float64 { return l }), build(math.Sqrt), build(func(l float64) float64 { return 1 / math.Sqrt(l) })
}

// TestSquareRootMethods compares the two ways of computing the W2 term's
// tr(a^½) and a^−½ without a C++ gradient, on 128 × 128 matrices with
// condition numbers 10² … 10⁸ in float32 and float64, each error relative to
// the exact value: the coupled Newton–Schulz iteration (MatMuls only) after
// 10 … 40 iterations, and the eigendecomposition (sqrtTraceAndInverse) that
// W2 uses. go test -v prints the table that loss's doc quotes. It asserts
// that the eigendecomposition's trace is at float32 (float64) precision for
// every κ and its inverse root good to 10⁻³ (10⁻⁹) up to κ = 10⁴ (10⁶), and
// that Newton–Schulz converges where it should (κ ≤ 10⁴ by 20 iterations),
// so that the comparison is with a working iteration.
func TestSquareRootMethods(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	const n = 128
	iterations := []int{10, 15, 20, 25, 30, 40}
	for _, dt := range dtypes {
		for _, kappa := range []float64{1e2, 1e4, 1e6, 1e8} {
			a, root, inv := spd(r, n, kappa)
			var exactTrace float64
			for i := range n {
				exactTrace += root[i*n+i]
			}
			s := op.NewScope()
			b := builder{s: s, dt: dt}
			in := constant(s, t, dt, a, n, n)
			eigTrace, eigInv := b.sqrtTraceAndInverse(in, b.scalar(0))
			fetches := []tf.Output{eigTrace, eigInv}
			for _, k := range iterations {
				y, z := b.newtonSchulz(in, n, k)
				fetches = append(fetches, b.trace(y), z)
			}
			out := run(t, session(t, s), nil, fetches...)
			trErr := func(i int) float64 { return math.Abs(out[2*i][0]-exactTrace) / exactTrace }
			invErr := func(i int) float64 { return frobErr(out[2*i+1], inv) }
			line := fmt.Sprintf("%s κ=%.0e: eig %.1e/%.1e  Newton–Schulz", tfutil.TypeName(dt), kappa, trErr(0), invErr(0))
			for i, k := range iterations {
				line += fmt.Sprintf("  K=%d %.1e/%.1e", k, trErr(i+1), invErr(i+1))
			}
			t.Log(line)
			trTol, invTol, invKappa := 1e-5, 1e-3, 1e4
			if dt == tf.Double {
				trTol, invTol, invKappa = 1e-12, 1e-9, 1e6
			}
			assert.Less(t, trErr(0), trTol, "%s κ=%g: eigendecomposition tr(a^½)", tfutil.TypeName(dt), kappa)
			if kappa <= invKappa {
				assert.Less(t, invErr(0), invTol, "%s κ=%g: eigendecomposition a^−½", tfutil.TypeName(dt), kappa)
			}
			if kappa <= 1e4 {
				assert.Less(t, trErr(3), trTol, "%s κ=%g: Newton–Schulz tr(a^½) after 20 iterations", tfutil.TypeName(dt), kappa)
			}
		}
	}
}

// newtonSchulz is the alternative TestSquareRootMethods measures against the
// eigendecomposition; package loss does not use it. It returns approximations of a^½ and a^−½ for a symmetric
// positive definite n × n matrix a by the coupled Newton–Schulz iteration
// (Higham, "Functions of Matrices", 2008, eq. 6.35) on a/‖a‖_F:
//
//	Y₀ = a/‖a‖_F, Z₀ = I,  T = (3I − Z·Y)/2,  Y ← Y·T,  Z ← T·Z
//
// Y → (a/‖a‖_F)^½ and Z → (a/‖a‖_F)^−½ quadratically once the iterate is
// close, and every eigenvalue's ratio to the largest grows about 2.25× per
// iteration before that. MatMuls only, so it runs on every device.
func (b builder) newtonSchulz(a tf.Output, n int64, iterations int) (root, inv tf.Output) {
	norm := op.Sqrt(b.f(), b.sum(op.Square(b.f(), a), 2))
	y := op.RealDiv(b.f(), a, norm)
	z := b.identity(n)
	three := b.scale(b.identity(n), 3)
	for range iterations {
		t := b.scale(op.Sub(b.f(), three, op.MatMul(b.f(), z, y)), 0.5)
		y, z = op.MatMul(b.f(), y, t), op.MatMul(b.f(), t, z)
	}
	rootNorm := op.Sqrt(b.f(), norm)
	return op.Mul(b.f(), y, rootNorm), op.RealDiv(b.f(), z, rootNorm)
}

// frobErr is ‖a − b‖_F / ‖b‖_F.
func frobErr(a, b []float64) float64 {
	var d, s float64
	for i := range b {
		d += (a[i] - b[i]) * (a[i] - b[i])
		s += b[i] * b[i]
	}
	return math.Sqrt(d / s)
}
