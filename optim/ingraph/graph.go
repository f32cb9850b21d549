package ingraph

import (
	"context"
	"errors"
	"fmt"
	"math"

	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/optim"
)

// Runner runs ops of the graph a method was built in: a *tf.Session on
// that graph, or a wrapper around one (one that places the graph on a
// device and resolves the ops by name, or counts the bytes that cross).
type Runner interface {
	Run(feeds map[tf.Output]*tf.Tensor, fetches []tf.Output, targets []*tf.Operation) ([]*tf.Tensor, error)
}

// Graph is an optimizer built into a TensorFlow graph: its variables, the
// point the objective reads, and the ops of a step. Build it with NewAdam
// or NewLBFGS, then Finish it; run it with Minimize. A Graph belongs to
// one graph and may be run any number of times, one run at a time.
type Graph struct {
	kind  string // "adam" or "lbfgs"
	shape []int64
	n     int64

	x      tf.Output       // the current iterate (a variable)
	readX  tf.Output       // its value
	point  tf.Output       // what the objective reads
	zero   []*tf.Operation // reset every state variable
	resets map[tf.Output]*tf.Operation
	load   tf.Output     // placeholder of Init's starting point
	setX   *tf.Operation // x := load

	// Averaging (Finish's decay > 0).
	decay   float64
	avg     tf.Output // the variable aₖ
	scale   tf.Output // placeholder: 1/(1−dᵏ⁺¹)
	average tf.Output // x̄ = aₖ · scale
	loadAvg *tf.Operation

	adam  *adamGraph
	lbfgs *lbfgsGraph

	finished bool
}

// Point returns the point the objective must be computed from: a float32
// tensor of the shape given to NewAdam or NewLBFGS, on the device of the
// graph. Its gradient is what Finish takes.
func (g *Graph) Point() tf.Output { return g.point }

// Iterate returns the current iterate, for reading the point on demand
// (a checkpoint, a preview): fetching it copies it to the host. During
// Minimize's Progress callback it is the iterate of that iteration.
func (g *Graph) Iterate() tf.Output { return g.readX }

// Method returns "adam" or "lbfgs".
func (g *Graph) Method() string { return g.kind }

// Size returns the number of float32 values of the point.
func (g *Graph) Size() int64 { return g.n }

// StateVectors is the number of point-sized float32 vectors a method keeps
// on the device: 5 for Adam, 4 + 2·store for L-BFGS, one more with
// averaging.
func StateVectors(method string, store int, averaging bool) int {
	v := 5
	if method == "lbfgs" {
		if store == 0 {
			store = optim.DefaultStore
		}
		v = 4 + 2*store
	}
	if averaging {
		v++
	}
	return v
}

// variable makes a zero-initialized float32 resource variable of shape
// under s (see filled).
func (g *Graph) variable(s *op.Scope, name string, shape ...int64) tf.Output {
	return g.filled(s, name, 0, shape...)
}

// filled makes a float32 resource variable of shape under s whose state
// reset (Minimize's first run) sets every element to value. Its shared_name
// is the unique name of its initial value's op: variables with an empty
// shared_name all name one resource of a session.
func (g *Graph) filled(s *op.Scope, name string, value float32, shape ...int64) tf.Output {
	vs := s.SubScope(name)
	init := op.Fill(vs.SubScope("fill"), op.Const(vs.SubScope("shape"), int64s(shape)), op.Const(vs.SubScope("value"), value))
	v := op.VarHandleOp(vs, tf.Float, tf.MakeShape(shape...), op.VarHandleOpSharedName(init.Op.Name()))
	reset := op.AssignVariableOp(vs.SubScope("init"), v, init)
	g.zero = append(g.zero, reset)
	if g.resets == nil {
		g.resets = map[tf.Output]*tf.Operation{}
	}
	g.resets[v] = reset
	return v
}

// zeroOf returns the op that resets variable v.
func (g *Graph) zeroOf(v tf.Output) *tf.Operation { return g.resets[v] }

func int64s(v []int64) []int64 {
	if v == nil {
		return []int64{}
	}
	return v
}

func read(s *op.Scope, v tf.Output) tf.Output { return op.ReadVariableOp(s, v, tf.Float) }

// sum is the sum of all elements of x, a float32 scalar.
func sum(s *op.Scope, x tf.Output) tf.Output {
	flat := op.Reshape(s.SubScope("flat"), x, op.Const(s.SubScope("all"), []int64{-1}))
	return op.Sum(s, flat, op.Const(s.SubScope("axis"), []int32{0}))
}

// dot is xᵀy over all elements.
func dot(s *op.Scope, x, y tf.Output) tf.Output { return sum(s, op.Mul(s.SubScope("mul"), x, y)) }

func scalar(s *op.Scope, v float64) tf.Output { return op.Const(s, float32(v)) }

func newGraph(s *op.Scope, kind string, shape []int64) (*Graph, error) {
	if len(shape) == 0 {
		return nil, fmt.Errorf("ingraph: %s: the point has no shape", kind)
	}
	n := int64(1)
	for _, d := range shape {
		if d <= 0 {
			return nil, fmt.Errorf("ingraph: %s: shape %v: want positive dimensions", kind, shape)
		}
		n *= d
	}
	g := &Graph{kind: kind, shape: append([]int64(nil), shape...), n: n}
	g.x = g.variable(s, "x", shape...)
	g.load = op.Placeholder(s.SubScope("x0"), tf.Float, op.PlaceholderShape(tf.MakeShape(shape...)))
	g.setX = op.AssignVariableOp(s.SubScope("set_x"), g.x, g.load)
	g.readX = read(s.SubScope("read_x"), g.x)
	return g, nil
}

// finishAverage adds the moving average of the iterates: every step's
// targets include avgUpdate, which folds the evaluated point x in.
func (g *Graph) finishAverage(s *op.Scope, decay float64, x tf.Output) (*tf.Operation, error) {
	if decay == 0 {
		return nil, nil
	}
	if !(decay > 0 && decay < 1) {
		return nil, fmt.Errorf("ingraph: averaging decay %v: must be in (0, 1)", decay)
	}
	as := s.SubScope("average")
	g.decay = decay
	g.avg = g.variable(as, "a", g.shape...)
	a := read(as.SubScope("read"), g.avg)
	next := op.AddV2(as.SubScope("next"), op.Mul(as.SubScope("da"), a, scalar(as.SubScope("d"), decay)),
		op.Mul(as.SubScope("cx"), x, scalar(as.SubScope("c"), 1-decay)))
	update := op.AssignVariableOp(as.SubScope("update"), g.avg, next)
	g.scale = op.Placeholder(as.SubScope("scale"), tf.Float, op.PlaceholderShape(tf.ScalarShape()))
	g.average = op.Mul(as.SubScope("unbiased"), read(as.SubScope("read_avg"), g.avg), g.scale)
	g.loadAvg = op.AssignVariableOp(as.SubScope("load"), g.x, g.average)
	return update, nil
}

// Settings are the limits and hooks of Minimize; see optim.Settings, whose
// meaning they keep. Iterations zero means optim.DefaultIterations.
type Settings struct {
	Iterations int
	// Progress, if not nil, is called after every iteration on the
	// caller's goroutine; an error stops the run (Status Stopped).
	Progress func(Progress) error
	// Average, if not nil, returns the moving average of the iterates; its
	// decay must be the one given to Finish.
	Average *optim.Averaging
	// InitialScale and InitialStep, when positive, replace the L-BFGS
	// configuration's fields of those names for this run (a coarse-to-fine
	// schedule carries γ from one scale to the next). Adam ignores them.
	InitialScale, InitialStep float64
}

// Progress is the state after one iteration.
type Progress struct {
	// Iteration counts completed iterations from 1.
	Iteration int
	// Value is the objective at the iterate; Report the values of the
	// report vector Finish was given, at the same point.
	Value  float64
	Report []float32
	// GradNorm is the Euclidean norm of the gradient at the iterate.
	GradNorm float64
	// Evaluations counts objective evaluations, the first included.
	Evaluations int
}

// Result is the outcome of Minimize. The point itself stays on the device:
// fetch Graph.Result's tensor to read it.
type Result struct {
	// Value is the objective at the result (the best iterate, the last
	// accepted one for L-BFGS, or the average), NaN if not evaluated.
	Value float64
	// Report is the report vector at the result, nil if not evaluated.
	Report []float32
	// Iterations and Evaluations count completed iterations and
	// objective evaluations; Status says why the run ended.
	Iterations, Evaluations int
	Status                  optim.Status
	// InverseHessianScale is L-BFGS's γ = sᵀy/yᵀy of the last iteration
	// with sᵀy > 0 (see optim.Result), zero for Adam.
	InverseHessianScale float64
}

// Result returns the output that holds the result of the last Minimize:
// the best iterate for Adam, the last accepted one for L-BFGS, and with
// averaging the average (Minimize leaves it in the iterate).
func (g *Graph) Result() tf.Output {
	if g.adam != nil && !g.averaging() {
		return g.adam.readBest
	}
	return g.readX
}

func (g *Graph) averaging() bool { return g.avg.Op != nil }

// ErrNotFinished is returned by Minimize for a Graph that Finish has not
// completed.
var ErrNotFinished = errors.New("ingraph: the graph is not finished")

// Minimize runs the method from x0 (the point's shape, float32) within
// settings. It returns like optim.Minimize: a nil error for a limit or
// convergence, and the result so far with an error wrapping the cause for
// a cancelled ctx (checked before every evaluation), a Progress error, a
// Runner error, or a non-finite value or gradient (optim.ErrNonFinite).
func Minimize(ctx context.Context, r Runner, g *Graph, x0 *tf.Tensor, settings Settings) (*Result, error) {
	if !g.finished {
		return nil, ErrNotFinished
	}
	if settings.Iterations < 0 {
		return nil, fmt.Errorf("ingraph: iterations %d: must not be negative", settings.Iterations)
	}
	if settings.Average != nil {
		d := settings.Average.Decay
		if d == 0 {
			d = optim.DefaultDecay
		}
		if !g.averaging() || d != g.decay {
			return nil, fmt.Errorf("ingraph: averaging decay %v: the graph was finished with %v", d, g.decay)
		}
	} else if g.averaging() {
		return nil, fmt.Errorf("ingraph: the graph averages (decay %v) but the settings do not", g.decay)
	}
	if got := x0.Shape(); !sameShape(got, g.shape) || x0.DataType() != tf.Float {
		return nil, fmt.Errorf("ingraph: starting point %v of shape %v, want float32 of shape %v", x0.DataType(), got, g.shape)
	}
	m := &minimizer{ctx: ctx, r: r, g: g, s: settings, maxIter: settings.Iterations}
	if m.maxIter == 0 {
		m.maxIter = optim.DefaultIterations
	}
	if _, err := r.Run(map[tf.Output]*tf.Tensor{g.load: x0}, nil, append([]*tf.Operation{}, g.zero...)); err != nil {
		return nil, fmt.Errorf("ingraph: %s: initializing the state: %w", g.kind, err)
	}
	if _, err := r.Run(map[tf.Output]*tf.Tensor{g.load: x0}, nil, []*tf.Operation{g.setX}); err != nil {
		return nil, fmt.Errorf("ingraph: %s: loading the starting point: %w", g.kind, err)
	}
	var err error
	if g.adam != nil {
		err = m.adam()
	} else {
		err = m.lbfgs()
	}
	return m.finish(err)
}

func sameShape(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// minimizer is one run of Minimize.
type minimizer struct {
	ctx     context.Context
	r       Runner
	g       *Graph
	s       Settings
	maxIter int

	res     Result
	value   float64   // at the result point
	report  []float32 // likewise
	accum   float64   // dᵏ⁺¹ of the average
	stopped bool
}

// checkCtx returns the context's error, wrapped, once it is done.
func (m *minimizer) checkCtx() error {
	if err := m.ctx.Err(); err != nil {
		m.res.Status = optim.Canceled
		return fmt.Errorf("ingraph: %s: iteration %d: %w", m.g.kind, m.res.Iterations, err)
	}
	return nil
}

// run runs the graph and converts its error.
func (m *minimizer) run(what string, feeds map[tf.Output]*tf.Tensor, fetches []tf.Output, targets []*tf.Operation) ([]*tf.Tensor, error) {
	out, err := m.r.Run(feeds, fetches, targets)
	if err != nil {
		m.res.Status = optim.Failed
		return nil, fmt.Errorf("ingraph: %s: iteration %d: %s: %w", m.g.kind, m.res.Iterations, what, err)
	}
	return out, nil
}

// fetchVector runs the graph for one float32 vector.
func (m *minimizer) fetchVector(what string, feeds map[tf.Output]*tf.Tensor, fetch tf.Output, targets []*tf.Operation) ([]float32, error) {
	out, err := m.run(what, feeds, []tf.Output{fetch}, targets)
	if err != nil {
		return nil, err
	}
	return vector(out[0])
}

// vector reads a float32 vector tensor.
func vector(t *tf.Tensor) ([]float32, error) {
	v, ok := t.Value().([]float32)
	if !ok {
		return nil, fmt.Errorf("ingraph: fetched %T, want []float32", t.Value())
	}
	return v, nil
}

// nonFinite checks a value and a squared gradient norm.
func (m *minimizer) nonFinite(f, gg float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.IsNaN(gg) || math.IsInf(gg, 0) {
		m.res.Status = optim.Failed
		return fmt.Errorf("ingraph: %s: iteration %d: value %g, gradient norm %g: %w",
			m.g.kind, m.res.Iterations, f, math.Sqrt(gg), optim.ErrNonFinite)
	}
	return nil
}

// report calls the progress hook.
func (m *minimizer) progress(p Progress) error {
	if m.s.Progress == nil {
		return nil
	}
	if err := m.s.Progress(p); err != nil {
		m.res.Status = optim.Stopped
		return fmt.Errorf("ingraph: %s: iteration %d: progress: %w", m.g.kind, p.Iteration, err)
	}
	return nil
}

// foldAverage accounts for one more point folded into the average.
func (m *minimizer) foldAverage() {
	if m.g.averaging() {
		if m.accum == 0 {
			m.accum = 1
		}
		m.accum *= m.g.decay
	}
}

// finish loads the average into the iterate and evaluates it (runs that
// ended without error), and completes the Result.
func (m *minimizer) finish(err error) (*Result, error) {
	m.res.Value, m.res.Report = m.value, m.report
	if !m.g.averaging() {
		return &m.res, err
	}
	m.res.Value, m.res.Report = math.NaN(), nil
	scale, serr := tf.NewTensor(float32(1 / (1 - m.accum)))
	if serr != nil {
		return &m.res, errors.Join(err, serr)
	}
	if _, lerr := m.r.Run(map[tf.Output]*tf.Tensor{m.g.scale: scale}, nil, []*tf.Operation{m.g.loadAvg}); lerr != nil {
		return &m.res, errors.Join(err, fmt.Errorf("ingraph: %s: loading the average: %w", m.g.kind, lerr))
	}
	if err != nil {
		return &m.res, err
	}
	f, rep, err := m.evaluateHere()
	if err == nil {
		m.res.Value, m.res.Report = f, rep
	}
	return &m.res, err
}

// evaluateHere evaluates the objective at the iterate without moving it.
func (m *minimizer) evaluateHere() (float64, []float32, error) {
	if err := m.checkCtx(); err != nil {
		return 0, nil, err
	}
	m.res.Evaluations++
	if m.g.adam != nil {
		return m.g.adam.evaluateHere(m)
	}
	return m.g.lbfgs.evaluateHere(m)
}
