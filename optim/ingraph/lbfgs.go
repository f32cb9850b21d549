package ingraph

import (
	"fmt"
	"math"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"
	"gonum.org/v1/gonum/optimize"

	"github.com/neuralstyle/neuralstyle/optim"
)

// lbfgsGraph is L-BFGS's part of a Graph.
//
// The iterate x, the search direction d, the gradient g at x, the gradient
// at the last trial point, and the history of the last Store pairs
// (s, y, ρ = 1/sᵀy) are variables. A line-search trial is one run: it
// feeds the step α, evaluates the objective at x + α·d and fetches f and
// ∇fᵀd. Accepting a step is one more run: it moves x, pushes (s, y) into
// the history when sᵀy > 0, and computes the next direction with the
// two-loop recursion (gonum's, with H₀ = γI and γ = sᵀy/yᵀy of the newest
// pair).
//
// The history is a ring: [Store, n] variables whose pair number k (counted
// from the start) lives in row k mod Store, written in place by a scatter
// (no copy of the history per push), and read back one row at a time by
// the two-loop recursion, newest first, each read ordered after the
// previous step of the loop so that only a few rows are ever copied at
// once. Rows not yet written have ρ = 0 and contribute exactly nothing.
type lbfgsGraph struct {
	cfg   optim.LBFGS
	store int

	d, g, gt, hs, hy, rho, pushes, gamma, report tf.Output // variables
	alpha                                        tf.Output // placeholder: the step
	gamma0                                       tf.Output // placeholder with default: γ for the first direction

	trialFetch  tf.Output // [f, ∇fᵀd, moved]
	trialStore  []*tf.Operation
	acceptFetch tf.Output       // [gᵀd, gᵀg, report…]
	accept      []*tf.Operation // with the average's update, if any
	acceptInit  []*tf.Operation // without it: the first direction
	readReport  tf.Output
	readGamma   tf.Output
}

// NewLBFGS adds the variables of L-BFGS for a point of the given shape
// under s. cfg's Store, tolerances, InitialScale and InitialStep keep
// their meaning and defaults in optim.LBFGS; the line search is always
// Moré–Thuente (optim.MoreThuenteSearch), and the gradient tolerance is
// tested on the Euclidean norm of the gradient, which bounds optim's
// largest element from above.
func NewLBFGS(s *op.Scope, shape []int64, cfg optim.LBFGS) (*Graph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g, err := newGraph(s, "lbfgs", shape)
	if err != nil {
		return nil, err
	}
	l := &lbfgsGraph{cfg: cfg, store: cfg.Store}
	if l.store == 0 {
		l.store = optim.DefaultStore
	}
	g.lbfgs = l
	n, m := g.n, int64(l.store)
	l.d = g.variable(s, "direction", shape...)
	l.g = g.variable(s, "grad", shape...)
	l.gt = g.variable(s, "trial_grad", shape...)
	l.hs = g.variable(s, "history_s", m, n)
	l.hy = g.variable(s, "history_y", m, n)
	l.rho = g.variable(s, "history_rho", m)
	l.pushes = g.variable(s, "pushes")
	l.gamma = g.variable(s, "gamma")
	l.alpha = op.Placeholder(s.SubScope("alpha"), tf.Float, op.PlaceholderShape(tf.ScalarShape()))
	ps := s.SubScope("point")
	g.point = op.AddV2(ps, read(ps.SubScope("x"), g.x), op.Mul(ps.SubScope("step"), l.alpha, read(ps.SubScope("d"), l.d)))
	return g, s.Err()
}

func (l *lbfgsGraph) finish(g *Graph, s *op.Scope, loss, grad, report tf.Output, decay float64) error {
	k := report.Shape().Size(0)
	if report.Shape().NumDimensions() != 1 || k < 0 {
		return fmt.Errorf("ingraph: lbfgs: report of shape %v, want a vector of known length", report.Shape())
	}
	l.report = g.variable(s, "report", k)
	l.readReport = read(s.SubScope("read_report"), l.report)
	l.readGamma = read(s.SubScope("read_gamma"), l.gamma)
	n, m := g.n, int64(l.store)
	flat := func(s *op.Scope, x tf.Output) tf.Output {
		return op.Reshape(s, x, op.Const(s.SubScope("n"), []int64{n}))
	}

	// A trial: the objective at Point, for the step fed as alpha.
	ts := s.SubScope("trial")
	l.trialStore = []*tf.Operation{
		op.AssignVariableOp(ts.SubScope("store_grad"), l.gt, grad),
		op.AssignVariableOp(ts.SubScope("store_report"), l.report, report),
	}
	gd := dot(ts.SubScope("slope"), grad, read(ts.SubScope("d"), l.d))
	moved := op.Any(ts.SubScope("moved"), op.NotEqual(ts.SubScope("differs"), flat(ts.SubScope("p"), g.point), flat(ts.SubScope("x"), read(ts.SubScope("read_x"), g.x))),
		op.Const(ts.SubScope("axis"), []int32{0}))
	l.trialFetch = op.Pack(ts.SubScope("fetch"), []tf.Output{loss, gd, op.Cast(ts.SubScope("movedf"), moved, tf.Float)})

	// Accepting the step fed as alpha.
	as := s.SubScope("accept")
	x, d := read(as.SubScope("x"), g.x), read(as.SubScope("d"), l.d)
	gOld, gNew := read(as.SubScope("g"), l.g), read(as.SubScope("gt"), l.gt)
	step := op.Mul(as.SubScope("s"), l.alpha, d)
	xNew := op.AddV2(as.SubScope("x_new"), x, step)
	y := op.Sub(as.SubScope("y"), gNew, gOld)
	sy, yy := dot(as.SubScope("sy"), step, y), dot(as.SubScope("yy"), y, y)
	push := op.Greater(as.SubScope("push"), sy, scalar(as.SubScope("zero"), 0))

	// The push: row pushes mod m of the ring, through scatters whose
	// indices hold that row when sᵀy > 0 and nothing otherwise.
	ps := as.SubScope("push_pair")
	int32s := func(s *op.Scope, x tf.Output) tf.Output { return op.Cast(s, x, tf.Int32) }
	count := read(ps.SubScope("count"), l.pushes)
	rowsK := int32s(ps.SubScope("k"), push) // 1 or 0 rows
	slot := op.FloorMod(ps.SubScope("slot"), int32s(ps.SubScope("count_i"), count), op.Const(ps.SubScope("m"), int32(m)))
	// batch is v as a batch of one row of shape rest, cut to its first
	// rowsK rows: the row itself when the pair is pushed, else no row.
	batch := func(name string, v tf.Output, rest ...int64) tf.Output {
		bs := ps.SubScope(name)
		shape := append([]int64{1}, rest...)
		size := []tf.Output{rowsK}
		for _, d := range rest {
			size = append(size, op.Const(bs.SubScope("width"), int32(d)))
		}
		row := op.Reshape(bs.SubScope("row"), v, op.Const(bs.SubScope("shape"), shape))
		return op.Slice(bs, row, op.Const(bs.SubScope("begin"), make([]int32, len(shape))), op.Pack(bs.SubScope("size"), size))
	}
	slots := batch("slots", slot)
	invSY := op.Div(ps.SubScope("inv_sy"), scalar(ps.SubScope("one_f"), 1), sy)
	pushed := []*tf.Operation{
		op.ResourceScatterUpdate(ps.SubScope("store_s"), l.hs, slots, batch("s", step, n)),
		op.ResourceScatterUpdate(ps.SubScope("store_y"), l.hy, slots, batch("y", y, n)),
		op.ResourceScatterUpdate(ps.SubScope("store_rho"), l.rho, slots, batch("rho", invSY)),
	}
	countNew := op.AddV2(ps.SubScope("count_new"), count, op.Cast(ps.SubScope("kf"), rowsK, tf.Float))
	pushed = append(pushed, op.AssignVariableOp(ps.SubScope("store_count"), l.pushes, countNew))

	l.gamma0 = op.PlaceholderWithDefault(as.SubScope("gamma0"), read(as.SubScope("read_gamma"), l.gamma), tf.ScalarShape())
	gamma := op.Select(as.SubScope("gamma"), push, op.Div(as.SubScope("sy_yy"), sy, yy), l.gamma0)

	// The two-loop recursion over the pairs by age j, newest (j = 0) first;
	// age j lives in row (pushes − 1 − j) mod m. Every read waits for the
	// push and for the loop's previous step.
	after := ps.WithControlDependencies(pushed...)
	newest := int32s(after.SubScope("newest"), countNew)
	rowOf := make([]tf.Output, m)
	for j := int64(0); j < m; j++ {
		rs := after.SubScope(fmt.Sprintf("age_%d", j))
		rowOf[j] = op.FloorMod(rs, op.Sub(rs.SubScope("back"), newest, op.Const(rs.SubScope("j"), int32(j+1))), op.Const(rs.SubScope("m"), int32(m)))
	}
	rhoAll := op.ReadVariableOp(after.SubScope("rhos"), l.rho, tf.Float)
	gather := func(s *op.Scope, v tf.Output, row tf.Output, prev tf.Output) tf.Output {
		return op.ResourceGather(s.WithControlDependencies(prev.Op), v, row, tf.Float)
	}
	q := flat(as.SubScope("q0"), gNew)
	alphas := make([]tf.Output, m)
	rhos := make([]tf.Output, m)
	for j := int64(0); j < m; j++ {
		ls := after.SubScope(fmt.Sprintf("first_%d", j))
		rhos[j] = op.GatherV2(ls.SubScope("rho"), rhoAll, rowOf[j], op.Const(ls.SubScope("axis"), int32(0)))
		sj := gather(ls.SubScope("s"), l.hs, rowOf[j], q)
		yj := gather(ls.SubScope("y"), l.hy, rowOf[j], q)
		alphas[j] = op.Mul(ls.SubScope("a"), rhos[j], dot(ls.SubScope("sq"), sj, q))
		q = op.Sub(ls.SubScope("q"), q, op.Mul(ls.SubScope("ay"), alphas[j], yj))
	}
	r := op.Mul(as.SubScope("h0"), gamma, q)
	for j := m - 1; j >= 0; j-- {
		ls := after.SubScope(fmt.Sprintf("second_%d", j))
		sj := gather(ls.SubScope("s"), l.hs, rowOf[j], r)
		yj := gather(ls.SubScope("y"), l.hy, rowOf[j], r)
		beta := op.Mul(ls.SubScope("b"), rhos[j], dot(ls.SubScope("yr"), yj, r))
		r = op.AddV2(ls.SubScope("r"), r, op.Mul(ls.SubScope("s"), op.Sub(ls.SubScope("ab"), alphas[j], beta), sj))
	}
	dNew := op.Neg(as.SubScope("d_new"), op.Reshape(as.SubScope("shape"), r, op.Const(as.SubScope("full"), g.shape)))
	afterY := as.SubScope("after_y").WithControlDependencies(y.Op)
	l.accept = append([]*tf.Operation{
		op.AssignVariableOp(as.SubScope("store_x"), g.x, xNew),
		op.AssignVariableOp(afterY.SubScope("store_g"), l.g, gNew),
		op.AssignVariableOp(as.SubScope("store_d"), l.d, dNew),
		op.AssignVariableOp(as.SubScope("store_gamma"), l.gamma, gamma),
	}, pushed...)
	l.acceptInit = l.accept
	avg, err := g.finishAverage(s, decay, xNew)
	if err != nil {
		return err
	}
	if avg != nil {
		l.accept = append(append([]*tf.Operation(nil), l.accept...), avg)
	}
	l.acceptFetch = op.ConcatV2(as.SubScope("fetch"), []tf.Output{
		op.Pack(as.SubScope("scalars"), []tf.Output{dot(as.SubScope("slope"), gNew, dNew), dot(as.SubScope("gg"), gNew, gNew)}),
		read(as.SubScope("read_report"), l.report),
	}, op.Const(as.SubScope("axis"), int32(0)))
	return nil
}

// maxTrials bounds the evaluations of one line search; Moré–Thuente
// usually accepts the first or second trial.
const maxTrials = 20

func scalarTensor(v float64) (*tf.Tensor, error) { return tf.NewTensor(float32(v)) }

// trial evaluates at x + α·d and returns f, ∇fᵀd and whether the point
// differs from x.
func (l *lbfgsGraph) trial(m *minimizer, alpha float32) (float64, float64, bool, error) {
	a, err := tf.NewTensor(alpha)
	if err != nil {
		return 0, 0, false, err
	}
	v, err := m.fetchVector("line search", map[tf.Output]*tf.Tensor{l.alpha: a}, l.trialFetch, l.trialStore)
	if err != nil {
		return 0, 0, false, err
	}
	m.res.Evaluations++
	return float64(v[0]), float64(v[1]), v[2] != 0, nil
}

// acceptStep moves to x + α·d and returns gᵀd for the new direction, gᵀg
// and the report there. gamma0 > 0 sets γ when no pair is pushed, and
// leaves the average alone (the first direction, at x₀ again).
func (l *lbfgsGraph) acceptStep(m *minimizer, alpha float32, gamma0 float64) (float64, float64, []float32, error) {
	a, err := tf.NewTensor(alpha)
	if err != nil {
		return 0, 0, nil, err
	}
	feeds := map[tf.Output]*tf.Tensor{l.alpha: a}
	if gamma0 > 0 {
		if feeds[l.gamma0], err = scalarTensor(gamma0); err != nil {
			return 0, 0, nil, err
		}
	}
	targets := l.accept
	if gamma0 > 0 {
		targets = l.acceptInit
	}
	v, err := m.fetchVector("update", feeds, l.acceptFetch, targets)
	if err != nil {
		return 0, 0, nil, err
	}
	return float64(v[0]), float64(v[1]), v[2:], nil
}

func (m *minimizer) lbfgs() error {
	l := m.g.lbfgs
	if err := m.checkCtx(); err != nil {
		return err
	}
	f, gd, _, err := l.trial(m, 0)
	if err != nil {
		return err
	}
	if err := m.nonFinite(f, gd); err != nil {
		return err
	}
	m.value = f
	m.foldAverage() // x₀
	// Store g₀ (and d = 0), read ‖g₀‖, then the first direction −γ₀·g₀.
	_, gg, rep, err := l.acceptStep(m, 0, 0)
	if err != nil {
		return err
	}
	m.report = rep
	if err := m.nonFinite(f, gg); err != nil {
		return err
	}
	initScale, initStep := l.cfg.InitialScale, l.cfg.InitialStep
	if m.s.InitialScale > 0 || m.s.InitialStep > 0 {
		initScale, initStep = m.s.InitialScale, m.s.InitialStep
	}
	gamma0 := initScale
	if gamma0 == 0 && gg > 0 {
		gamma0 = 1 / math.Sqrt(gg) // gonum's first trial: a step of length 1
		if initStep > 0 {
			gamma0 = initStep * math.Sqrt(float64(m.g.n)) / math.Sqrt(gg)
		}
	}
	if !(gamma0 > 0) || math.IsInf(gamma0, 0) {
		gamma0 = 1 // a zero gradient: the first iteration ends the run
	}
	if gd, _, _, err = l.acceptStep(m, 0, gamma0); err != nil {
		return err
	}
	defer func() { m.res.InverseHessianScale = l.finalGamma(m) }()

	gradTol := l.cfg.GradientTolerance
	if gradTol == 0 {
		gradTol = optim.DefaultGradientTolerance
	}
	convIters := l.cfg.FunctionIterations
	if convIters == 0 {
		convIters = optim.DefaultFunctionIterations
	}
	bestF, flat := f, 0
	for {
		if m.res.Iterations >= m.maxIter {
			m.res.Status = optim.IterationLimit
			return nil
		}
		if !(gd < 0) {
			m.res.Status = optim.Stalled // not a descent direction
			return nil
		}
		ls := &optimize.MoreThuente{}
		ls.Init(f, gd, 1)
		step := float32(1)
		var ft float64
		for trials := 0; ; trials++ {
			if trials == maxTrials {
				m.res.Status = optim.Stalled // the line search does not settle
				return nil
			}
			if err := m.checkCtx(); err != nil {
				return err
			}
			var gdt float64
			var moved bool
			if ft, gdt, moved, err = l.trial(m, step); err != nil {
				return err
			}
			if !moved {
				m.res.Status = optim.Stalled // the step is below float32's resolution
				return nil
			}
			if err := m.nonFinite(ft, gdt); err != nil {
				return err
			}
			next, alpha, err := ls.Iterate(ft, gdt)
			if err != nil {
				m.res.Status = optim.Stalled
				return nil
			}
			if next == optimize.MajorIteration {
				break
			}
			step = float32(alpha)
		}
		gd, gg, rep, err = l.acceptStep(m, step, 0)
		if err != nil {
			return err
		}
		if err := m.nonFinite(ft, gg); err != nil {
			return err
		}
		f = ft
		m.value, m.report = f, rep
		m.res.Iterations++
		m.foldAverage()
		if err := m.progress(Progress{Iteration: m.res.Iterations, Value: f, Report: rep, GradNorm: math.Sqrt(gg), Evaluations: m.res.Evaluations}); err != nil {
			return err
		}
		if gradTol > 0 && math.Sqrt(gg) < gradTol {
			m.res.Status = optim.GradientConverged
			return nil
		}
		if convIters > 0 {
			if bestF-f > l.cfg.FunctionTolerance*math.Max(math.Abs(f), math.Abs(bestF)) {
				bestF, flat = f, 0
			} else if flat++; flat >= convIters {
				m.res.Status = optim.FunctionConverged
				return nil
			}
		}
	}
}

// finalGamma reads γ; zero when unknown or unreadable.
func (l *lbfgsGraph) finalGamma(m *minimizer) float64 {
	out, err := m.r.Run(nil, []tf.Output{l.readGamma}, nil)
	if err != nil {
		return 0
	}
	v, ok := out[0].Value().(float32)
	if !ok || !(v > 0) {
		return 0
	}
	return float64(v)
}

// evaluateHere evaluates at x with a zero step and reads the report.
func (l *lbfgsGraph) evaluateHere(m *minimizer) (float64, []float32, error) {
	f, gd, _, err := l.trial(m, 0)
	m.res.Evaluations-- // Minimize's evaluateHere counts it
	if err != nil {
		return 0, nil, err
	}
	if err := m.nonFinite(f, gd); err != nil {
		return 0, nil, err
	}
	out, err := m.run("reading the report", nil, []tf.Output{l.readReport}, nil)
	if err != nil {
		return 0, nil, err
	}
	rep, err := vector(out[0])
	return f, rep, err
}
