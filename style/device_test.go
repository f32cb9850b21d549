package style

import (
	"context"
	"image"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tf "github.com/wamuir/graft/tensorflow"
	configpb "github.com/wamuir/graft/tensorflow/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/protobuf/proto"

	"github.com/neuralstyle/neuralstyle/internal/tfutil"
	"github.com/neuralstyle/neuralstyle/loss"
)

// onHost keeps an untiled run on the host path (package optim), the
// reference of the optimizer in the graph.
func onHost() Option {
	return optionFunc(func(c *config) error {
		c.hostOptimizer = true
		return nil
	})
}

// The optimizer in the graph against package optim on the same transfers
// of the fixture network: Adam's loss curve agrees to float32 rounding;
// L-BFGS ends within 2 % of the host's loss in no more evaluations per
// iteration.
func TestDeviceOptimizerMatchesHost(t *testing.T) {
	cases := []struct {
		name  string
		opts  []Option
		curve float64 // largest relative difference of a loss of the curve; 0: final loss only
	}{
		{"adam", []Option{WithOptimizer(Adam(2)), WithIterations(40)}, 2e-3},
		{"adam averaged", []Option{WithOptimizer(Adam(2)), WithIterations(40), WithAveraging(0.9)}, 2e-3},
		{"adam masked W2 with terms", []Option{WithOptimizer(Adam(2)), WithIterations(30), WithStyleLoss(loss.W2),
			WithStyleMasks(contentImage(40, 32)), WithTerms(pullTerm(t, "pull", 1e3, styleImage(40, 32)))}, 5e-3},
		{"adam from an init image", []Option{WithOptimizer(Adam(2)), WithIterations(20), WithInitImage(styleImage(40, 32))}, 2e-3},
		{"adam early stop", []Option{WithOptimizer(Adam(2)), WithIterations(200), WithEarlyStop(2e-2)}, 2e-3},
		{"lbfgs", []Option{WithIterations(30)}, 0},
		{"lbfgs multi-scale", []Option{WithIterations(15), WithMultiScale(16)}, 0},
		{"lbfgs masked W2 with terms", []Option{WithIterations(20), WithStyleLoss(loss.W2),
			WithStyleMasks(contentImage(40, 32)), WithTerms(pullTerm(t, "pull", 1e3, styleImage(40, 32)))}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dev, err := transfer(t, tc.opts...)
			require.NoError(t, err)
			host, err := transfer(t, append(tc.opts, onHost())...)
			require.NoError(t, err)
			require.Len(t, dev.History, len(host.History))
			if strings.Contains(tc.name, "early stop") {
				require.Less(t, len(dev.History), 200, "the early stop never fired")
			}
			t.Logf("loss %.6g on the device, %.6g on the host; %d and %d evaluations",
				dev.Loss, host.Loss, dev.Evaluations, host.Evaluations)
			if tc.curve > 0 {
				for i := range host.History {
					d, h := dev.History[i], host.History[i]
					require.InDelta(t, h.Loss, d.Loss, tc.curve*h.Loss, "iteration %d", i+1)
					assert.InDelta(t, h.Style, d.Style, tc.curve*h.Loss+1e-6, "iteration %d", i+1)
					assert.InDelta(t, h.Terms, d.Terms, tc.curve*h.Loss+1e-6, "iteration %d", i+1)
				}
				assert.InDelta(t, host.Loss, dev.Loss, tc.curve*host.Loss)
				assert.Equal(t, host.Evaluations, dev.Evaluations)
				return
			}
			assert.Less(t, dev.Loss, 1.02*host.Loss)
			assert.LessOrEqual(t, float64(dev.Evaluations)/float64(len(dev.History)),
				float64(host.Evaluations)/float64(len(host.History))+0.1)
			// The image delivered is the one whose loss is reported.
			assert.False(t, math.IsNaN(dev.Loss))
		})
	}
}

// On the device, Progress.Image and checkpoints read the iterate of their
// iteration: the same image as the host path's at that iteration, to a
// grey level or two of float32 rounding.
func TestDeviceImagesOnDemand(t *testing.T) {
	grab := func(opts ...Option) map[int][]uint8 {
		out := map[int][]uint8{}
		_, err := transfer(t, append([]Option{WithOptimizer(Adam(2)), WithIterations(6),
			WithProgress(func(p Progress) error {
				if p.Iteration%3 == 0 {
					img, err := p.Image()
					if err != nil {
						return err
					}
					out[p.Iteration] = img.Pix
				}
				return nil
			}),
			WithCheckpoint(2, func(c Checkpoint) error {
				out[100+c.Iteration] = c.Image.(*image.RGBA).Pix
				return nil
			}),
		}, opts...)...)
		require.NoError(t, err)
		return out
	}
	dev, host := grab(), grab(onHost())
	require.Len(t, host, 4) // progress at 3 and 6, checkpoints at 2 and 4
	require.Equal(t, len(host), len(dev))
	for k, h := range host {
		d := dev[k]
		require.Len(t, d, len(h))
		worst := 0
		for i := range h {
			worst = max(worst, absDiff(int(h[i]), int(d[i])))
		}
		assert.LessOrEqual(t, worst, 2, "image %d: largest difference in grey levels", k)
	}
}

func absDiff(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}

// Only scalars cross per iteration with the optimizer in the graph: at
// most 64 bytes, read from Result's diagnostics, where the host path moves
// the image and its gradient at every evaluation.
func TestHostTrafficPerIteration(t *testing.T) {
	imageBytes := 4.0 * 40 * 32 * 3
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"adam", []Option{WithOptimizer(Adam(2))}},
		{"lbfgs", nil},
		{"lbfgs with a checkpoint", []Option{WithCheckpoint(5, func(Checkpoint) error { return nil })}},
		// The terms' inputs (video's temporal term: two image-sized
		// tensors) are stored once per transfer, not fed per iteration.
		{"adam with an image-sized term", []Option{WithOptimizer(Adam(2)), WithTerms(pullTerm(t, "pull", 1e3, styleImage(40, 32)))}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dev, err := transfer(t, tc.opts...)
			require.NoError(t, err)
			host, err := transfer(t, append(tc.opts, onHost())...)
			require.NoError(t, err)
			t.Logf("bytes per iteration: %.1f on the device, %.0f on the host; runs %d and %d",
				dev.HostBytesPerIteration, host.HostBytesPerIteration, dev.Traffic.Runs, host.Traffic.Runs)
			assert.Greater(t, dev.HostBytesPerIteration, 0.0)
			assert.LessOrEqual(t, dev.HostBytesPerIteration, 64.0)
			assert.GreaterOrEqual(t, host.HostBytesPerIteration, 2*imageBytes)
			// The whole transfer includes the targets and the result.
			assert.Greater(t, float64(dev.Traffic.Fed+dev.Traffic.Fetched), 2*imageBytes)
		})
	}
}

// BFloat16 runs keep the optimizer in the graph too: only scalars cross,
// and the loss stays near the float32 run's (the rewrite changes the
// network's arithmetic, not the optimizer's).
func TestDeviceBFloat16(t *testing.T) {
	opts := []Option{WithOptimizer(Adam(2)), WithIterations(30)}
	if !cpuHasBFloat16 { // TestBFloat16 checks the error such a CPU gives
		_, err := transfer(t, append(opts, WithPrecision(BFloat16))...)
		require.ErrorIs(t, err, ErrInvalidOption)
		return
	}
	f32, err := transfer(t, opts...)
	require.NoError(t, err)
	bf16, err := transfer(t, append(opts, WithPrecision(BFloat16))...)
	require.NoError(t, err)
	t.Logf("loss %.6g in float32, %.6g in bfloat16; %.1f bytes per iteration", f32.Loss, bf16.Loss, bf16.HostBytesPerIteration)
	assert.LessOrEqual(t, bf16.HostBytesPerIteration, 64.0)
	assert.InDelta(t, f32.Loss, bf16.Loss, 0.05*f32.Loss)
	assert.Less(t, bf16.Loss, 0.8*bf16.History[0].Loss)
}

// On a GPU, BFloat16 and Float16 cast the network in the graph
// (TensorFlow's GPU kernels have no bfloat16 rewrite): every convolution of
// the graph the session runs is an op of that type, untiled and tiled, the
// session asks for no oneDNN rewrite, and Adam's loss stays near the
// float32 run's. The graph runs here on the CPU, under a simulated GPU.
func TestMixedPrecisionOnGPUCastsTheGraph(t *testing.T) {
	for _, tc := range []struct {
		name      string
		precision Precision
		compute   tf.DataType
		opts      []Option
	}{
		{"bfloat16 untiled", BFloat16, tf.Bfloat16, nil},
		{"bfloat16 tiled", BFloat16, tf.Bfloat16, []Option{WithTiling(Tiling{Tile: 24})}},
		{"float16 untiled", Float16, tf.Half, nil},
		{"float16 tiled", Float16, tf.Half, []Option{WithTiling(Tiling{Tile: 24})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]Option{WithModel(fixtureModel(t)), WithMaxSize(40), WithThreads(2, 1),
				WithOptimizer(Adam(2)), WithIterations(30), onSimulatedGPU(24 * gib)}, tc.opts...)
			f32, err := Transfer(context.Background(), contentImage(40, 32), styleImage(36, 36), opts...)
			require.NoError(t, err)
			tr, err := NewTransferer(append(opts, WithPrecision(tc.precision))...)
			require.NoError(t, err)
			defer tr.Close()
			low, err := tr.Transfer(context.Background(), contentImage(40, 32), styleImage(36, 36))
			require.NoError(t, err)
			convs := 0
			for _, o := range sessionGraph(tr).Operations() {
				if o.Type() == "Conv2D" {
					convs++
					want := tc.compute
					if strings.Contains(o.Name(), "conv1_1/") {
						want = tf.Float // on the image itself (vgg.BuildOptions.Compute)
					}
					assert.Equal(t, want, o.Output(0).DataType(), o.Name())
				}
			}
			assert.Positive(t, convs)
			t.Logf("loss %.6g in float32, %.6g in %s", f32.Loss, low.Loss, tc.precision)
			assert.NotEqual(t, f32.Image.Pix, low.Image.Pix, "the casts changed nothing")
			assert.InDelta(t, f32.Loss, low.Loss, 0.05*f32.Loss)
			assert.Less(t, low.Loss, 0.8*low.History[0].Loss)
		})
	}

	for _, tc := range []struct {
		compute tf.DataType
		rewrite bool
	}{{tf.Float, true}, {tf.Bfloat16, false}, {tf.Half, false}} {
		so, err := sessionOptions(graphKey{precision: BFloat16, compute: tc.compute})
		require.NoError(t, err)
		var cfg configpb.ConfigProto
		require.NoError(t, proto.Unmarshal(so.Config, &cfg))
		on := cfg.GetGraphOptions().GetRewriteOptions().GetAutoMixedPrecisionOnednnBfloat16() == configpb.RewriterConfig_ON
		assert.Equal(t, tc.rewrite, on, "oneDNN's rewrite with compute %s", tfutil.TypeName(tc.compute))
	}
}

// A Transferer reused for a second transfer of the same size runs it on
// the graph it built, from a fresh optimizer state: the same result as a
// transfer of its own, on both paths.
func TestDeviceTransfererReuse(t *testing.T) {
	for _, path := range []struct {
		name string
		opts []Option
	}{{"device", nil}, {"host", []Option{onHost()}}} {
		t.Run(path.name, func(t *testing.T) {
			opts := append([]Option{WithModel(fixtureModel(t)), WithMaxSize(40), WithIterations(10), WithThreads(2, 1)}, path.opts...)
			tr, err := NewTransferer(opts...)
			require.NoError(t, err)
			defer tr.Close()
			ctx := context.Background()
			_, err = tr.Transfer(ctx, styleImage(40, 32), contentImage(36, 36))
			require.NoError(t, err)
			again, err := tr.Transfer(ctx, contentImage(40, 32), styleImage(36, 36))
			require.NoError(t, err)
			fresh, err := Transfer(ctx, contentImage(40, 32), styleImage(36, 36), opts...)
			require.NoError(t, err)
			assert.InDelta(t, fresh.Loss, again.Loss, 1e-4*fresh.Loss)
			assert.Equal(t, fresh.Evaluations, again.Evaluations)
		})
	}
}
