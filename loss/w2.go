package loss

import (
	"fmt"
	"strings"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
)

// StyleLoss selects how a style layer compares the generated image's
// features with the style image's (StyleSpec.Loss, style.WithStyleLoss). The
// zero value is Gram. It is a plain value, safe to copy and compare.
type StyleLoss int

// The style losses. See doc.go for the formulas and their anchors.
const (
	// Gram compares mean Gram matrices (Gatys et al.; normalized by
	// StyleSpec.Norm). Its targets come from StyleTarget.
	Gram StyleLoss = iota
	// W2 is the squared Wasserstein-2 distance between the Gaussians fitted
	// to the two images' features (their means and covariances), per
	// channel, as crowsonkb/style-transfer-pytorch uses it. Its targets come
	// from W2Target.
	W2
)

// String returns "gram" or "w2", the names ParseStyleLoss accepts.
func (l StyleLoss) String() string {
	switch l {
	case Gram:
		return "gram"
	case W2:
		return "w2"
	}
	return fmt.Sprintf("StyleLoss(%d)", int(l))
}

func (l StyleLoss) valid() bool { return l == Gram || l == W2 }

// ParseStyleLoss returns the StyleLoss named s ("gram" or "w2",
// case-insensitive). Any other name is an error matching ErrInvalid.
func ParseStyleLoss(s string) (StyleLoss, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "gram":
		return Gram, nil
	case "w2":
		return W2, nil
	}
	return 0, fmt.Errorf("loss: style loss %q: %w (want \"gram\" or \"w2\")", s, ErrInvalid)
}

// TargetShape returns the shape of a style target of l for a layer of n
// channels: [n, n] for Gram (the mean Gram), [2n+2, n] for W2 (see
// W2Target).
func (l StyleLoss) TargetShape(n int64) []int64 {
	if l == W2 {
		return []int64{2*n + 2, n}
	}
	return []int64{n, n}
}

// The constants of the W2 term (see doc.go, "The Wasserstein-2 style loss").
const (
	// w2RelEpsilon is ε as a fraction of the style covariance's mean
	// variance tr(Σs)/N; ε is added to the diagonal of both covariances.
	w2RelEpsilon = 1e-2
	// w2MinEpsilon is the floor under ε, for a style layer with no variance.
	w2MinEpsilon = 1e-8
	// w2Scale is the constant k of the per-layer term k·W2²/N: 100, so that
	// neural-style-tf's default weights give crowsonkb's balance (doc.go).
	w2Scale = 100.0
)

// W2Target adds the W2 style target of one layer to the graph of s, computed
// from the style image's features: a float32 or float64 [1, H, W, N] tensor
// whose channel count N is known; H and W may be unknown until the graph runs
// (a style image has a size of its own). The caller runs it once per style
// image and layer and holds the result, like StyleTarget's, to pass as a
// target of W2Layer, MaskedW2Layer or Style with Loss W2.
//
// The target packs everything the loss needs of the style image into one
// [2N+2, N] tensor (StyleLoss.TargetShape): rows 0…N−1 hold the regularized
// covariance Σs + εI, rows N…2N−1 its symmetric square root S, row 2N the
// mean μs, and row 2N+1 holds ε in every entry. Σs is the covariance over
// the M positions, (F − μs)ᵀ(F − μs)/M, and ε = max(10⁻²·tr(Σs)/N, 10⁻⁸).
// S is computed from the eigendecomposition of Σs + εI (SelfAdjointEigV2,
// which needs no gradient here), exact to the precision of the type. The
// result passes through StopGradient: no gradient flows into a target, even
// when the features it was made from are also the ones being optimized.
func W2Target(s *op.Scope, styleFeatures tf.Output) (tf.Output, error) {
	const fn = "w2 target"
	n, err := checkChannels(fn, "features", styleFeatures)
	if err != nil {
		return tf.Output{}, err
	}
	if s, err = start(fn, s, "w2_target"); err != nil {
		return tf.Output{}, err
	}
	b := builder{s: s, dt: styleFeatures.DataType()}
	f := op.Reshape(b.f(), styleFeatures, op.Const(b.f(), []int64{-1, n}))
	rows := op.Cast(b.f(), op.Slice(b.f(), op.Shape(b.f(), f, op.ShapeOutType(tf.Int64)),
		op.Const(b.f(), []int64{0}), op.Const(b.f(), []int64{1})), b.dt)
	mu := op.Mean(b.f(), f, op.Const(b.f(), []int32{0}), op.MeanKeepDims(true))
	fc := op.Sub(b.f(), f, mu)
	cov := op.RealDiv(b.f(), op.MatMul(b.f(), fc, fc, op.MatMulTransposeA(true)), rows)
	eps := op.Maximum(b.f(), b.scale(b.trace(cov), w2RelEpsilon/float64(n)), b.scalar(w2MinEpsilon))
	cov = op.Add(b.f(), cov, op.Mul(b.f(), b.identity(n), eps))
	e, v := op.SelfAdjointEigV2(b.f(), cov)
	root := op.Sqrt(b.f(), op.Maximum(b.f(), e, b.scalar(0)))
	sq := op.MatMul(b.f(), op.Mul(b.f(), v, root), v, op.MatMulTransposeB(true))
	sq = b.symmetrize(sq)
	epsRow := op.Fill(b.f(), op.Const(b.f(), []int64{1, n}), eps)
	packed := op.ConcatV2(b.f(), []tf.Output{cov, sq, mu, epsRow}, op.Const(b.f(), int32(0)))
	packed = op.Reshape(b.f(), packed, op.Const(b.f(), []int64{2*n + 2, n}))
	// A target is a constant of the optimization; StopGradient also keeps
	// TensorFlow's gradient builder out of SelfAdjointEigV2, which has no
	// C++ gradient, when the same tensor feeds the target and the loss.
	return finish(fn, s, op.StopGradient(b.f(), packed))
}

// W2Layer adds one layer's W2 style loss to the graph of s and returns it as
// a scalar:
//
//	E = 100·(‖μx − μs‖² + tr(Σx + εI) + tr(Σs + εI) − 2·tr((S·(Σx + εI)·S)^½)) / N
//
// 100 times the squared Wasserstein-2 distance between N(μx, Σx + εI) and
// N(μs, Σs + εI) divided by the channel count N (the factor 100 is
// explained in doc.go), where μx and Σx are the
// mean and covariance of the generated image's features over positions and
// S = (Σs + εI)^½. features are a float32 or float64 [1, H, W, N] tensor
// with a known static shape; target is the style image's W2Target at that
// layer. The matrix square root comes from an eigendecomposition and the
// gradient is formed explicitly (see doc.go).
//
// Bad arguments are errors matching ErrShape, ErrDType or ErrInvalid, and no
// op is added then. Not safe for concurrent use on one scope.
func W2Layer(s *op.Scope, features, target tf.Output) (tf.Output, error) {
	return w2Layer("w2 layer", s, features, target, tf.Output{})
}

// MaskedW2Layer is W2Layer restricted to a region of the generated image:
// mask is a float32 or float64 [H_img, W_img] map in [0, 1], resampled to
// the layer as for MaskedStyleLayer, giving m. The mean and covariance of
// the generated features are weighted by m² and normalized by Σm², as the
// masked Gram is,
//
//	μx = Σ_p m_p² f_p / Σ_p m_p²,  Σx = Σ_p m_p² (f_p − μx)(f_p − μx)ᵀ / Σ_p m_p²
//
// so a mask of ones gives W2Layer's value and a binary mask the statistics
// of the region it selects. The target is the whole style image's.
func MaskedW2Layer(s *op.Scope, features, target, mask tf.Output) (tf.Output, error) {
	const fn = "masked w2 layer"
	if mask.Op == nil {
		return tf.Output{}, fmt.Errorf("loss: %s: mask: %w: the zero tf.Output", fn, ErrShape)
	}
	return w2Layer(fn, s, features, target, mask)
}

func w2Layer(fn string, s *op.Scope, x, target, mask tf.Output) (tf.Output, error) {
	c, err := checkStyleLayer(fn, x, target, mask, W2, GramTutorial)
	if err != nil {
		return tf.Output{}, err
	}
	if s, err = start(fn, s, "w2_layer"); err != nil {
		return tf.Output{}, err
	}
	b := builder{s: s, dt: x.DataType()}
	mu, cov := b.generatedMoments(x, mask, c)
	return finish(fn, s, b.w2Distance(mu, cov, target, c.d.n))
}

// checkChannels checks that x is a float32 or float64 [1, H, W, N] tensor
// (or [?, ?, ?, N]) with N known and positive, and returns N.
func checkChannels(fn, what string, x tf.Output) (int64, error) {
	if x.Op == nil {
		return 0, fmt.Errorf("loss: %s: %s: %w: the zero tf.Output", fn, what, ErrShape)
	}
	if dt := x.DataType(); !isFloat(dt) {
		return 0, fmt.Errorf("loss: %s: %s: %w: %s, want float32 or float64", fn, what, ErrDType, tfutil.TypeName(dt))
	}
	sh := x.Shape()
	if sh.NumDimensions() != 4 || sh.Size(3) <= 0 || sh.Size(0) > 1 || sh.Size(0) == 0 {
		return 0, fmt.Errorf("loss: %s: %s: %w: %v, want [1, H, W, N] with N known", fn, what, ErrShape, sh)
	}
	return sh.Size(3), nil
}

// generatedMoments returns the generated image's feature mean, [1, N], and
// covariance, [N, N], weighted by the squared resampled mask if mask's Op is
// set. The covariance is formed from centred features, which keeps float32
// from cancelling μμᵀ against the raw second moment.
func (b builder) generatedMoments(x, mask tf.Output, c styleCheck) (mu, cov tf.Output) {
	d := c.d
	f := b.reshape(x, d.area(), d.n)
	if mask.Op == nil {
		mu = op.Mean(b.f(), f, op.Const(b.f(), []int32{0}), op.MeanKeepDims(true))
		return mu, b.scale(b.symmetricGram(op.Sub(b.f(), f, mu)), 1/float64(d.area()))
	}
	m := b.reshape(b.resizeMask(mask, c.mh, c.mw, d.h, d.w), d.area(), 1)
	w := op.Square(b.f(), m)
	area := op.Maximum(b.f(), b.sum(w, 2), b.scalar(minMaskArea))
	mu = op.RealDiv(b.f(), op.MatMul(b.f(), w, f, op.MatMulTransposeA(true)), area)
	fc := op.Mul(b.f(), op.Sub(b.f(), f, mu), m)
	return mu, op.RealDiv(b.f(), b.symmetricGram(fc), area)
}

// w2Distance is the per-layer W2 term of generated moments mu, [1, n], and
// cov, [n, n], against a packed W2Target.
//
// tr((S·Σ·S)^½), Σ = cov + εI, is Σ_i √λ_i over the eigenvalues of
// a = S·Σ·S (SelfAdjointEigV2, forward only), and its gradient with respect
// to Σ, ½·S·a^−½·S, is formed from the same eigenvectors and attached by the
// identity
//
//	t = stop(tr) + Σ_ij stop(∂tr/∂Σ)_ij · (Σ − stop(Σ))_ij
//
// whose value is tr exactly (Σ − stop(Σ) is 0) and whose gradient is
// ∂tr/∂Σ: TensorFlow has no C++ gradient for SelfAdjointEigV2 or
// MatrixSquareRoot. In a^−½ the eigenvalues are floored at
// max(ε², ρ·λ_max), ρ = 10⁻⁶ in float32 (10⁻¹³ in float64): every true
// eigenvalue is at least ε² (both factors' are at least ε), and below
// ρ·λ_max the computed ones are rounding noise.
func (b builder) w2Distance(mu, cov, target tf.Output, n int64) tf.Output {
	// int32 begin and size: TensorFlow's C++ Slice gradient fails on int64 ones
	part := func(row, rows, cols int64) tf.Output {
		return op.Slice(b.f(), target, op.Const(b.f(), []int32{int32(row), 0}), op.Const(b.f(), []int32{int32(rows), int32(cols)}))
	}
	covS, sq, muS := part(0, n, n), part(n, n, n), part(2*n, 1, n)
	eps := part(2*n+1, 1, 1) // [1, 1], broadcast
	sigma := op.Add(b.f(), cov, op.Mul(b.f(), b.identity(n), eps))
	fixed := op.StopGradient(b.f(), sigma)
	a := b.symmetrize(op.MatMul(b.f(), op.MatMul(b.f(), sq, fixed), sq))
	rootTrace, inv := b.sqrtTraceAndInverse(a, b.reshape(op.Square(b.f(), eps)))
	grad := b.scale(b.symmetrize(op.MatMul(b.f(), op.MatMul(b.f(), sq, inv), sq)), 0.5)
	link := b.sum(op.Mul(b.f(), op.StopGradient(b.f(), grad), op.Sub(b.f(), sigma, fixed)), 2)
	sqrtTrace := op.Add(b.f(), op.StopGradient(b.f(), rootTrace), link)
	meanTerm := b.sum(op.Square(b.f(), op.Sub(b.f(), mu, muS)), 2)
	covTerm := op.Sub(b.f(), op.Add(b.f(), b.trace(sigma), b.trace(covS)), b.scale(sqrtTrace, 2))
	return b.scale(op.Add(b.f(), meanTerm, covTerm), w2Scale/float64(n))
}

// sqrtTraceAndInverse returns tr(a^½) and a^−½ of a symmetric positive
// semi-definite matrix from its eigendecomposition, with the eigenvalues
// clamped at 0 for the trace and floored at max(minimum, ρ·λ_max) for the
// inverse (ρ = 10⁻⁶ in float32, 10⁻¹³ in float64, a few roundings of the
// largest eigenvalue). minimum is a scalar.
func (b builder) sqrtTraceAndInverse(a, minimum tf.Output) (rootTrace, inv tf.Output) {
	e, v := op.SelfAdjointEigV2(b.f(), a)
	rootTrace = b.sum(op.Sqrt(b.f(), op.Maximum(b.f(), e, b.scalar(0))), 1)
	rho := 1e-6
	if b.dt == tf.Double {
		rho = 1e-13
	}
	largest := op.Max(b.f(), e, op.Const(b.f(), []int32{0}))
	floor := op.Maximum(b.f(), minimum, b.scale(largest, rho))
	inv = op.MatMul(b.f(), op.Mul(b.f(), v, op.Rsqrt(b.f(), op.Maximum(b.f(), e, floor))), v, op.MatMulTransposeB(true))
	return rootTrace, inv
}

// identity is the n × n identity matrix in the builder's type.
func (b builder) identity(n int64) tf.Output {
	m := make([]float64, n*n)
	for i := range n {
		m[i*n+i] = 1
	}
	return b.matrix(m, n, n)
}

// trace is the sum of the diagonal of a square matrix.
func (b builder) trace(m tf.Output) tf.Output {
	return b.sum(op.DiagPart(b.f(), m), 1)
}

// symmetrize returns (m + mᵀ)/2.
func (b builder) symmetrize(m tf.Output) tf.Output {
	t := op.Transpose(b.f(), m, op.Const(b.f(), []int32{1, 0}))
	return b.scale(op.Add(b.f(), m, t), 0.5)
}
