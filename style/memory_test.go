package style

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
	"github.com/neuralstyle/neuralstyle/loss"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// estimate is estimateOn on the CPU.
func estimate(m *vgg.Model, cfg *config, s shape, t *Tiling, store int) MemoryPlan {
	return estimateOn(m, cfg, s, t, store, "")
}

// planFor runs the planner for a w×h output with the fixture network.
func planFor(t *testing.T, w, h int, limit int64, opts ...Option) (MemoryPlan, error) {
	t.Helper()
	cfg, err := resolve(opts)
	require.NoError(t, err)
	s := shapeOf(&cfg, image2D{w, h}, []image2D{{w, h}}, max(w, h))
	return plan(fixtureModel(t), &cfg, s, limit, "WithMemoryLimit")
}

// The predicted memory grows with the image, its parts add up to Needed,
// the tiled evaluation of a large image needs less than the untiled one,
// and a smaller L-BFGS store needs less. TestMemoryModelAgainstMeasurements
// checks the parts against what a transfer allocates.
func TestMemoryModelIsMonotone(t *testing.T) {
	m := fixtureModel(t)
	cfg := defaultConfig()
	prev := int64(0)
	for _, side := range []int{256, 512, 1024, 2048, 4096, 8192} {
		s := shape{w: side, h: side * 2 / 3, styles: [][2]int{{side, side}}}
		p := estimate(m, &cfg, s, nil, 15)
		assert.Greater(t, p.Needed, prev, "side %d", side)
		assert.Equal(t, p.Needed, p.Baseline+p.Weights+p.Activations+p.Optimizer+p.Images)
		prev = p.Needed
		tiled := estimate(m, &cfg, s, &Tiling{Tile: 256, Halo: 80}, 15)
		if side >= 2048 {
			assert.Less(t, tiled.Activations, p.Activations, "side %d", side)
		}
		assert.Less(t, estimate(m, &cfg, s, nil, 5).Optimizer, p.Optimizer)
	}
	// Untiled runs keep L-BFGS in the graph (float32 state); tiled runs
	// keep gonum's float64 history on the host, which an untiled run of
	// the host path also has.
	device := estimate(m, &cfg, shape{w: 4096, h: 2731}, nil, 15)
	host := estimate(m, &cfg, shape{w: 4096, h: 2731}, &Tiling{Tile: 1024, Halo: 80}, 15)
	assert.Less(t, device.Optimizer, host.Optimizer/2)
	hostCfg := cfg
	hostCfg.hostOptimizer = true
	assert.Equal(t, host.Optimizer, estimate(m, &hostCfg, shape{w: 4096, h: 2731}, nil, 15).Optimizer)
}

// shapeBytes is the size of a float32 tensor of that shape.
func shapeBytes(shape []int64) int64 {
	n := int64(4)
	for _, d := range shape {
		n *= d
	}
	return n
}

// variableBytes is the size of all the resource variables of g, from the
// shapes TensorFlow holds for them (all are float32).
func variableBytes(t *testing.T, g *tf.Graph) int64 {
	t.Helper()
	var total int64
	for _, o := range g.Operations() {
		if o.Type() != "VarHandleOp" {
			continue
		}
		a, err := o.Attr("shape")
		require.NoError(t, err)
		shape, err := a.(tf.Shape).ToSlice()
		require.NoError(t, err, o.Name())
		total += shapeBytes(shape)
	}
	return total
}

// forwardBytes runs the fixture network, built for cfg's default layers, on
// an h×w image and returns the bytes of every feature map TensorFlow
// computed, and of the weights the session holds.
func forwardBytes(t *testing.T, m *vgg.Model, h, w int) (maps, weights int64) {
	t.Helper()
	g := tf.NewGraph()
	s := op.NewScopeWithGraph(g)
	in := op.Placeholder(s.SubScope("image"), tf.Float, op.PlaceholderShape(tf.MakeShape(1, -1, -1, 3)))
	var layers []string
	for _, l := range []map[string]float64{DefaultContentLayers(), DefaultStyleLayers()} {
		for name := range l {
			layers = append(layers, name)
		}
	}
	net, err := m.Build(s.SubScope("vgg"), in, vgg.BuildOptions{Layers: layers})
	require.NoError(t, err)
	sess, err := tf.NewSession(g, nil)
	require.NoError(t, err)
	defer sess.Close()
	require.NoError(t, net.Init(sess))
	image, err := tfutil.Float32Tensor(make([]float32, h*w*3), 1, int64(h), int64(w), 3)
	require.NoError(t, err)
	var fetches []tf.Output
	for _, o := range net.Layers() {
		fetches = append(fetches, o)
	}
	out, err := sess.Run(map[tf.Output]*tf.Tensor{in: image}, fetches, nil)
	require.NoError(t, err)
	for _, o := range out {
		maps += shapeBytes(o.Shape())
	}
	return maps, variableBytes(t, g)
}

// liveHeap is the Go heap in use after a collection.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// The parts of the memory model's prediction (Transferer.Plan, untiled)
// against what transfers of the fixture network allocate:
//   - Activations against the bytes of the feature maps TensorFlow returns
//     for a forward pass at that size: each counted once, plus at most half
//     again for the backward pass's working space;
//   - Weights against the weight variables of a session: at least the
//     session's copy, at most three copies (the Go model, the session,
//     Init's feeds);
//   - Optimizer, for the optimizer in the graph, against the variables it
//     adds to the session's graph (those of the graph of the same transfer
//     on the host path subtracted): the prediction is the host path's,
//     conservative, at most three times as large;
//   - Optimizer, for the host path, against the Go heap that a transfer
//     holds at its peak (the live heap after a collection, at every
//     iteration), which is the optimizer's state, the convergence rule's
//     snapshot and a few image-sized buffers: within −20 % and +15 % of
//     the prediction.
//
// Sizes and state are measured, not timed, so the check is exact on a
// loaded machine.
func TestMemoryModelAgainstMeasurements(t *testing.T) {
	m := fixtureModel(t)
	for _, size := range []struct{ w, h int }{{61, 37}, {96, 64}, {128, 96}} {
		maps, weights := forwardBytes(t, m, size.h, size.w)
		for _, opt := range []Optimizer{Adam(1), LBFGS()} {
			t.Run(fmt.Sprintf("%dx%d %v", size.w, size.h, opt), func(t *testing.T) {
				content, style := contentImage(size.w, size.h), styleImage(36, 36)
				tr, err := NewTransferer(WithModel(m), WithThreads(2, 1), WithMaxSize(max(size.w, size.h)), WithoutTiling(), WithOptimizer(opt))
				require.NoError(t, err)
				defer tr.Close()
				plans, err := tr.Plan(content, style)
				require.NoError(t, err)
				p := plans[0]
				hostPlans, err := tr.Plan(content, style, onHost())
				require.NoError(t, err)
				hp := hostPlans[0]
				require.False(t, p.Tiled)
				require.Equal(t, size.w, p.Width)
				require.Equal(t, size.h, p.Height)

				assert.GreaterOrEqual(t, p.Activations, maps, "every feature map of the forward pass")
				assert.LessOrEqual(t, p.Activations, maps*3/2)
				assert.GreaterOrEqual(t, p.Weights, weights, "the session's weights")
				assert.LessOrEqual(t, p.Weights, 3*weights)

				_, err = tr.Transfer(context.Background(), content, style, WithIterations(1))
				require.NoError(t, err)
				inGraph := variableBytes(t, sessionGraph(tr))
				before := liveHeap()
				var peak int64
				// A window of 2 takes the convergence rule's snapshot within
				// the 5 iterations (the plan counts it); a tiny MaxChange
				// keeps it from ending the run.
				_, err = tr.Transfer(context.Background(), content, style, onHost(), WithIterations(5),
					WithConvergence(Convergence{Window: 2, MaxChange: 1e-9}),
					WithProgress(func(Progress) error {
						peak = max(peak, liveHeap()-before)
						return nil
					}))
				require.NoError(t, err)
				state := inGraph - variableBytes(t, sessionGraph(tr))
				t.Logf("activations %d predicted, %d in the feature maps; weights %d, %d in the session; optimizer %d, %d in the graph; on the host %d, %d Go heap",
					p.Activations, maps, p.Weights, weights, p.Optimizer, state, hp.Optimizer, peak)
				require.Positive(t, state)
				assert.GreaterOrEqual(t, p.Optimizer, state, "the optimizer's variables in the graph")
				assert.LessOrEqual(t, p.Optimizer, 3*state)
				assert.GreaterOrEqual(t, float64(hp.Optimizer), float64(peak)/1.15, "the Go heap of the host path")
				assert.LessOrEqual(t, float64(hp.Optimizer), float64(peak)/0.8)
			})
		}
	}
}

// The planner takes untiled when it fits, then tiles, then lowers the
// L-BFGS store, and refuses what fits in none of these. On the fixture
// network the optimizer's state outweighs the activations, so tiling only
// helps where both evaluations keep the optimizer on the host (onHost):
// with the graph's float32 state an untiled run needs less than a tiled
// one with gonum's float64 history (TestPlannerPrefersTheDevice).
func TestPlannerChoices(t *testing.T) {
	planFor := func(t *testing.T, w, h int, limit int64, opts ...Option) (MemoryPlan, error) {
		return planFor(t, w, h, limit, append(opts, onHost())...)
	}
	untiled, err := planFor(t, 2048, 1365, 0)
	require.NoError(t, err)
	assert.False(t, untiled.Tiled)
	assert.Equal(t, 15, untiled.Store)

	tiled, err := planFor(t, 2048, 1365, untiled.Needed-1)
	require.NoError(t, err)
	assert.True(t, tiled.Tiled)
	assert.Less(t, tiled.Needed, untiled.Needed)
	assert.Greater(t, tiled.Tiles, 1)
	assert.False(t, tiled.StoreReduced)

	smallest := estimate(fixtureModel(t), func() *config { c := defaultConfig(); c.hostOptimizer = true; return &c }(),
		shape{w: 2048, h: 1365, styles: [][2]int{{2048, 1365}}}, &Tiling{Tile: 128, Halo: 80}, 15)
	reduced, err := planFor(t, 2048, 1365, smallest.Needed-1)
	require.NoError(t, err)
	assert.True(t, reduced.StoreReduced)
	assert.Less(t, reduced.Store, 15)
	assert.Contains(t, reduced.String(), "store reduced")

	_, err = planFor(t, 2048, 1365, 100<<20)
	var me *MemoryError
	require.ErrorAs(t, err, &me)
	assert.ErrorIs(t, err, ErrMemory)
	assert.Equal(t, int64(100<<20), me.Available)
	assert.Greater(t, me.Needed, me.Available)

	// Forcing untiled is refused where only tiles fit.
	cfg := defaultConfig()
	cfg.hostOptimizer = true
	least := estimate(fixtureModel(t), &cfg, shape{w: 2048, h: 1365, styles: [][2]int{{2048, 1365}}}, nil, minStore)
	_, err = planFor(t, 2048, 1365, least.Needed-1, WithoutTiling())
	assert.ErrorIs(t, err, ErrMemory)
	forced, err := planFor(t, 512, 512, 0, WithTiling(Tiling{Tile: 200}))
	require.NoError(t, err)
	assert.Equal(t, 208, forced.Tile, "rounded up to the alignment")
	assert.Equal(t, 80, forced.Halo, "the default halo")
}

// With the optimizer in the graph, a limit that the untiled run misses
// with the default store is met by a shorter history before tiling, which
// would keep gonum's float64 history on the host; the plan says so.
func TestPlannerPrefersTheDevice(t *testing.T) {
	untiled, err := planFor(t, 2048, 1365, 0)
	require.NoError(t, err)
	require.False(t, untiled.Tiled)
	p, err := planFor(t, 2048, 1365, untiled.Needed-1)
	require.NoError(t, err)
	assert.False(t, p.Tiled)
	assert.True(t, p.StoreReduced)
	assert.Less(t, p.Needed, untiled.Needed)
	assert.Contains(t, p.String(), "untiled with L-BFGS store 14: predicted peak")
	assert.Contains(t, p.String(), "store reduced from 15 to fit")
}

// A 65536 px request is refused before anything large is allocated, with an
// error naming the memory needed and available.
func TestHugeRequestRefused(t *testing.T) {
	for _, opts := range [][]Option{
		{WithMemoryLimit(8 << 30)},
		{}, // the default: what the machine has available
		{WithOptimizer(Adam(1)), WithMemoryLimit(8 << 30)},
	} {
		res, err := Transfer(context.Background(), contentImage(40, 32), styleImage(36, 36),
			append([]Option{WithModel(fixtureModel(t)), WithMaxSize(65536), WithIterations(1)}, opts...)...)
		assert.Nil(t, res)
		require.ErrorIs(t, err, ErrMemory)
		var me *MemoryError
		require.True(t, errors.As(err, &me))
		assert.Greater(t, me.Needed, int64(100<<30))
		assert.Regexp(t, `65536×52429 px needs [0-9.]+ GiB of memory even (un)?tiled .* [0-9.]+ GiB available \((WithMemoryLimit|85% of MemAvailable)\)`, err.Error())
	}
}

func TestWithMemoryLimitInvalid(t *testing.T) {
	_, err := resolve([]Option{WithMemoryLimit(0)})
	assert.ErrorIs(t, err, ErrInvalidOption)
	_, err = resolve([]Option{WithTiling(Tiling{Tile: 8})})
	assert.ErrorIs(t, err, ErrInvalidOption)
	_, err = resolve([]Option{WithTiling(Tiling{SinglePass: true})})
	assert.ErrorIs(t, err, ErrInvalidOption, "SinglePass with L-BFGS")
	_, err = resolve([]Option{WithTiling(Tiling{SinglePass: true}), WithOptimizer(Adam(1))})
	assert.NoError(t, err)
}

func TestWeightBytes(t *testing.T) {
	m := fixtureModel(t)
	var want int64
	for _, c := range m.Convs() {
		want += 4 * int64(len(c.Kernel)+len(c.Bias))
	}
	assert.Equal(t, want, weightBytes(m, "pool5"))
}

// The W2 style loss and caller-built terms are not tiled yet: forcing
// tiles is an error naming the combination, and a request too large for
// untiled evaluation is refused saying why no tiles were tried.
func TestUntileableOptions(t *testing.T) {
	term := Term{Name: "zero", Weight: 1, Build: func(s *op.Scope, image tf.Output, _ []tf.Output) (tf.Output, error) {
		return op.Const(s, float32(0)), nil
	}}
	for name, opt := range map[string]Option{"WithStyleLoss(loss.W2)": WithStyleLoss(loss.W2), "WithTerms": WithTerms(term)} {
		_, err := transfer(t, opt, WithTiling(Tiling{Tile: 16}))
		require.ErrorIs(t, err, ErrInvalidOption, name)
		assert.Contains(t, err.Error(), "WithTiling")
		assert.Contains(t, err.Error(), "does not support "+name)

		_, err = Transfer(context.Background(), contentImage(40, 32), styleImage(36, 36),
			WithModel(fixtureModel(t)), WithMaxSize(65536), WithMemoryLimit(8<<30), opt)
		require.ErrorIs(t, err, ErrMemory, name)
		assert.Contains(t, err.Error(), "even untiled")
		assert.Contains(t, err.Error(), "tiled evaluation does not support "+name)
	}
}
