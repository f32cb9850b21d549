package style

import (
	"context"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	tf "github.com/wamuir/graft/tensorflow"

	"github.com/neuralstyle/neuralstyle/imageio"
	"github.com/neuralstyle/neuralstyle/internal/tfutil"
	"github.com/neuralstyle/neuralstyle/loss"
	"github.com/neuralstyle/neuralstyle/tfruntime"
	"github.com/neuralstyle/neuralstyle/vgg"
)

// The benchmarks run on a VGG19 with the real channel counts (64, 128, 256,
// 512, 512; 80 MB of weights) and random weights: speed does not depend on
// the values, and no weights file is needed. They use the default objective
// (style relu1_1 … relu5_1, content conv4_2, TV, average pooling) on two
// threads, as bench/run.sh does for the comparison with the Python peers.
//
//	go test -run '^$' -bench . -benchtime 5x ./style/
//
// Without -bench they do not run, and nothing is built.

// benchThreads is the intra-op thread count of the benchmarks (the machine
// the comparison was made on has two cores).
const benchThreads = 2

// benchModel is the full-width synthetic VGG19, made once.
var benchModel = sync.OnceValues(func() (*vgg.Model, error) {
	rng := rand.New(rand.NewPCG(19, 2016))
	blocks := [...]struct{ convs, ch int }{{2, 64}, {2, 128}, {4, 256}, {4, 512}, {4, 512}}
	var convs []vgg.Conv
	in := 3
	for b, blk := range blocks {
		for i := 1; i <= blk.convs; i++ {
			// Uniform with He's variance, so activations keep their scale.
			a := math.Sqrt(6 / float64(9*in))
			k := make([]float32, 9*in*blk.ch)
			for j := range k {
				k[j] = float32(a * (2*rng.Float64() - 1))
			}
			bias := make([]float32, blk.ch)
			convs = append(convs, vgg.Conv{
				Name: fmt.Sprintf("conv%d_%d", b+1, i), Kernel: k, Bias: bias,
				KernelShape: [4]int{3, 3, in, blk.ch},
			})
			in = blk.ch
		}
	}
	return vgg.New(convs, [3]float32{123.68, 116.779, 103.939})
})

func benchFullModel(b *testing.B) *vgg.Model {
	b.Helper()
	m, err := benchModel()
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// benchEngine builds the engine of the default objective (changed by opts)
// for a size×size image, as Transferer.Transfer does, and closes it when b
// ends.
func benchEngine(b *testing.B, m *vgg.Model, size int, opts ...Option) *engine {
	b.Helper()
	cfg, err := resolve(append([]Option{WithModel(m), WithThreads(benchThreads, 1)}, opts...))
	if err != nil {
		b.Fatal(err)
	}
	key := newGraphKey(&cfg, m.Arch(), size, size, 1, false)
	e, err := newEngine(m, key, &cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.close() })
	return e
}

// benchImage is a size×size NHWC image of mean-subtracted noise.
func benchImage(size int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, size*size*3)
	for i := range x {
		x[i] = float32(rng.Float64()*255 - 127.5)
	}
	return x
}

func benchTensor(b *testing.B, x []float32, size int) *tf.Tensor {
	b.Helper()
	t, err := tfutil.Float32Tensor(x, 1, int64(size), int64(size), 3)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// convFLOPs is the multiply-adds ×2 of the forward convolutions of m up to
// conv5_1 (the deepest layer relu5_1 needs) for an h×w image.
func convFLOPs(b *testing.B, m *vgg.Model, h, w int) float64 {
	b.Helper()
	var flops float64
	cin := 3
	for _, name := range m.Arch().LayerNames() {
		if len(name) < 4 || name[:4] != "conv" {
			continue
		}
		oh, ow, ch, err := m.LayerShape(name, h, w)
		if err != nil {
			b.Fatal(err)
		}
		flops += 2 * 9 * float64(oh*ow*cin*ch)
		cin = ch
		if name == "conv5_1" {
			break
		}
	}
	return flops
}

// BenchmarkEvaluate times one loss-and-gradient evaluation (forward and
// backward through the network up to relu5_1), the unit of work of every
// optimizer iteration. The gradient with respect to the input costs about
// as much as the forward pass (the weights get no gradient), so the
// reported GFLOP/s counts twice the forward convolutions.
func BenchmarkEvaluate(b *testing.B) { benchEvaluate(b) }

// BenchmarkEvaluateW2 is BenchmarkEvaluate with the W2 style loss: its
// eigendecompositions (one per style layer, of up to 512 × 512) come on top
// of the network's work, whatever the image size.
func BenchmarkEvaluateW2(b *testing.B) { benchEvaluate(b, WithStyleLoss(loss.W2)) }

func benchEvaluate(b *testing.B, opts ...Option) {
	for _, size := range []int{256, 512} {
		b.Run(fmt.Sprintf("%dpx", size), func(b *testing.B) {
			m := benchFullModel(b)
			e := benchEngine(b, m, size, opts...)
			painting := []sizedImage{{x: benchImage(size, 2), h: size, w: size}}
			if err := e.targets(benchImage(size, 1), painting, nil, nil, func() error { return nil }); err != nil {
				b.Fatal(err)
			}
			x := benchImage(size, 3)
			grad := make([]float32, len(x))
			if _, err := e.evaluate(x, grad); err != nil { // warm-up: first-run allocations and kernel choice
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.evaluate(x, grad); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(2*convFLOPs(b, m, size, size)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkSetTargets times the target computation of one transfer: the
// content features and the five mean Gram matrices of one style image of
// the same size, computed and stored inside the graph (forward passes only).
func BenchmarkSetTargets(b *testing.B) {
	for _, size := range []int{256, 512} {
		b.Run(fmt.Sprintf("%dpx", size), func(b *testing.B) {
			m := benchFullModel(b)
			e := benchEngine(b, m, size)
			content := benchImage(size, 1)
			styles := []sizedImage{{x: benchImage(size, 2), h: size, w: size}}
			none := func() error { return nil }
			if err := e.targets(content, styles, nil, nil, none); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := e.targets(content, styles, nil, nil, none); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNewEngine times building the graph (network, targets, losses,
// gradient), opening the session and loading the 80 MB of weights: what the
// first transfer of a size pays once, and a Transferer then reuses.
func BenchmarkNewEngine(b *testing.B) {
	m := benchFullModel(b)
	cfg, err := resolve([]Option{WithModel(m), WithThreads(benchThreads, 1)})
	if err != nil {
		b.Fatal(err)
	}
	key := newGraphKey(&cfg, m.Arch(), 256, 256, 1, false)
	b.ReportAllocs()
	for b.Loop() {
		e, err := newEngine(m, key, &cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTransfer times a whole short transfer through the public API on
// a reused Transferer (its graph and session are built before the timer
// starts): image preparation, targets, the iterations and the output image.
func BenchmarkTransfer(b *testing.B) {
	cases := []struct {
		name string
		opt  Optimizer
	}{
		{"adam5_256px", Adam(1)},
		{"lbfgs5_256px", LBFGS()},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			m := benchFullModel(b)
			tr, err := NewTransferer(WithModel(m), WithThreads(benchThreads, 1), WithMaxSize(256),
				WithIterations(5), WithOptimizer(c.opt))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = tr.Close() })
			content, painting := benchPicture(256, 1), benchPicture(256, 2)
			if _, err := tr.Transfer(context.Background(), content, painting); err != nil { // builds the engine
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := tr.Transfer(context.Background(), content, painting); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchPicture is a size×size image of noise.
func benchPicture(size int, seed uint64) *image.RGBA {
	x := benchImage(size, seed)
	img, err := imageio.FromTensor(x, size, size, imageio.Mean{127.5, 127.5, 127.5})
	if err != nil {
		panic(err)
	}
	return img
}

// BenchmarkPrecision compares Float32, BFloat16 and Float16 (WithPrecision)
// on a transfer of the bundled photographs (chelsea.jpg in the style of
// starry_night.jpg) at $NEURALSTYLE_BENCH_SIZE px (default 512), 100 Adam
// iterations, on the full-width VGG19 with random weights, or on the
// MatConvNet file named by $NEURALSTYLE_BENCH_WEIGHTS (such as the
// ImageNet VGG16 of `make -s weights`). It reports the seconds per
// iteration after the first, the loss the run reported, and loss32: the
// loss of the output image evaluated in float32, which is what the
// precisions are compared on. With $NEURALSTYLE_BENCH_OUT set, the output
// images are written there as PNG.
//
// Where TensorFlow sees no GPU, the runs named "…-gpu-graph" build the
// graph a GPU would run (the casts of vgg.BuildOptions.Compute, and
// float16's scalings) and run it on the CPU: their loss32 is the GPU
// arithmetic's (up to the kernels' summation order), their time is not.
//
//	go test -run '^$' -bench Precision -benchtime 1x ./style/
func BenchmarkPrecision(b *testing.B) {
	size := 512
	if s := os.Getenv("NEURALSTYLE_BENCH_SIZE"); s != "" {
		var err error
		if size, err = strconv.Atoi(s); err != nil || size < 64 {
			b.Fatalf("NEURALSTYLE_BENCH_SIZE=%q: want pixels ≥ 64", s)
		}
	}
	gpu := false
	if d, err := tfruntime.Default(); err == nil && d.Type == "GPU" {
		gpu = true
	}
	m := benchFullModel(b)
	if p := os.Getenv("NEURALSTYLE_BENCH_WEIGHTS"); p != "" {
		var err error
		if m, err = vgg.Load(p); err != nil {
			b.Fatal(err)
		}
	}
	content, err := imageio.Load("../examples/images/chelsea.jpg", imageio.DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	painting, err := imageio.Load("../examples/images/starry_night.jpg", imageio.DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	base := []Option{WithModel(m), WithThreads(benchThreads, 1), WithMaxSize(size)}
	for _, c := range []struct {
		opt   Optimizer
		iters int
	}{{Adam(1), 100}} { // BFloat16 needs Adam
		type run struct {
			p        Precision
			gpuGraph bool // on a CPU, the graph a GPU would run
		}
		runs := []run{{p: Float32}, {p: BFloat16}, {p: Float16}}
		if !gpu {
			runs = []run{{p: Float32}, {p: BFloat16}, {p: BFloat16, gpuGraph: true}, {p: Float16, gpuGraph: true}}
		}
		for _, run := range runs {
			p := run.p
			name := p.String()
			opts := append(slices.Clone(base), WithOptimizer(c.opt), WithIterations(c.iters), WithPrecision(p))
			if run.gpuGraph {
				name += "-gpu-graph"
				opts = append(opts, onSimulatedGPU(64*gib))
			}
			b.Run(fmt.Sprintf("%s/%s", c.opt, name), func(b *testing.B) {
				var res *Result
				for b.Loop() {
					var err error
					res, err = Transfer(context.Background(), content, painting, opts...)
					if err != nil {
						b.Fatal(err)
					}
				}
				h := res.History
				b.ReportMetric((h[len(h)-1].Elapsed-h[0].Elapsed).Seconds()/float64(len(h)-1), "s/iter")
				b.ReportMetric(res.Loss, "loss")
				b.ReportMetric(float32Loss(b, base, content, painting, res.Image), "loss32")
				if dir := os.Getenv("NEURALSTYLE_BENCH_OUT"); dir != "" {
					name := filepath.Join(dir, fmt.Sprintf("%s_%s.png", strings.SplitN(c.opt.String(), "(", 2)[0], name))
					if err := imageio.Save(name, res.Image, imageio.EncodeOptions{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// float32Loss evaluates the loss of img (the output of a transfer with
// opts) in float32: the loss of the image as delivered.
func float32Loss(b testing.TB, opts []Option, content, painting, img image.Image) float64 {
	b.Helper()
	t, err := NewTransferer(opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer t.Close()
	cfg, err := resolve(opts)
	if err != nil {
		b.Fatal(err)
	}
	p, err := t.prepare(&cfg, content, painting)
	if err != nil {
		b.Fatal(err)
	}
	if err := t.useEngine(&cfg, p, MemoryPlan{}); err != nil {
		b.Fatal(err)
	}
	mean := imageio.Mean(t.model.MeanPixel())
	if _, err := t.setTargets(context.Background(), &cfg, p, mean); err != nil {
		b.Fatal(err)
	}
	x, h, w := imageio.ToTensor(img, mean)
	if h != p.h || w != p.w {
		b.Fatalf("image %d×%d, the transfer's size is %d×%d", w, h, p.w, p.h)
	}
	ev, err := t.engine.evaluate(x, make([]float32, len(x)))
	if err != nil {
		b.Fatal(err)
	}
	return ev.total
}
