package style

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"
	"github.com/wamuir/graft/tensorflow/op"

	"github.com/neuralstyle/neuralstyle/internal/bytesize"
	"github.com/neuralstyle/neuralstyle/tfruntime"
)

const gib = int64(1) << 30

// onSimulatedGPU places the network, for planning, on a GPU with the
// given memory.
func onSimulatedGPU(memory int64) Option {
	return optionFunc(func(c *config) error {
		c.simulatedDevice = &tfruntime.Device{Name: "/job:localhost/replica:0/task:0/device:GPU:0", Type: "GPU", MemoryBytes: memory}
		return nil
	})
}

// gpuPlan plans a w×h transfer (3:2 photos, the style image as large) on
// a simulated GPU of gpu bytes with host bytes of host memory.
func gpuPlan(t *testing.T, w, h int, gpu, host int64, opts ...Option) (MemoryPlan, error) {
	t.Helper()
	cfg, err := resolve(opts)
	require.NoError(t, err)
	s := shapeOf(&cfg, image2D{w, h}, []image2D{{w, h}}, max(w, h))
	return planWithin(fixtureModel(t), &cfg, s, budget{device: "/device:GPU:0", limit: gpu, source: "TensorFlow's memory for /device:GPU:0",
		host: host, hostSource: "85% of MemAvailable"})
}

// gpuPlanAnyHost is gpuPlan with the host's memory not checked.
func gpuPlanAnyHost(t *testing.T, w, h int, gpu int64) (MemoryPlan, error) {
	return gpuPlan(t, w, h, gpu, 0)
}

// The planner budgets the GPU's memory on GPUs of 8, 24 and 80 GiB: a run
// is untiled where its untiled prediction fits the GPU, tiled where it
// does not, and refused, naming the GPU, where even tiles do not fit
// (with 24 GiB of host memory, which every plan here also fits; the
// refusal with the host's memory not checked).
func TestPlannerOnSimulatedGPUs(t *testing.T) {
	const host = 24 * gib
	type want int
	const (
		untiled want = iota
		tiled
		refused
	)
	cases := []struct {
		gpu  int64
		side int
		want want
	}{
		// The fixture network has fewer channels than VGG16: its untiled
		// runs need 1.4, 2.6, 7.3, 26 and 101 GiB on the GPU at 1024, 2048,
		// 4096, 8192 and 16384 px (logged).
		{8 * gib, 1024, untiled},
		{8 * gib, 4096, untiled},
		{8 * gib, 8192, tiled},
		{8 * gib, 262144, refused},
		{24 * gib, 4096, untiled},
		{24 * gib, 8192, tiled},
		{80 * gib, 8192, untiled},
		{80 * gib, 16384, tiled},
	}
	for _, tc := range cases {
		w, h := tc.side, tc.side*2/3
		t.Run(fmt.Sprintf("%d GiB %d px", tc.gpu/gib, tc.side), func(t *testing.T) {
			cfg := defaultConfig()
			s := shape{w: w, h: h, styles: [][2]int{{w, h}}}
			whole := estimateOn(fixtureModel(t), &cfg, s, nil, 15, "/device:GPU:0")
			onCPU := estimate(fixtureModel(t), &cfg, s, nil, 15)
			assert.Less(t, whole.Needed-whole.Baseline, onCPU.Needed-onCPU.Baseline, "the GPU holds neither Go's buffers nor its copies of the weights")
			assert.Equal(t, whole.Needed, whole.Baseline+whole.Weights+whole.Optimizer+whole.Images+whole.Activations)
			t.Logf("untiled on the GPU: %s; host %s", bytesize.Format(whole.Needed), bytesize.Format(whole.Host))

			if tc.want == refused {
				_, err := gpuPlanAnyHost(t, w, h, tc.gpu)
				var me *MemoryError
				require.ErrorAs(t, err, &me)
				assert.Equal(t, "/device:GPU:0", me.Device)
				assert.Equal(t, tc.gpu, me.Available)
				assert.Greater(t, me.Needed, tc.gpu)
				assert.Contains(t, err.Error(), "of /device:GPU:0 memory even tiled")
				assert.Contains(t, err.Error(), "(TensorFlow's memory for /device:GPU:0)")
				return
			}
			p, err := gpuPlan(t, w, h, tc.gpu, host)
			require.NoError(t, err)
			t.Logf("plan: %v", p)
			assert.Equal(t, "/device:GPU:0", p.Device)
			assert.LessOrEqual(t, p.Needed, tc.gpu)
			assert.LessOrEqual(t, p.Host, host)
			assert.Equal(t, tc.want == untiled, !p.Tiled && !p.StoreReduced, "untiled with the whole history")
			assert.Equal(t, whole.Needed <= tc.gpu, !p.Tiled && !p.StoreReduced, "untiled exactly when the untiled prediction fits")
			if tc.want == tiled {
				assert.True(t, p.Tiled || p.StoreReduced, "tiled, or a shorter L-BFGS history, which the planner tries first")
			}
			if p.Tiled {
				assert.Zero(t, p.Optimizer, "a tiled run's optimizer is on the host")
			}
		})
	}
}

// On a GPU with room, the host's memory can still be short: at 16384 px
// the run fits an 80 GiB GPU, but no plan's host part (8 GiB of Go's
// image buffers untiled, more tiled, whose L-BFGS history is on the host)
// fits 4 GiB. The refusal names the host's memory and its source.
func TestPlannerOnGPUChecksTheHost(t *testing.T) {
	_, err := gpuPlan(t, 16384, 10923, 80*gib, 4*gib)
	var me *MemoryError
	require.ErrorAs(t, err, &me)
	assert.Empty(t, me.Device)
	assert.Equal(t, 4*gib, me.Available)
	assert.Equal(t, "85% of MemAvailable", me.Source)
	assert.Contains(t, err.Error(), "GiB of memory even")
}

// WithMemoryLimit is the GPU's budget on a GPU, and the default is the
// memory TensorFlow reports for it; on the CPU it is the process's.
func TestBudgetFor(t *testing.T) {
	gpu := tfruntime.Device{Type: "GPU", Index: 1, MemoryBytes: 80 * gib}
	cfg := defaultConfig()
	b := budgetFor(&cfg, gpu)
	assert.Equal(t, "/device:GPU:1", b.device)
	assert.Equal(t, 80*gib, b.limit)
	assert.Equal(t, "TensorFlow's memory for /device:GPU:1", b.source)
	assert.InDelta(t, availableMemory(), b.host, float64(256<<20))

	cfg.memoryLimit = 20 * gib
	b = budgetFor(&cfg, gpu)
	assert.Equal(t, 20*gib, b.limit)
	assert.Equal(t, "WithMemoryLimit", b.source)
	assert.Equal(t, "/device:GPU:1", b.device)

	b = budgetFor(&cfg, tfruntime.Device{Type: "CPU"})
	assert.Equal(t, budget{limit: 20 * gib, source: "WithMemoryLimit"}, b)
}

// Through Transfer and Transferer.Plan: a run that does not fit a
// simulated 8 GiB GPU is tiled there (with Adam, whose state on the host
// fits this machine), and one that cannot fit is refused before any work
// with an error naming the GPU.
func TestTransferPlansTheGPU(t *testing.T) {
	tr, err := NewTransferer(WithModel(fixtureModel(t)), onSimulatedGPU(8*gib))
	require.NoError(t, err)
	defer tr.Close()
	plans, err := tr.Plan(contentImage(60, 40), styleImage(36, 36), WithMaxSize(8192), WithOptimizer(Adam(1)))
	require.NoError(t, err)
	require.Len(t, plans, 1)
	assert.True(t, plans[0].Tiled)
	assert.Equal(t, "/device:GPU:0", plans[0].Device)
	assert.Equal(t, 8*gib, plans[0].Limit)
	assert.Contains(t, plans[0].String(), "of 8.0 GiB on /device:GPU:0, host")

	// 1 GiB is less than the CUDA libraries' workspaces alone.
	res, err := tr.Transfer(context.Background(), contentImage(60, 40), styleImage(36, 36), WithMaxSize(1024), WithIterations(1),
		onSimulatedGPU(1*gib))
	assert.Nil(t, res)
	var me *MemoryError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, "/device:GPU:0", me.Device)
	assert.Regexp(t, `^style: 1024×683 px needs [0-9.]+ GiB of /device:GPU:0 memory even tiled .* 1\.0 GiB available \(TensorFlow's memory for /device:GPU:0\)`, err.Error())
}

func TestTensorFlowOOM(t *testing.T) {
	for msg, want := range map[string]bool{
		"OOM when allocating tensor with shape[1,64,4096,4096] and type float on /job:localhost/replica:0/task:0/device:GPU:0 by allocator GPU_0_bfc": true,
		"Out of memory while trying to allocate 17179869184 bytes.":                                                                                   true,
		"RESOURCE_EXHAUSTED: failed to allocate memory":                                                                                               true,
		"Could not find variable neuralstyle_target_1":                                                                                                false,
		"Incompatible shapes: [1,2] vs. [1,3]":                                                                                                        false,
	} {
		assert.Equal(t, want, tensorFlowOOM(msg), msg)
	}
	p := MemoryPlan{Width: 4096, Height: 2731, Device: "/device:GPU:0", Needed: 20 * gib, Limit: 22 * gib, Store: 15}
	raw := errors.New("style: ingraph: lbfgs: iteration 3: OOM when allocating tensor with shape[1,64,4096,2731]")
	err := outOfMemory(raw, p, "iteration 4")
	var me *MemoryError
	require.ErrorAs(t, err, &me)
	assert.ErrorIs(t, err, ErrMemory)
	assert.ErrorIs(t, err, raw, "TensorFlow's error stays reachable")
	assert.Equal(t, "style: 4096×2731 px ran out of /device:GPU:0 memory at iteration 4 (TensorFlow could not allocate a tensor; "+
		"the memory model had predicted 20.0 GiB untiled with L-BFGS store 15, within the limit of 22.0 GiB): "+
		"set a lower WithMemoryLimit (stylize -memory-limit) so that the planner tiles, or use a smaller WithMaxSize or Adam", err.Error())
	assert.NotContains(t, err.Error(), "shape[", "no raw TensorFlow message")
	other := errors.New("style: something else")
	assert.Equal(t, other, outOfMemory(other, p, "iteration 4"))
	assert.NoError(t, outOfMemory(nil, p, "x"))
}

// A term that asks TensorFlow for far more memory than the machine has
// makes a real out-of-memory error, which Transfer returns as a
// *MemoryError that says when it happened.
func TestTransferOutOfMemory(t *testing.T) {
	huge := Term{Name: "huge", Weight: 1, Build: func(s *op.Scope, image tf.Output, _ []tf.Output) (tf.Output, error) {
		// 2⁴⁰ float32 values, 4 TiB, scaled by zero into the loss; filled
		// with a value of the image, so that Grappler cannot fold it.
		// No gradient flows through it: each failed allocation costs
		// TensorFlow's allocator 10 s of retries.
		value := op.StopGradient(s.SubScope("stop"), op.Mean(s.SubScope("mean"), image, op.Const(s.SubScope("all"), []int32{0, 1, 2, 3})))
		big := op.Fill(s.SubScope("fill"), op.Const(s.SubScope("shape"), []int64{1 << 20, 1 << 20}), value)
		total := op.Sum(s.SubScope("sum"), big, op.Const(s.SubScope("axes"), []int32{0, 1}))
		return op.Mul(s.SubScope("zero"), total, op.Const(s.SubScope("z"), float32(0))), nil
	}}
	res, err := transfer(t, WithTerms(huge), WithIterations(3), WithOptimizer(Adam(1)))
	var me *MemoryError
	require.ErrorAs(t, err, &me, "%v", err)
	assert.Equal(t, "iteration 1", me.During)
	assert.Empty(t, me.Device, "on the CPU: the host's memory")
	assert.Contains(t, err.Error(), "40×32 px ran out of memory at iteration 1")
	assert.NotContains(t, err.Error(), "OOM when allocating")
	_ = res
}

// A mixed precision is refused before any work, naming the device, where
// it would not do what it says: BFloat16 on a CPU without bfloat16
// instructions, Float16 on any CPU. On a GPU both are accepted whatever
// the CPU has (the graph casts, see TestMixedPrecisionOnGPUCastsTheGraph);
// Float32 is accepted everywhere.
func TestPrecisionNamesTheDevice(t *testing.T) {
	saved := cpuHasBFloat16
	defer func() { cpuHasBFloat16 = saved }()
	m := fixtureModel(t)
	for _, tc := range []struct {
		name      string
		gpu       bool
		cpuBF16   bool
		precision Precision
		want      string // "" for accepted
	}{
		{"bfloat16 on a GPU", true, true, BFloat16, ""},
		{"bfloat16 on a GPU, CPU without bfloat16", true, false, BFloat16, ""},
		{"bfloat16 on a CPU without bfloat16", false, false, BFloat16, "WithPrecision(bfloat16): this CPU has no bfloat16 instructions (AVX512_BF16 or AMX-BF16), and the network runs on it (/device:CPU:0)"},
		{"bfloat16 on a CPU with bfloat16", false, true, BFloat16, ""},
		{"float16 on a GPU", true, false, Float16, ""},
		{"float16 on a CPU with bfloat16", false, true, Float16, "WithPrecision(float16): float16 needs a GPU, and the network runs on /device:CPU:0"},
		{"float32 on a GPU", true, false, Float32, ""},
		{"float32 on a CPU", false, false, Float32, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cpuHasBFloat16 = tc.cpuBF16
			opts := []Option{WithModel(m), WithOptimizer(Adam(1)), WithPrecision(tc.precision)}
			if tc.gpu {
				opts = append(opts, onSimulatedGPU(24<<30))
			}
			tr, err := NewTransferer(opts...)
			if tc.want == "" {
				require.NoError(t, err)
				require.NoError(t, tr.Close())
				return
			}
			require.ErrorIs(t, err, ErrInvalidOption)
			assert.ErrorContains(t, err, tc.want)
			_, err = Transfer(context.Background(), contentImage(32, 24), styleImage(24, 24), opts...)
			assert.ErrorContains(t, err, tc.want, "the one-shot Transfer too")
		})
	}
}
